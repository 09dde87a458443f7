/**
 * License-gated updates end to end (issue 17, "the gate and the index"): a licensed app's update check and
 * download on a clock the test controls, with licenses bought on day D (api/_src/licensing/testing.ts).
 * The fallback scenario runs the project's Tauri client model (test/support/tauri.ts) against the real listener
 * (node:http fast path, then Hono), with artifacts signed by the real Tauri signer and checked with minisign.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlPlaneListener } from '../../api/_src/listener.ts';
import { day, insertLicense, insertPolicy, TEST_SECRETS_KEY } from '../../api/_src/licensing/testing.ts';
import { generateLicenseKey } from '../../api/_src/licensing/license-key.ts';
import { staticManifestKey } from '../../api/_src/protocol/storage-keys.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { insertApp, insertLicensedApp, insertRelease } from '../support/release-fixtures.ts';
import { checkForUpdate, download, generateKeyPair, hasMinisign, type KeyPair, sign, verifySignature } from '../support/tauri.ts';
import { ModelSharedCache } from '../support/shared-cache.ts';

const clock = { now: day(0).getTime() };
const at = (n: number) => void (clock.now = day(n).getTime());
const linux = [{ platform: 'linux-x86_64', bundle: 'appimage' }];

let ctx: TestContext;
let server: Server;
let baseUrl = '';
let workDir = '';

beforeAll(async () => {
  let listener: RequestListener = (_req, res) => res.writeHead(503).end();
  server = createServer((req, res) => listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ctx = await createTestContext({ env: { SECRETS_KEY: TEST_SECRETS_KEY, RATE_LIMITS: 'off', PUBLIC_URL: baseUrl }, now: () => clock.now });
  listener = controlPlaneListener(ctx.deps);
  workDir = await mkdtemp(join(tmpdir(), 'licensed-updates-'));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await ctx.close();
  await rm(workDir, { recursive: true, force: true });
});

const db = () => ctx.database.db;

const licensedApp = (slug: string) => insertLicensedApp(db(), slug);

interface PublishOptions {
  channel?: string;
  requires?: string[];
  backdatedTo?: number;
  content?: Uint8Array;
  signature?: string;
}

/** A release first published on day `published`, then the app's snapshot dropped so the next check sees it. */
async function publish(appId: string, version: string, published: number, options: PublishOptions = {}): Promise<void> {
  // Bytes in storage for every artifact, so a download the license may have is a 200.
  const artifacts = [{ ...linux[0]!, content: options.content ?? new TextEncoder().encode(`${version} bytes`), signature: options.signature }];
  const { id } = await insertRelease(db(), appId, { version, pubDate: day(published), channel: options.channel ?? 'stable', artifacts }, ctx.storage);
  const set: { required_entitlements?: string; entitlement_date?: Date } = {};
  if (options.requires) set.required_entitlements = JSON.stringify(options.requires);
  if (options.backdatedTo !== undefined) set.entitlement_date = day(options.backdatedTo);
  if (Object.keys(set).length) await db().updateTable('releases').set(set).where('id', '=', id).execute();
  ctx.deps.releaseCache.invalidate(appId);
}

interface Answer {
  status: number;
  version?: string;
  code?: string;
  url?: string;
  headers: Headers;
}

async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  const json = text ? (JSON.parse(text) as { version?: string; url?: string; error?: { code: string } }) : {};
  return { status: res.status, version: json.version, url: json.url, code: json.error?.code, headers: res.headers };
}

const check = async (slug: string, current: string, headers: Record<string, string> = {}, query = '') =>
  answerOf(await ctx.app.request(`/update/${slug}/linux/x86_64/${current}${query}`, { headers }));

/** What a check gets, as `version`, 204 or the error code. */
const offered = async (slug: string, current: string, headers: Record<string, string> = {}) => {
  const answer = await check(slug, current, headers);
  return answer.status === 200 ? answer.version : answer.status === 204 ? 204 : `${answer.status} ${answer.code}`;
};

