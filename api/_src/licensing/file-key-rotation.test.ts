/**
 * Rotating a licensed app's offline license-file key, over HTTP on a real database: files signed before still verify
 * with the retired key that `/.well-known/tauri-release/{app}/license-keys.json` lists (for 30 days), then its row
 * is deleted; new ones name the new kid, on every instance at once; two rotations at once leave one current key;
 * who may rotate, and the audit entry. The clock is the test's (licenses bought on day D).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Hono } from 'hono';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertLicensedApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { auditRows, call, insertKey } from '../admin/testing.ts';
import { createApp } from '../app.ts';
import { createDeps } from '../create-deps.ts';
import type { AppDeps } from '../deps.ts';
import { SecretBox } from '../github/secrets.ts';
import { licenseFileKeyListSchema, type LicenseFileKeyListBody } from '../protocol/licensing.ts';
import { appSchema } from '../protocol/schemas.ts';
import { LicenseFileKeys, publicKeyFromRaw } from './file-keys.ts';
import { verifyLicenseFile } from './license-file.ts';
import { day, insertLicense, insertPolicy, TEST_SECRETS_KEY } from './testing.ts';

const clock = { now: day(0).getTime() };
const TTL_SECONDS = 15;
let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({ env: { SECRETS_KEY: TEST_SECRETS_KEY, RATE_LIMITS: 'off', UPDATE_CACHE_TTL_SECONDS: String(TTL_SECONDS) }, now: () => clock.now });
});
afterAll(async () => {
  await ctx.close();
});

const db = () => ctx.database.db;
const anotherInstance = () => new LicenseFileKeys(db(), new SecretBox(Buffer.from(TEST_SECRETS_KEY, 'base64')), { ttlMs: TTL_SECONDS * 1000, now: () => clock.now });

async function licensedAppWithLicense(slug: string) {
  const appId = await insertLicensedApp(db(), slug);
  await insertRelease(db(), appId, { version: '1.0.0', pubDate: day(-10), artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage' }] });
  const license = await insertLicense(db(), appId, await insertPolicy(db(), appId));
  return { appId, authorization: license.authorization };
}

async function licenseFile(authorization: string, app: Hono = ctx.app): Promise<{ token: string; kid: string }> {
  const res = await app.request('/license/file', { headers: { authorization } });
  expect(res.status).toBe(200);
  const token = await res.text();
  return { token, kid: JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid };
}

async function keyList(slug: string, app: Hono = ctx.app): Promise<LicenseFileKeyListBody> {
  const res = await call({ ...ctx, app }, 'GET', `/.well-known/tauri-release/${slug}/license-keys.json`, { auth: null });
  expect([res.status, res.headers.get('cache-control')]).toEqual([200, 'public, max-age=60']);
  return licenseFileKeyListSchema.parse(res.body);
}

/** What an app shipping the listed keys does: verify with the key whose kid the file names. */
function verifiesWithListed(list: LicenseFileKeyListBody, file: { token: string; kid: string }): boolean {
  const key = list.keys.find((k) => k.kid === file.kid);
  return key !== undefined && verifyLicenseFile(file.token, publicKeyFromRaw(Buffer.from(key.public_key, 'base64'))) !== null;
}

const rotate = (slug: string, options: { auth?: string | null; body?: unknown } = {}) => call(ctx, 'POST', `/admin/apps/${slug}/licensing/file-key/rotate`, options);

