/**
 * What a licensed app's installs read about their own license (issue 17 items 6 and 9): `GET /license` and the
 * offline license file `GET /license/file`, on a clock the test controls (licenses bought on day D,
 * api/_src/licensing/testing.ts). The license file is verified by OpenSSL (`openssl pkeyutl -verify -rawin`), an
 * Ed25519 implementation independent of the server's, with the public key the admin app view shows.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLicenseKey } from '../../api/_src/licensing/license-key.ts';
import { day, insertLicense, insertPolicy, TEST_SECRETS_KEY, testDigester } from '../../api/_src/licensing/testing.ts';
import { appBody } from '../../api/_src/admin/app-view.ts';
import { LicenseFileKeys, licenseFileKeyId, publicKeyFromRaw } from '../../api/_src/licensing/file-keys.ts';
import { verifyLicenseFile } from '../../api/_src/licensing/license-file.ts';
import { rotateLicenseKey } from '../../api/_src/licensing/store.ts';
import { licenseFilePayloadSchema, licenseStateSchema } from '../../api/_src/protocol/license-state.ts';
import { appSchema } from '../../api/_src/protocol/schemas.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { ModelSharedCache } from '../support/shared-cache.ts';
import { insertLicensedApp, insertRelease } from '../support/release-fixtures.ts';

const clock = { now: day(0).getTime() };
const at = (n: number) => void (clock.now = day(n).getTime());

let ctx: TestContext;
let workDir = '';

beforeAll(async () => {
  ctx = await createTestContext({ env: { SECRETS_KEY: TEST_SECRETS_KEY, RATE_LIMITS: 'off' }, now: () => clock.now });
  workDir = await mkdtemp(join(tmpdir(), 'license-client-'));
});
afterAll(async () => {
  await ctx.close();
  await rm(workDir, { recursive: true, force: true });
});

const db = () => ctx.database.db;

const licensedApp = (slug: string) => insertLicensedApp(db(), slug);

async function publish(appId: string, version: string, published: number, channel = 'stable'): Promise<void> {
  await insertRelease(db(), appId, { version, pubDate: day(published), channel, artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', content: new TextEncoder().encode(`${version} bytes`) }] }, ctx.storage);
  ctx.deps.releaseCache.invalidate(appId);
}

const get = (path: string, headers: Record<string, string> = {}) => Promise.resolve(ctx.app.request(path, { headers }));

async function stateOf(headers: Record<string, string>, query = '') {
  const res = await get(`/license${query}`, headers);
  const json = (await res.json()) as Record<string, unknown> & { error?: { code: string } };
  return { status: res.status, cacheControl: res.headers.get('cache-control'), code: json.error?.code, body: json };
}

describe('GET /license: a yearly fallback license bought on day D', () => {
  let headers: Record<string, string> = {};
  let appId = '';
  let licenseId = '';

  beforeAll(async () => {
    at(0);
    appId = await licensedApp('state');
    const license = await insertLicense(db(), appId, await insertPolicy(db(), appId, { durationDays: 365, expiryStrategy: 'fallback' }));
    headers = { Authorization: license.authorization };
    licenseId = license.id;
    await publish(appId, '1.0.0', -30);
    await publish(appId, '1.1.0', 100);
  });

  it('before expiry: the newest release is eligible, and renewing unlocks nothing newer', async () => {
    at(200);
    const answer = await stateOf(headers);
    expect([answer.status, answer.cacheControl]).toEqual([200, 'private, no-store']);
    expect(licenseStateSchema.parse(answer.body)).toEqual({
      license_id: licenseId,
      app: 'state',
      status: 'active',
      expiry_strategy: 'fallback',
      expires_at: day(365).toISOString(),
      expired: false,
      grace_ends_at: null,
      cutoff: day(365).toISOString(),
      entitlements: [],
      channel: 'stable',
      newest_eligible_version: '1.1.0',
      newest_version: '1.1.0',
      renewal: { expires_at: day(730).toISOString(), unlocks_version: null },
      machines: { used: 0, allowed: null },
    });
  });

  it('after expiry: "Updates ended on D+365; renew to get 2.0.0"', async () => {
    await publish(appId, '1.2.0', 300);
    await publish(appId, '1.3.0', 380);
    await publish(appId, '2.0.0', 500);
    at(600);
    const { body } = await stateOf(headers);
    expect(body).toMatchObject({
      expired: true,
      cutoff: day(365).toISOString(),
      newest_eligible_version: '1.2.0',
      newest_version: '2.0.0',
      // Renewed from now, since it has lapsed: a year from day 600.
      renewal: { expires_at: day(965).toISOString(), unlocks_version: '2.0.0' },
    });
    // What the update check offers is what /license says.
    const check = await get('/update/state/linux/x86_64/1.0.0', headers);
    expect(((await check.json()) as { version: string }).version).toBe('1.2.0');
  });

  it('answers for the channel asked, and 404 for a channel the app does not have', async () => {
    await publish(appId, '2.1.0-beta.1', 550, 'beta');
    await db().insertInto('release_channels').values({ app_id: appId, name: 'stable', follows: null, required_entitlement: null }).onConflict((oc) => oc.doNothing()).execute();
    await db().insertInto('release_channels').values({ app_id: appId, name: 'beta', follows: 'stable', required_entitlement: null }).execute();
    ctx.deps.releaseCache.invalidate(appId);
    const beta = await stateOf(headers, '?channel=beta');
    expect(beta.body).toMatchObject({ channel: 'beta', newest_eligible_version: '1.2.0', newest_version: '2.1.0-beta.1', renewal: { unlocks_version: '2.1.0-beta.1' } });
    expect((await stateOf(headers, '?channel=nightly')).status).toBe(404);
    expect((await stateOf(headers, '?channel=Bad%20Channel')).status).toBe(400);
  });
});

describe('GET /license refuses with the update check’s codes', () => {
  let appId = '';
  let policyId = '';
  let valid: Record<string, string> = {};

  beforeAll(async () => {
    at(10);
    appId = await licensedApp('state-codes');
    policyId = await insertPolicy(db(), appId);
    valid = { Authorization: (await insertLicense(db(), appId, policyId)).authorization };
    await publish(appId, '1.0.0', 0);
  });

  it('401 without a key, with a malformed or unknown one, and for a key only in the URL', async () => {
    const key = valid.Authorization!.slice('License '.length);
    for (const [headers, query, code] of [
      [{}, '', 'license_required'],
      [{}, `?license=${key}`, 'license_required'],
      [{}, `?auth=license:${key}`, 'license_required'],
      [{ Authorization: 'License trl_short' }, '', 'license_invalid'],
      [{ Authorization: `License ${generateLicenseKey().reveal()}` }, '', 'license_unknown'],
    ] as [Record<string, string>, string, string][]) {
      const answer = await stateOf(headers, query);
      expect({ query, status: answer.status, code: answer.code, cacheControl: answer.cacheControl }).toEqual({ query, status: 401, code, cacheControl: 'no-store' });
    }
    expect((await stateOf({ Authorization: valid.Authorization!.replace('License ', 'Bearer ') })).status).toBe(200);
    // The download of a licensed app ignores a key in its URL too.
    const file = await get(`/download/state-codes/1.0.0/state-codes_1.0.0_linux-x86_64.appimage.bin?license=${key}&auth=license:${key}`);
    expect([file.status, ((await file.json()) as { error: { code: string } }).error.code]).toEqual([401, 'license_required']);
    expect((await get('/download/state-codes/1.0.0/state-codes_1.0.0_linux-x86_64.appimage.bin', valid)).status).toBe(200);
  });

  it('a model shared cache in front never serves one license’s state to another', async () => {
    const other = await insertLicense(db(), appId, await insertPolicy(db(), appId, { entitlements: ['pro'] }));
    const cache = new ModelSharedCache((path, headers) => ctx.app.request(path, { headers }));
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      for (const headers of [{ authorization: valid.Authorization! }, { authorization: other.authorization }, {}] as Record<string, string>[]) {
        const answer = await cache.fetch('/license', headers);
        seen.add(answer.status === 200 ? (JSON.parse(answer.body) as { entitlements: string[] }).entitlements.join() || 'none' : String(answer.status));
      }
    }
    expect([...seen].sort()).toEqual(['401', 'none', 'pro']);
    expect(cache.hits).toBe(0);
  });

  it('403 for a suspended, revoked or revoke-expired license', async () => {
    for (const status of ['suspended', 'revoked'] as const) {
      const license = await insertLicense(db(), appId, policyId, { status });
      expect((await stateOf({ Authorization: license.authorization })).code).toBe(`license_${status}`);
    }
    const revoking = await insertLicense(db(), appId, await insertPolicy(db(), appId, { expiryStrategy: 'revoke', graceDays: 10 }));
    at(370);
    const inGrace = await stateOf({ Authorization: revoking.authorization });
    expect(inGrace.body).toMatchObject({ expired: true, grace_ends_at: day(375).toISOString(), newest_eligible_version: '1.0.0' });
    at(375);
    expect((await stateOf({ Authorization: revoking.authorization })).code).toBe('license_expired');
    at(10);
  });

  it('under a machine limit: needs the install id, counts installs used, and takes no place itself', async () => {
    const limited = await insertLicense(db(), appId, await insertPolicy(db(), appId, { maxMachines: 1 }));
    const as = (install?: string) => stateOf(install ? { Authorization: limited.authorization, 'X-Install-Id': install } : { Authorization: limited.authorization });
    expect((await as()).code).toBe('install_id_required');
    expect((await as('install-aaaa')).body.machines).toEqual({ used: 0, allowed: 1 });
    // Still free: another install's check takes the place.
    expect((await get('/update/state-codes/linux/x86_64/0.9.0', { Authorization: limited.authorization, 'X-Install-Id': 'install-bbbb' })).status).toBe(200);
    expect((await as('install-bbbb')).body.machines).toEqual({ used: 1, allowed: 1 });
    expect((await as('install-aaaa')).code).toBe('machine_limit_reached');
  });

  it('a rotated key: the old one is unknown at once, the new one answers (admin rotation, licensing/store.ts)', async () => {
    const license = await insertLicense(db(), appId, policyId);
    const old = { Authorization: license.authorization };
    expect((await stateOf(old)).status).toBe(200);
    const rotated = await rotateLicenseKey(ctx.deps, 'system', appId, license.id);
    expect((await stateOf(old)).code).toBe('license_unknown');
    expect((await get('/update/state-codes/linux/x86_64/0.9.0', old)).status).toBe(401);
    const fresh = { Authorization: `License ${rotated.key}` };
    const answer = await stateOf(fresh);
    expect([answer.status, answer.body.license_id]).toEqual([200, license.id]);
    expect((await get('/update/state-codes/linux/x86_64/0.9.0', fresh)).status).toBe(200);
  });

  it('a rotation made on another instance: the old key is unknown once this one re-reads the license', async () => {
    const license = await insertLicense(db(), appId, policyId);
    const old = { Authorization: license.authorization };
    expect((await stateOf(old)).status).toBe(200);
    const fresh = generateLicenseKey();
    const { secretId, digest } = testDigester().digest(fresh);
    await db().updateTable('licenses').set({ key_digest: digest, key_secret_id: secretId, key_prefix: fresh.prefix }).where('id', '=', license.id).execute();
    expect((await stateOf(old)).status).toBe(200); // this instance's copy, until the TTL
    clock.now += ctx.config.updateCacheTtlMs + 1;
    expect((await stateOf(old)).code).toBe('license_unknown');
    expect((await stateOf({ Authorization: `License ${fresh.reveal()}` })).body.license_id).toBe(license.id);
  });
});

describe('GET /license/file: an offline license file', () => {
  let appId = '';
  let headers: Record<string, string> = {};
  let licenseId = '';

  beforeAll(async () => {
    at(0);
    appId = await licensedApp('offline');
    const policyId = await insertPolicy(db(), appId, { entitlements: ['pro'], maxMachines: 3 });
    const license = await insertLicense(db(), appId, policyId, { entitlements: ['beta'] });
    headers = { Authorization: license.authorization };
    licenseId = license.id;
    await publish(appId, '1.0.0', -10);
  });

  /** The app's license-file key as the admin app view shows it. */
  async function adminKey() {
    const res = await get('/admin/apps/offline', { Authorization: ctx.adminAuth });
    expect(res.status).toBe(200);
    const key = appSchema.parse(await res.json()).license_file_key;
    if (!key) throw new Error('no license_file_key in the admin app view');
    return key;
  }

  /** `openssl pkeyutl -verify -rawin` over the payload bytes: true when OpenSSL accepts the signature. */
  async function opensslVerifies(pem: string, payload: Buffer, signature: Buffer, name: string): Promise<boolean> {
    const files = { key: join(workDir, `${name}.pem`), data: join(workDir, `${name}.data`), sig: join(workDir, `${name}.sig`) };
    await Promise.all([writeFile(files.key, pem), writeFile(files.data, payload), writeFile(files.sig, signature)]);
    try {
      execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', files.key, '-rawin', '-in', files.data, '-sigfile', files.sig], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  }

  it('is signed with the app’s own key, which OpenSSL verifies, and fails after one changed byte', async () => {
    at(30);
    const key = await adminKey();
    const raw = Buffer.from(key.public_key, 'base64');
    expect(raw).toHaveLength(32);
    expect(key.kid).toBe(licenseFileKeyId(raw));
    expect(key.public_key_pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
    const res = await get('/license/file', { ...headers, 'X-Install-Id': 'install-file-1' });
    expect([res.status, res.headers.get('cache-control')]).toEqual([200, 'private, no-store']);
    const token = await res.text();
    const [payloadPart, signaturePart, ...rest] = token.split('.');
    expect(rest).toEqual([]);
    const payload = Buffer.from(payloadPart!, 'base64url');
    const signature = Buffer.from(signaturePart!, 'base64url');
    expect(await opensslVerifies(key.public_key_pem, payload, signature, 'good')).toBe(true);
    const changed = Buffer.from(payload);
    const flipped = changed.indexOf('"lic"');
    changed[flipped] = changed[flipped]! ^ 0x01;
    expect(await opensslVerifies(key.public_key_pem, changed, signature, 'changed')).toBe(false);
    // The README's TypeScript check agrees, with the raw key.
    expect(verifyLicenseFile(token, publicKeyFromRaw(raw))).not.toBeNull();
    expect(verifyLicenseFile(`${changed.toString('base64url')}.${signaturePart}`, publicKeyFromRaw(raw))).toBeNull();

    expect(licenseFilePayloadSchema.parse(JSON.parse(payload.toString('utf8')))).toEqual({
      v: 1,
      kid: key.kid,
      lic: licenseId,
      app: 'offline',
      status: 'active',
      expiry_strategy: 'fallback',
      expires_at: day(365).toISOString(),
      cutoff: day(365).toISOString(),
      entitlements: ['beta', 'pro'],
      newest_eligible_version: '1.0.0',
      machine: 'install-file-1',
      issued_at: day(30).toISOString(),
      valid_until: day(60).toISOString(),
    });
  });

  it('keeps one key per app, never the updater key, with its private part sealed', async () => {
    const first = await adminKey();
    const again = await get('/license/file', { ...headers, 'X-Install-Id': 'install-file-1' });
    const token = await again.text();
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe(first.kid);
    const rows = await db().selectFrom('license_file_keys').selectAll().where('app_id', '=', appId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.private_key_sealed).toMatch(/^v1\./);
    const app = await db().selectFrom('apps').select('public_key').where('id', '=', appId).executeTakeFirstOrThrow();
    expect(app.public_key ?? '').not.toContain(first.public_key);
    // Another app gets another key.
    const otherId = await licensedApp('offline-other');
    const other = await insertLicense(db(), otherId, await insertPolicy(db(), otherId));
    const otherToken = await (await get('/license/file', { Authorization: other.authorization })).text();
    expect(verifyLicenseFile(otherToken, publicKeyFromRaw(Buffer.from(first.public_key, 'base64')))).toBeNull();
  });

  it('binds the file to the install, which takes one of the license’s places', async () => {
    const machines = async () => ((await stateOf({ ...headers, 'X-Install-Id': 'install-file-1' })).body.machines as { used: number }).used;
    const before = await machines();
    expect((await get('/license/file', { ...headers, 'X-Install-Id': 'install-file-2' })).status).toBe(200);
    expect(await machines()).toBe(before + 1);
    expect((await get('/license/file', { ...headers, 'X-Install-Id': 'install-file-2' })).status).toBe(200);
    expect(await machines()).toBe(before + 1);
  });

  it('refuses like the check, and lasts no longer than a revoke license’s grace', async () => {
    expect((await get('/license/file')).status).toBe(401);
    const revoking = await insertLicense(db(), appId, await insertPolicy(db(), appId, { expiryStrategy: 'revoke', graceDays: 5 }));
    at(350);
    const token = await (await get('/license/file', { Authorization: revoking.authorization })).text();
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).valid_until).toBe(day(370).toISOString());
    at(371);
    const refused = await get('/license/file', { Authorization: revoking.authorization });
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([403, 'license_expired']);
  });

  it('a first_check license: neither /license nor a file starts its clock; the first update check does', async () => {
    const license = await insertLicense(db(), appId, await insertPolicy(db(), appId, { expirationBasis: 'first_check' }));
    const auth = { Authorization: license.authorization };
    at(40);
    expect((await stateOf(auth)).body).toMatchObject({ expires_at: null, cutoff: null, newest_eligible_version: '1.0.0' });
    expect((await get('/license/file', auth)).status).toBe(200);
    const started = async () => (await db().selectFrom('licenses').select('first_checked_at').where('id', '=', license.id).executeTakeFirstOrThrow()).first_checked_at;
    expect(await started()).toBeNull();
    expect((await get('/update/offline/linux/x86_64/0.9.0', auth)).status).toBe(200);
    expect((await started())?.toISOString()).toBe(day(40).toISOString());
    expect((await stateOf(auth)).body.expires_at).toBe(day(405).toISOString());
  });

  it('without SECRETS_KEY: no file (503 secrets_key_missing), and the admin view says null', async () => {
    const keys = new LicenseFileKeys(db(), null);
    await expect(keys.current(appId)).rejects.toMatchObject({ status: 503, code: 'secrets_key_missing' });
    const row = await db().selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirstOrThrow();
    expect((await appBody(db(), row, keys)).license_file_key).toBeNull();
    expect((await appBody(db(), { ...row, licensing: 'open' }, keys)).license_file_key).toBeUndefined();
  });
});