/** The download of `version`'s artifact, by the path the manifest names. */
const fetchFile = async (slug: string, version: string, headers: Record<string, string> = {}) =>
  ctx.app.request(`/download/${slug}/${version}/${slug}_${version}_linux-x86_64.appimage.bin`, { headers });

describe('a yearly fallback license bought on day D, with the Tauri client model', () => {
  const minisign = hasMinisign();
  let keys: KeyPair;
  let appId = '';
  let auth: Record<string, string> = {};
  const versions: [string, number][] = [['1.0.0', -30], ['1.1.0', 100], ['1.2.0', 300], ['1.3.0', 380], ['1.2.1', 400], ['2.0.0', 500]];

  beforeAll(async () => {
    keys = await generateKeyPair(workDir);
    appId = await licensedApp('fallback');
    await db().updateTable('apps').set({ public_key: keys.publicKey }).where('id', '=', appId).execute();
    const policyId = await insertPolicy(db(), appId, { durationDays: 365, expiryStrategy: 'fallback' });
    auth = { Authorization: (await insertLicense(db(), appId, policyId)).authorization };
  }, 60_000);

  /** The release, with real bytes signed by the real signer, published on its day. */
  async function publishSigned(version: string, published: number): Promise<void> {
    const content = new TextEncoder().encode(`fallback ${version} bytes`);
    const file = join(workDir, `fallback-${version}.AppImage`);
    await writeFile(file, content);
    await publish(appId, version, published, { content, signature: await sign(file, keys, version) });
  }

  const client = (currentVersion: string) => ({ target: 'linux', arch: 'x86_64', currentVersion, bundleType: 'appimage', headers: auth });
  const endpoint = () => `${baseUrl}/update/fallback/{{target}}/{{arch}}/{{current_version}}`;

  it('offers every release published up to the expiry in turn, and nothing published after it (check and download)', async () => {
    let installed = '0.9.0';
    for (const [version, published] of versions) {
      at(published);
      await publishSigned(version, published);
      const outcome = await checkForUpdate(endpoint(), client(installed));
      if (published <= 365) {
        expect(outcome.kind === 'update' && outcome.update.version).toBe(version);
        if (outcome.kind !== 'update') continue;
        expect(outcome.update.url).toBe(`${baseUrl}/download/fallback/${version}/fallback_${version}_linux-x86_64.appimage.bin`);
        const bytes = await download(outcome.update);
        expect(bytes.toString()).toBe(`fallback ${version} bytes`);
        if (await minisign) expect((await verifySignature(bytes, outcome.update.signature, keys.publicKey, version)).ok).toBe(true);
        installed = version;
      } else {
        // Published after D+365: "no update" (a 204), for the installed version and for a fresh install alike.
        expect(outcome).toMatchObject({ kind: 'no-update', reason: 'no-content' });
        const fresh = await checkForUpdate(endpoint(), client('0.9.0'));
        expect(fresh.kind === 'update' && fresh.update.version).toBe('1.2.0');
        const res = await fetchFile('fallback', version, auth);
        expect({ version, status: res.status, code: (await answerOf(res)).code }).toEqual({ version, status: 403, code: 'release_not_eligible' });
      }
    }
    expect(installed).toBe('1.2.0');
    // Years later, the same: the newest release published at or before the expiry.
    at(2000);
    expect(await offered('fallback', '1.0.0', auth)).toBe('1.2.0');
  }, 120_000);

  it('answers licensed checks and downloads private, no-store, with no ETag', async () => {
    at(100);
    const update = await check('fallback', '1.0.0', auth);
    expect(update.status).toBe(200);
    expect(update.headers.get('cache-control')).toBe('private, no-store');
    expect(update.headers.get('etag')).toBeNull();
    const none = await check('fallback', '2.0.0', auth);
    expect([none.status, none.headers.get('cache-control')]).toEqual([204, 'private, no-store']);
    const file = await fetchFile('fallback', '1.1.0', auth);
    expect([file.status, file.headers.get('cache-control')]).toEqual([200, 'private, no-store']);
  });
});