describe('rotating the license-file key', () => {
  let appId = '';
  let authorization = '';
  let before = { token: '', kid: '' };

  beforeAll(async () => {
    clock.now = day(0).getTime();
    ({ appId, authorization } = await licensedAppWithLicense('rotating'));
    before = await licenseFile(authorization);
  });

  it('lists the one current key before any rotation', async () => {
    const list = await keyList('rotating');
    expect(list.keys.map((k) => [k.kid, k.status, k.retired_at, k.listed_until])).toEqual([[before.kid, 'current', null, null]]);
    expect(verifiesWithListed(list, before)).toBe(true);
  });

  it('signs new files with the new key at once; files signed before verify with the retired key, listed 30 days', async () => {
    clock.now = day(1).getTime();
    const res = await rotate('rotating');
    expect(res.status).toBe(200);
    const answered = licenseFileKeyListSchema.parse(res.body);
    const [current, retired] = answered.keys;
    expect([current?.status, retired?.kid, retired?.status, retired?.retired_at, retired?.listed_until]).toEqual(['current', before.kid, 'retired', day(1).toISOString(), day(31).toISOString()]);
    expect(current!.kid).not.toBe(before.kid);

    const after = await licenseFile(authorization);
    expect(after.kid).toBe(current!.kid);
    const list = await keyList('rotating');
    expect(list).toEqual(answered);
    expect(verifiesWithListed(list, after)).toBe(true);
    expect(verifiesWithListed(list, before)).toBe(true);
    // The retired key never signs again: its private half is gone from the database.
    const rows = await db().selectFrom('license_file_keys').select(['kid', 'private_key_sealed', 'retired_at']).where('app_id', '=', appId).orderBy('created_at').execute();
    expect(rows.map((r) => [r.kid, r.private_key_sealed === '', r.retired_at !== null])).toEqual([[before.kid, true, true], [current!.kid, false, false]]);
    // The admin app view shows the new key.
    const view = await call(ctx, 'GET', '/admin/apps/rotating');
    expect(appSchema.parse(view.body).license_file_key?.kid).toBe(current!.kid);
    expect(await auditRows(ctx, 'license.rotate_file_key')).toEqual([
      expect.objectContaining({ actor: 'token:ADMIN_TOKEN', app_id: appId, target: `license_file_key:${current!.kid}` }),
    ]);
    const [entry] = await auditRows(ctx, 'license.rotate_file_key');
    expect(typeof entry!.details === 'string' ? JSON.parse(entry!.details) : entry!.details).toEqual({ from: before.kid, to: current!.kid, previous: 'retired' });
  });

  it('stops listing a retired key 30 days after it retired, when every file it signed has expired, and deletes its row', async () => {
    const stored = async () => (await db().selectFrom('license_file_keys').select('kid').where('kid', '=', before.kid).executeTakeFirst()) !== undefined;
    clock.now = day(31).getTime() - 1000;
    expect((await anotherInstance().list(appId)).map((k) => k.kid)).toContain(before.kid);
    expect(await stored()).toBe(true);
    clock.now = day(31).getTime() + 1000;
    expect((await anotherInstance().list(appId)).map((k) => k.status)).toEqual(['current']);
    expect(await stored()).toBe(false);
  });

  it('after a leak, remove_previous deletes the old key: no longer listed, and files it signed no longer verify against the list', async () => {
    const leaked = await licenseFile(authorization);
    const res = await rotate('rotating', { body: { remove_previous: true } });
    expect(res.status).toBe(200);
    const list = licenseFileKeyListSchema.parse(res.body);
    expect(list.keys.map((k) => k.kid)).not.toContain(leaked.kid);
    expect(verifiesWithListed(await keyList('rotating'), leaked)).toBe(false);
    expect(await db().selectFrom('license_file_keys').select('kid').where('kid', '=', leaked.kid).executeTakeFirst()).toBeUndefined();
    expect(verifiesWithListed(list, await licenseFile(authorization))).toBe(true);
    const last = (await auditRows(ctx, 'license.rotate_file_key')).at(-1)!;
    expect(typeof last.details === 'string' ? JSON.parse(last.details) : last.details).toMatchObject({ from: leaked.kid, previous: 'removed' });
  });
});

describe('another instance', () => {
  it('shows (admin app view) the key it read until the TTL passes, then follows the rotation; its files follow at once', async () => {
    clock.now = day(100).getTime();
    const { appId, authorization } = await licensedAppWithLicense('two-instances');
    const other = anotherInstance();
    const old = (await other.current(appId)).kid;
    expect((await licenseFile(authorization)).kid).toBe(old);
    const rotated = licenseFileKeyListSchema.parse((await rotate('two-instances')).body).keys[0]!.kid;
    // The rotating instance switched at once; the other still holds what it read, but never signs with it.
    expect((await licenseFile(authorization)).kid).toBe(rotated);
    clock.now += (TTL_SECONDS - 1) * 1000;
    expect((await other.current(appId)).kid).toBe(old);
    expect(await other.signWithCurrent(appId, (key) => key.kid)).toBe(rotated);
    clock.now += 2000;
    expect((await other.current(appId)).kid).toBe(rotated);
    expect((await other.publicBody(appId)).kid).toBe(rotated);
  });
});

describe('a retired key no valid file can name', () => {
  it('is deleted by the next rotation or load of the app’s key, not before', async () => {
    clock.now = day(500).getTime();
    const { appId } = await licensedAppWithLicense('pruned');
    const stored = async () => (await db().selectFrom('license_file_keys').select('kid').where('app_id', '=', appId).execute()).map((r) => r.kid).sort();
    const rotateAt = async (when: Date) => {
      clock.now = when.getTime();
      return (await anotherInstance().rotate({ actor: 'test' }, appId, false)).current.kid;
    };
    const k0 = (await anotherInstance().current(appId)).kid;
    const k1 = await rotateAt(day(500)); // retires k0 on day 500
    const k2 = await rotateAt(day(510)); // retires k1 on day 510
    const k3 = await rotateAt(new Date(day(530).getTime() - 1000));
    expect(await stored()).toEqual([k0, k1, k2, k3].sort());
    const k4 = await rotateAt(new Date(day(530).getTime() + 1000));
    expect(await stored()).toEqual([k1, k2, k3, k4].sort());
    clock.now = day(540).getTime() + 1000;
    expect((await anotherInstance().current(appId)).kid).toBe(k4);
    expect(await stored()).toEqual([k2, k3, k4].sort());
  });
});

describe('a rotation on another instance', () => {
  let second: AppDeps;
  let secondApp: Hono;
  beforeAll(() => {
    second = createDeps(ctx.config, db(), ctx.storage, { now: () => clock.now });
    secondApp = createApp(second);
  });
  afterAll(async () => {
    await second.analytics.close();
  });

  for (const removePrevious of [true, false]) {
    it(`${removePrevious ? 'removing' : 'retiring'} the old key: the other instance's next license file is signed by the new key, which its list names`, async () => {
      clock.now = day(removePrevious ? 600 : 700).getTime();
      const slug = removePrevious ? 'leaked-elsewhere' : 'rotated-elsewhere';
      const { authorization } = await licensedAppWithLicense(slug);
      const old = await licenseFile(authorization, secondApp);
      expect((await keyList(slug, secondApp)).keys.map((k) => k.kid)).toEqual([old.kid]);
      const res = await rotate(slug, { body: { remove_previous: removePrevious } });
      expect(res.status).toBe(200);
      const list = licenseFileKeyListSchema.parse(res.body);
      // Well within the TTL the other instance holds its key for.
      clock.now += 1000;
      const next = await licenseFile(authorization, secondApp);
      expect(next.kid).toBe(list.keys[0]!.kid);
      expect(verifiesWithListed(list, next)).toBe(true);
      expect(verifiesWithListed(await keyList(slug), next)).toBe(true);
      expect(await keyList(slug, secondApp)).toEqual(list);
    });
  }
});

describe('a rotation that commits while a license file is being signed', () => {
  /**
   * The window: the key has been handed to the route, which has not signed yet. `signWithCurrent` runs the route's
   * signing in a callback, so the test commits `rotations` rotations there, one per signing, before the route signs.
   */
  function rotateWhileSigning(rotations: number, rotateNow: () => Promise<unknown>) {
    const keys = ctx.deps.licenseFileKeys;
    const signWithCurrent = keys.signWithCurrent.bind(keys);
    let left = rotations;
    return jest.spyOn(keys, 'signWithCurrent').mockImplementation((appId, sign) =>
      signWithCurrent(appId, async (key) => {
        if (left > 0) {
          left--;
          await rotateNow();
        }
        return sign(key);
      }),
    );
  }

  for (const where of ['this instance', 'another instance'] as const) {
    it(`on ${where}: the file served is signed by the new key, not the one it retired`, async () => {
      clock.now = day(where === 'this instance' ? 800 : 810).getTime();
      const slug = where === 'this instance' ? 'rotated-mid-file' : 'removed-mid-file';
      const { appId, authorization } = await licensedAppWithLicense(slug);
      const old = await licenseFile(authorization);
      const spy = rotateWhileSigning(1, () =>
        where === 'this instance' ? rotate(slug) : anotherInstance().rotate({ actor: 'test' }, appId, true),
      );
      let file: { token: string; kid: string };
      try {
        file = await licenseFile(authorization);
      } finally {
        spy.mockRestore();
      }
      const [current, ...retired] = (await keyList(slug)).keys;
      expect(current!.kid).not.toBe(old.kid);
      expect(retired.map((k) => k.kid)).toEqual(where === 'this instance' ? [old.kid] : []);
      expect(file.kid).toBe(current!.kid);
      expect(verifyLicenseFile(file.token, publicKeyFromRaw(Buffer.from(current!.public_key, 'base64')))).toMatchObject({ kid: current!.kid });
    });
  }

  it('rotating at every attempt: a 503 telling the client to retry, never a file signed by a retired key', async () => {
    clock.now = day(820).getTime();
    const { appId, authorization } = await licensedAppWithLicense('rotating-nonstop');
    await licenseFile(authorization);
    const spy = rotateWhileSigning(Infinity, () => anotherInstance().rotate({ actor: 'test' }, appId, false));
    let res: Response;
    try {
      res = await ctx.app.request('/license/file', { headers: { authorization } });
    } finally {
      spy.mockRestore();
    }
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect([res.status, body.error.code, res.headers.get('retry-after')]).toEqual([503, 'unavailable', '5']);
    expect(body.error.message).toMatch(/rotated .* retry/);
    // Once the rotations stop, the next request gets its file, signed by the key the last one made.
    const next = await licenseFile(authorization);
    expect(next.kid).toBe((await keyList('rotating-nonstop')).keys[0]!.kid);
  });
});