describe('refusals', () => {
  let appId = '';
  let valid: Record<string, string> = {};

  beforeAll(async () => {
    at(10);
    appId = await licensedApp('codes');
    const policyId = await insertPolicy(db(), appId);
    valid = { Authorization: (await insertLicense(db(), appId, policyId)).authorization };
    await publish(appId, '1.0.0', 0);
  });

  it('answers 401 license_required, license_invalid and license_unknown before any 403', async () => {
    const key = generateLicenseKey().reveal();
    const other = await licensedApp('codes-other');
    const othersKey = (await insertLicense(db(), other, await insertPolicy(db(), other))).authorization;
    for (const [headers, code] of [
      [{}, 'license_required'],
      [{ Authorization: 'Basic dXNlcjpwYXNz' }, 'license_required'],
      [{ Authorization: 'Bearer trk_notalicensekey' }, 'license_required'],
      [{ Authorization: `License ${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}` }, 'license_invalid'],
      [{ Authorization: 'License trl_short' }, 'license_invalid'],
      [{ Authorization: `License ${key}` }, 'license_unknown'],
      [{ Authorization: othersKey }, 'license_unknown'],
    ] as [Record<string, string>, string][]) {
      const answer = await check('codes', '0.9.0', headers);
      expect({ headers, status: answer.status, code: answer.code }).toEqual({ headers, status: 401, code });
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    expect(await offered('codes', '0.9.0', valid)).toBe('1.0.0');
    expect(await offered('codes', '0.9.0', { Authorization: valid.Authorization!.replace('License ', 'Bearer ') })).toBe('1.0.0');
    expect(await offered('codes', '0.9.0', { Authorization: valid.Authorization!.replace('License ', 'license  ') })).toBe('1.0.0');
  });

  it('ignores a key in the URL, as if absent', async () => {
    const key = valid.Authorization!.slice('License '.length);
    for (const query of [`?license=${key}`, `?auth=license:${key}`, `?license_key=${key}&key=${key}`]) {
      const answer = await check('codes', '0.9.0', {}, query);
      expect({ query, status: answer.status, code: answer.code }).toEqual({ query, status: 401, code: 'license_required' });
    }
  });

  it('answers 403 license_suspended and license_revoked once the key is proven valid', async () => {
    const policyId = await insertPolicy(db(), appId);
    for (const status of ['suspended', 'revoked'] as const) {
      const license = await insertLicense(db(), appId, policyId, { status });
      const answer = await check('codes', '0.9.0', { Authorization: license.authorization });
      expect([answer.status, answer.code]).toEqual([403, `license_${status}`]);
      const file = await fetchFile('codes', '1.0.0', { Authorization: license.authorization });
      expect(file.status).toBe(403);
    }
  });

  it('sees a suspension made in the database (another instance) within the TTL', async () => {
    const license = await insertLicense(db(), appId, await insertPolicy(db(), appId));
    const headers = { Authorization: license.authorization };
    expect(await offered('codes', '0.9.0', headers)).toBe('1.0.0');
    await db().updateTable('licenses').set({ status: 'suspended' }).where('id', '=', license.id).execute();
    expect(await offered('codes', '0.9.0', headers)).toBe('1.0.0'); // still the copy in memory
    clock.now += ctx.config.updateCacheTtlMs + 1;
    expect(await offered('codes', '0.9.0', headers)).toBe('403 license_suspended');
  });

  it('refuses downloads without a valid license like the check', async () => {
    expect((await answerOf(await fetchFile('codes', '1.0.0'))).code).toBe('license_required');
    expect((await fetchFile('codes', '1.0.0', valid)).status).toBe(200);
  });
});

describe('policies', () => {
  async function scenario(slug: string, policy: Parameters<typeof insertPolicy>[2], license: Parameters<typeof insertLicense>[3] = {}) {
    at(0);
    const appId = await licensedApp(slug);
    const policyId = await insertPolicy(db(), appId, policy);
    const { authorization, id } = await insertLicense(db(), appId, policyId, license);
    return { appId, id, headers: { Authorization: authorization } };
  }

  it('revoke: the cutoff applies during the grace days, then nothing (license_expired)', async () => {
    const { appId, headers } = await scenario('revoke', { expiryStrategy: 'revoke', graceDays: 30 });
    await publish(appId, '1.0.0', 100);
    await publish(appId, '1.1.0', 370);
    at(380);
    expect(await offered('revoke', '0.9.0', headers)).toBe('1.0.0');
    at(394.9);
    expect(await offered('revoke', '0.9.0', headers)).toBe('1.0.0');
    at(395);
    expect(await offered('revoke', '0.9.0', headers)).toBe('403 license_expired');
    expect((await fetchFile('revoke', '1.0.0', headers)).status).toBe(403);
  });

  it('allow: the expiry is informational', async () => {
    const { appId, headers } = await scenario('allow', { expiryStrategy: 'allow' });
    await publish(appId, '1.0.0', 100);
    await publish(appId, '3.0.0', 900);
    at(1000);
    expect(await offered('allow', '0.9.0', headers)).toBe('3.0.0');
  });

  it('entitlements: a release or a channel that requires one is offered only to licenses that hold it', async () => {
    const { appId, headers } = await scenario('entitled', {});
    const pro = await insertLicense(db(), appId, await insertPolicy(db(), appId, { entitlements: ['pro'] }));
    const beta = await insertLicense(db(), appId, (await insertPolicy(db(), appId)), { entitlements: ['beta'] });
    await db().insertInto('release_channels').values({ app_id: appId, name: 'beta', follows: null, required_entitlement: 'beta' }).execute();
    await publish(appId, '1.0.0', 10);
    await publish(appId, '1.1.0', 20, { requires: ['pro'] });
    await publish(appId, '1.2.0-beta.1', 30, { channel: 'beta' });
    at(40);
    expect(await offered('entitled', '0.9.0', headers)).toBe('1.0.0');
    expect(await offered('entitled', '0.9.0', { Authorization: pro.authorization })).toBe('1.1.0');
    const onBeta = (h: Record<string, string>) => check('entitled', '0.9.0', h, '?channel=beta').then((a) => a.version ?? a.status);
    expect(await onBeta({ Authorization: beta.authorization })).toBe('1.2.0-beta.1');
    expect(await onBeta(headers)).toBe(204);
    expect((await fetchFile('entitled', '1.1.0', headers)).status).toBe(403);
    expect((await fetchFile('entitled', '1.1.0', { Authorization: pro.authorization })).status).toBe(200);
  });

  it('a back-dated patch reaches expired fallback licenses; the minor-line rule reaches them without one', async () => {
    const plain = await scenario('backdate', {});
    const line = await scenario('minor-line', { patchLineAfterExpiry: true });
    for (const { appId } of [plain, line]) {
      await publish(appId, '1.2.0', 300);
      await publish(appId, '1.3.0', 380);
      await publish(appId, '1.2.1', 390);
      await publish(appId, '1.2.2', 400);
    }
    at(500);
    expect(await offered('backdate', '1.0.0', plain.headers)).toBe('1.2.0');
    expect(await offered('minor-line', '1.0.0', line.headers)).toBe('1.2.2');
    expect((await fetchFile('minor-line', '1.3.0', line.headers)).status).toBe(403);
    await db().updateTable('releases').set({ entitlement_date: day(360) }).where('app_id', '=', plain.appId).where('version', '=', '1.2.1').execute();
    ctx.deps.releaseCache.invalidate(plain.appId);
    expect(await offered('backdate', '1.0.0', plain.headers)).toBe('1.2.1');
    expect((await fetchFile('backdate', '1.2.1', plain.headers)).status).toBe(200);
    expect((await fetchFile('backdate', '1.2.2', plain.headers)).status).toBe(403);
  });

  it('first_check: the clock starts at the first check, written once', async () => {
    const { appId, id, headers } = await scenario('first-check', { expirationBasis: 'first_check' });
    await publish(appId, '1.0.0', 10);
    at(200);
    expect(await offered('first-check', '0.9.0', headers)).toBe('1.0.0');
    at(250);
    expect(await offered('first-check', '0.9.0', headers)).toBe('1.0.0');
    const row = await db().selectFrom('licenses').select('first_checked_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.first_checked_at?.toISOString()).toBe(day(200).toISOString());
    // Expires on day 565, not 365: a release of day 500 is still the license's.
    await publish(appId, '2.0.0', 500);
    at(600);
    expect(await offered('first-check', '0.9.0', headers)).toBe('2.0.0');
  });

  it('machine limits: an install id is required, each new install takes a place once, and the limit holds', async () => {
    const { appId, id, headers } = await scenario('machines', { maxMachines: 2 });
    await publish(appId, '1.0.0', 10);
    at(20);
    const as = (install: string | null) => offered('machines', '0.9.0', install ? { ...headers, 'X-Install-Id': install } : headers);
    expect(await as(null)).toBe('403 install_id_required');
    expect(await as('install-aaaa')).toBe('1.0.0');
    expect(await as('install-aaaa')).toBe('1.0.0');
    expect(await as('install-bbbb')).toBe('1.0.0');
    expect(await as('install-cccc')).toBe('403 machine_limit_reached');
    expect(await as('install-aaaa')).toBe('1.0.0');
    const rows = await db().selectFrom('license_machines').select('install_digest').where('license_id', '=', id).execute();
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain('install-');
  });
});

describe('what a licensed app publishes', () => {
  it('has no public latest.json, and the writer deletes existing copies', async () => {
    at(0);
    const appId = await licensedApp('no-static');
    await publish(appId, '1.0.0', -1);
    const route = await answerOf(await ctx.app.request('/no-static/latest.json'));
    expect([route.status, route.code]).toEqual([404, 'app_licensed']);
    const key = staticManifestKey('no-static', 'stable');
    await ctx.storage.put(key, new TextEncoder().encode('{"version":"1.0.0"}'));
    const writes = await ctx.deps.staticManifests.sync(appId, 'no-static');
    expect(writes).toContainEqual({ key, version: null });
    expect(await ctx.storage.head(key)).toBeNull();
  });

  it('leaves open apps as they were: public answers, storage URLs, latest.json', async () => {
    const appId = await insertApp(db(), 'still-open');
    await publish(appId, '1.0.0', -1);
    const answer = await check('still-open', '0.9.0');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toMatch(/^public, /);
    expect(answer.headers.get('etag')).not.toBeNull();
    expect((await ctx.app.request('/still-open/latest.json')).status).toBe(200);
  });

  it('redirects S3 downloads to a presigned URL valid at most 5 minutes, never the public base URL', async () => {
    at(0);
    const appId = await licensedApp('on-s3');
    const license = await insertLicense(db(), appId, await insertPolicy(db(), appId));
    const storage = ctx.storage as unknown as Record<string, unknown>;
    const asked: number[] = [];
    storage.publicUrl = (key: string) => `https://public.example/${key}`;
    storage.presignGet = async (key: string, seconds: number) => (asked.push(seconds), `https://bucket.example/${key}?X-Amz-Expires=${seconds}`);
    try {
      await publish(appId, '1.0.0', -1);
      const update = await check('on-s3', '0.9.0', { Authorization: license.authorization });
      expect(update.url).toBe(`${baseUrl}/download/on-s3/1.0.0/on-s3_1.0.0_linux-x86_64.appimage.bin`);
      const res = await fetchFile('on-s3', '1.0.0', { Authorization: license.authorization });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toMatch(/^https:\/\/bucket\.example\//);
      expect(res.headers.get('cache-control')).toBe('private, no-store');
      expect(Math.max(...asked)).toBeLessThanOrEqual(300);
    } finally {
      delete storage.publicUrl;
      delete storage.presignGet;
    }
  });
});

describe('caches and the steady state', () => {
  it('a model shared cache never serves one license’s answer to another', async () => {
    at(0);
    const appId = await licensedApp('shared');
    const expired = await insertLicense(db(), appId, await insertPolicy(db(), appId), { createdAt: day(-400) });
    const current = await insertLicense(db(), appId, await insertPolicy(db(), appId));
    await publish(appId, '1.0.0', -100);
    await publish(appId, '2.0.0', -10);
    at(1);
    const cache = new ModelSharedCache((path, headers) => ctx.app.request(path, { headers }));
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      for (const [who, headers] of [['expired', { authorization: expired.authorization }], ['current', { authorization: current.authorization }], ['none', {}]] as const) {
        const viaCache = await cache.fetch('/update/shared/linux/x86_64/0.9.0', headers);
        const direct = await ctx.app.request('/update/shared/linux/x86_64/0.9.0', { headers });
        expect(viaCache).toEqual({ status: direct.status, body: await direct.text() });
        seen.push(`${who} ${viaCache.status === 200 ? JSON.parse(viaCache.body).version : viaCache.status}`);
      }
    }
    expect([...new Set(seen)].sort()).toEqual(['current 2.0.0', 'expired 1.0.0', 'none 401']);
    expect(cache.hits).toBe(0);
  });

  it('answers a known license with no statement, on node:http and through Hono', async () => {
    at(0);
    const appId = await licensedApp('steady');
    const { authorization } = await insertLicense(db(), appId, await insertPolicy(db(), appId));
    await publish(appId, '1.0.0', -1);
    const get = (path: string) => fetch(`${baseUrl}${path}`, { headers: { authorization } }).then((r) => r.status);
    expect(await get('/update/steady/linux/x86_64/0.9.0')).toBe(200);
    const index = ctx.deps.licenses.index!;
    const statements = index.statements;
    const loads = ctx.deps.releaseCache.loads;
    for (let i = 0; i < 20; i++) expect(await get(i % 2 ? '/update/steady/linux/x86_64/0.9.0' : '/steady/update/linux-x86_64/1.0.0')).toBe(i % 2 ? 200 : 204);
    expect((await check('steady', '0.9.0', { Authorization: authorization })).status).toBe(200);
    expect([index.statements, ctx.deps.releaseCache.loads]).toEqual([statements, loads]);
  });
});

describe('servers without the settings licensing needs', () => {
  it('answers a licensed app 503 secrets_key_missing without SECRETS_KEY, and never serves it', async () => {
    const bare = await createTestContext();
    try {
      const appId = await insertLicensedApp(bare.database.db, 'needs-key');
      await insertRelease(bare.database.db, appId, { version: '1.0.0', artifacts: linux });
      const refused = await answerOf(await bare.app.request('/update/needs-key/linux/x86_64/0.9.0', { headers: { Authorization: `License ${generateLicenseKey().reveal()}` } }));
      expect([refused.status, refused.code]).toEqual([503, 'secrets_key_missing']);
      const file = await bare.app.request('/download/needs-key/1.0.0/needs-key_1.0.0_linux-x86_64.appimage.bin');
      expect(file.status).toBe(503);
    } finally {
      await bare.close();
    }
  });

  it('counts unknown and malformed keys as failed authentications of the address', async () => {
    const limited = await createTestContext({ env: { SECRETS_KEY: TEST_SECRETS_KEY, RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' } });
    try {
      const appId = await insertLicensedApp(limited.database.db, 'guessed');
      await insertRelease(limited.database.db, appId, { version: '1.0.0', artifacts: linux });
      const attempt = (authorization: string) =>
        Promise.resolve(limited.app.request('/update/guessed/linux/x86_64/0.9.0', { headers: { authorization } })).then((r) => r.status);
      expect(await attempt(`License ${generateLicenseKey().reveal()}`)).toBe(401);
      expect(await attempt('License trl_garbage')).toBe(401);
      expect(await attempt(`License ${generateLicenseKey().reveal()}`)).toBe(401);
      expect(await attempt(`License ${generateLicenseKey().reveal()}`)).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