describe('two rotations at once', () => {
  it('run one after the other, leaving exactly one current key', async () => {
    clock.now = day(200).getTime();
    const { appId } = await licensedAppWithLicense('racing');
    const first = (await anotherInstance().current(appId)).kid;
    const [one, two] = await Promise.all([rotate('racing'), rotate('racing'), anotherInstance().rotate({ actor: 'test' }, appId, false)]);
    expect([one.status, two.status]).toEqual([200, 200]);
    const rows = await db().selectFrom('license_file_keys').select(['kid', 'retired_at']).where('app_id', '=', appId).execute();
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => r.retired_at === null)).toHaveLength(1);
    // Each rotation retired the key the one before it made: a chain from the first key to the current one.
    const chain = (await auditRows(ctx, 'license.rotate_file_key'))
      .filter((r) => r.app_id === appId)
      .map((r) => (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as { from: string; to: string });
    expect(chain).toHaveLength(3);
    let kid = first;
    for (const link of chain) {
      expect(link.from).toBe(kid);
      kid = link.to;
    }
    expect(rows.find((r) => r.retired_at === null)!.kid).toBe(kid);
    expect((await keyList('racing')).keys[0]!.kid).toBe(kid);
  });
});

describe('who may rotate, and what is refused', () => {
  let appId = '';
  beforeAll(async () => {
    clock.now = day(300).getTime();
    ({ appId } = await licensedAppWithLicense('guarded'));
  });

  it('an admin key for this app may; a CI key, another app’s key or no key may not, and nothing changes', async () => {
    const otherAppId = await insertApp(db(), 'guarded-other');
    const ci = await insertKey(ctx, 'ci', appId);
    const otherAdmin = await insertKey(ctx, 'admin', otherAppId);
    const count = async () => (await db().selectFrom('license_file_keys').select('kid').where('app_id', '=', appId).execute()).length;
    await keyList('guarded');
    expect(await count()).toBe(1);
    expect((await rotate('guarded', { auth: null })).status).toBe(401);
    expect((await rotate('guarded', { auth: ci.auth })).status).toBe(403);
    const hidden = await rotate('guarded', { auth: otherAdmin.auth });
    expect([hidden.status, hidden.body.error.code]).toEqual([404, 'not_found']);
    expect(await count()).toBe(1);
    const own = await insertKey(ctx, 'admin', appId);
    expect((await rotate('guarded', { auth: own.auth })).status).toBe(200);
    expect(await count()).toBe(2);
    expect((await auditRows(ctx, 'license.rotate_file_key')).at(-1)).toMatchObject({ actor: expect.stringContaining(own.id), app_id: appId });
  });

  it('refuses bad input with a 400, and an app that is not licensed with a 409', async () => {
    for (const body of [{ remove_previous: 'yes' }, { remove_previous: true, colour: 'red' }]) {
      const res = await rotate('guarded', { body });
      expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request']);
    }
    await insertApp(db(), 'open-app');
    const open = await rotate('open-app');
    expect([open.status, open.body.error.code]).toEqual([409, 'conflict']);
    expect(open.body.error.message).toContain('not licensed');
  });

  it('license-keys.json: 404 with a clear JSON error for an open app, an unknown app or a malformed slug', async () => {
    for (const [slug, message] of [['open-app', 'not licensed'], ['no-such-app', 'no app'], ['Not%20A%20Slug', 'no app']] as const) {
      const res = await call(ctx, 'GET', `/.well-known/tauri-release/${slug}/license-keys.json`, { auth: null });
      expect([res.status, res.body.error.code]).toEqual([404, 'not_found']);
      expect(res.body.error.message).toContain(message);
    }
  });

  it('without SECRETS_KEY an instance cannot rotate (503 secrets_key_missing)', async () => {
    const keys = new LicenseFileKeys(db(), null);
    await expect(keys.rotate({ actor: 'test' }, appId, false)).rejects.toMatchObject({ status: 503, code: 'secrets_key_missing' });
  });
});
