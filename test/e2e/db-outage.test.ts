/**
 * The database goes away under a running server (`node api/_src/local.ts`, PostgreSQL through the Neon driver, artifacts
 * and static manifests in a real S3 server with a public base URL) and comes back:
 *
 * - update checks answer 503 fast, one by one and many at once, whether the database refuses connections or the
 *   network silently drops them; the process stays up;
 * - a Tauri client with the recommended endpoints (API first, static CDN file second) falls through to the stored
 *   `latest.json`, which holds the last published state (a rollback included), and downloads and verifies the
 *   artifact from the bucket without the API;
 * - when the database is back, checks answer 200 again by themselves.
 *
 * The database is taken away with a TCP relay this test owns (test/support/tcp-relay.ts) between its own WebSocket
 * proxy and PostgreSQL, never by stopping the machine's PostgreSQL, which other tests use.
 * Runs only with TEST_DATABASE_URL (a PostgreSQL the tests may create databases on); OUTAGE_TIMINGS=1 prints the figures.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../api/_src/config.ts';
import { createStorage } from '../../api/_src/storage/index.ts';
import { artifactKey, staticManifestKey } from '../../api/_src/protocol/storage-keys.ts';
import type { Storage } from '../../api/_src/storage/storage.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type RunningS3rver, startS3rver } from '../support/s3rver.ts';
import { expectStatus, type RunningServer, startServer } from '../support/server.ts';
import { checkForUpdate, type ClientPlatform, downloadAndVerify, generateKeyPair, hasMinisign, type KeyPair, sign } from '../support/tauri.ts';
import { startTcpRelay, type TcpRelay } from '../support/tcp-relay.ts';
import { startWsProxy, type WsProxy } from '../support/ws-proxy.ts';
import { LOAD_TIMEOUT_MS } from '../../api/_src/update/cache.ts';

const APP = 'outage-app';
const CLIENT: ClientPlatform = { target: 'linux', arch: 'x86_64', currentVersion: '0.9.0', bundleType: 'deb' };
/**
 * How fast a check must fail while the database is gone, so the client tries its next endpoint instead of
 * waiting forever (it has no timeout). The server gives up after LOAD_TIMEOUT_MS; the rest is slack for
 * twenty concurrent checks on a loaded 2-core machine.
 */
const FAIL_FAST_MS = LOAD_TIMEOUT_MS + 2_500;
const CHECK_PATH = `/update/${APP}/linux/x86_64/0.9.0?bundle_type=deb`;

(process.env.TEST_DATABASE_URL ? describe : describe.skip)('a database outage under a running server', () => {
  let database: TestDatabase;
  let relay: TcpRelay;
  let proxy: WsProxy;
  let s3: RunningS3rver;
  let storage: Storage;
  let server: RunningServer;
  let dir: string;
  let keys: KeyPair;
  let endpoints: string[];
  let minisign: boolean;
  const debs = new Map<string, Buffer>();

  const timedCheck = async () => {
    const started = performance.now();
    const res = await fetch(`${server.url}${CHECK_PATH}`, { signal: AbortSignal.timeout(30_000) });
    const body = await res.text();
    return { status: res.status, ms: performance.now() - started, body, cacheControl: res.headers.get('cache-control') };
  };

  /** Signs two Linux bundles, puts them in the bucket and registers and publishes them in one CI call. */
  async function release(version: string): Promise<void> {
    const artifacts = [];
    for (const [bundle, fileName] of [['appimage', `${APP}_${version}_amd64.AppImage`], ['deb', `${APP}_${version}_amd64.deb`]] as const) {
      const bytes = randomBytes(64 * 1024);
      if (bundle === 'deb') debs.set(version, bytes);
      const path = join(dir, fileName);
      await writeFile(path, bytes);
      await storage.put(artifactKey(APP, version, fileName), bytes);
      artifacts.push({
        platform: 'linux-x86_64',
        bundle,
        file_name: fileName,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        signature: await sign(path, keys),
      });
    }
    const body = { version, notes: `Release ${version}`, artifacts, auto_publish: true };
    const created = await expectStatus(
      await server.admin(`/ci/apps/${APP}/releases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      201,
    );
    expect(created).toMatchObject({ version, status: 'published' });
  }

  beforeAll(async () => {
    minisign = await hasMinisign();
    dir = await mkdtemp(join(tmpdir(), 'db-outage-'));
    database = await createTestDatabase();
    const postgres = new URL(database.url);
    relay = await startTcpRelay({ host: postgres.hostname, port: Number(postgres.port || 5432) });
    proxy = await startWsProxy({ allow: [relay.address] });
    const viaRelay = new URL(database.url);
    viaRelay.host = relay.address;

    s3 = await startS3rver({ bucket: 'updates' });
    const publicBaseUrl = `${s3.endpoint}/updates`;
    const s3Env = {
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: 'updates',
      S3_ACCESS_KEY_ID: s3.config.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.config.secretAccessKey,
      S3_PUBLIC_BASE_URL: publicBaseUrl,
      S3_FORCE_PATH_STYLE: 'true',
    };
    storage = await createStorage(loadConfig({ DATA_DIR: dir, ...s3Env }));
    server = await startServer({
      // No stale-if-error here: these tests are about what a client does when the API answers 503 (what an app the
      // server holds no snapshot of gets); api/_src/update/outage.test.ts covers the stale answers.
      env: { DATABASE_URL: viaRelay.href, NEON_WS_PROXY: proxy.address, UPDATE_CACHE_TTL_SECONDS: '1', UPDATE_STALE_IF_ERROR_SECONDS: '0', ...s3Env },
    });
    endpoints = [
      `${server.url}/update/${APP}/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`,
      `${publicBaseUrl}/${staticManifestKey(APP, 'stable')}`,
    ];

    keys = await generateKeyPair(dir);
    const app = { slug: APP, name: 'Outage App', public_key: keys.publicKey };
    await expectStatus(await server.admin('/admin/apps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(app) }), 201);
    // 1.1.0 is published and then rolled back: the stored file must hold the state after the rollback.
    await release('1.0.0');
    await release('1.1.0');
    await expectStatus(await server.admin(`/admin/apps/${APP}/releases/1.1.0/archive`, { method: 'POST' }), 200);
  }, 120_000);

  afterAll(async () => {
    relay?.set('up');
    await server?.stop();
    await proxy?.close();
    await relay?.close();
    await s3?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('serves from the API while the database is up, and the stored latest.json already holds the rollback', async () => {
    const outcome = await checkForUpdate(endpoints, CLIENT);
    expect(outcome.kind === 'update' && [outcome.update.version, outcome.attempts.map((a) => a.status)]).toEqual(['1.0.0', [200]]);
    const stored = await fetch(endpoints[1]!);
    expect(stored.status).toBe(200);
    expect(stored.headers.get('content-type')).toBe('application/json');
    expect(stored.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=60, stale-while-revalidate=60');
    const manifest = (await stored.json()) as { version: string; platforms: Record<string, { url: string }> };
    expect(manifest.version).toBe('1.0.0');
    expect(Object.keys(manifest.platforms)).toEqual(['linux-x86_64', 'linux-x86_64-appimage', 'linux-x86_64-deb']);
    expect(manifest.platforms['linux-x86_64-deb']!.url).toBe(`${s3.endpoint}/updates/${APP}/releases/1.0.0/${APP}_1.0.0_amd64.deb`);
    // The API serves the very same file.
    expect(await (await fetch(`${server.url}/${APP}/latest.json`)).json()).toEqual(manifest);
  });

  describe.each([
    ['refuses connections', 'refuse'],
    ['drops packets silently', 'blackhole'],
  ] as const)('when the database %s', (_, state) => {
    it('update checks answer 503 fast, one by one and twenty at once, never cached, and the process stays up', async () => {
      relay.set(state);
      try {
        await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the 1 s cache TTL
        for (let i = 0; i < 3; i++) {
          const check = await timedCheck();
          expect({ status: check.status, cacheControl: check.cacheControl, body: JSON.parse(check.body) }).toEqual({
            status: 503,
            cacheControl: 'no-store',
            body: { error: { code: 'unavailable', message: expect.stringMatching(/unavailable; try again shortly$/) } },
          });
          expect(check.ms).toBeLessThan(FAIL_FAST_MS);
        }
        const burst = await Promise.all(Array.from({ length: 20 }, timedCheck));
        expect(burst.map((check) => check.status)).toEqual(Array(20).fill(503));
        expect(Math.max(...burst.map((check) => check.ms))).toBeLessThan(FAIL_FAST_MS);
        expect(server.child.exitCode).toBeNull();
        if (process.env.OUTAGE_TIMINGS) console.log(state, 'sequential/burst max ms', Math.round(Math.max(...burst.map((check) => check.ms))));
      } finally {
        relay.set('up');
      }
    }, 60_000);

    it('a Tauri client falls through to the stored latest.json and installs the last published release from the bucket', async () => {
      relay.set(state);
      try {
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        const outcome = await checkForUpdate(endpoints, CLIENT);
        if (outcome.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(outcome)}`);
        expect(outcome.attempts.map((a) => a.status)).toEqual([503, 200]);
        expect(outcome.update).toMatchObject({ version: '1.0.0', notes: 'Release 1.0.0', endpoint: endpoints[1] });
        expect(outcome.update.url).toMatch(/_1\.0\.0_amd64\.deb$/);
        const { bytes, verdict } = await downloadAndVerify(outcome.update, keys.publicKey);
        expect(bytes.equals(debs.get('1.0.0')!)).toBe(true);
        if (minisign) expect(verdict.ok).toBe(true);
      } finally {
        relay.set('up');
      }
    }, 60_000);

    it('service resumes by itself once the database is back', async () => {
      relay.set(state);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await timedCheck()).status).toBe(503);
      relay.set('up');
      const back = performance.now();
      let check = await timedCheck();
      while (check.status !== 200 && performance.now() - back < 15_000) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        check = await timedCheck();
      }
      expect(check.status).toBe(200);
      expect(JSON.parse(check.body)).toMatchObject({ version: '1.0.0', url: expect.stringMatching(/_1\.0\.0_amd64\.deb$/) });
      if (process.env.OUTAGE_TIMINGS) console.log(state, 'back after ms', Math.round(performance.now() - back));
      expect(performance.now() - back).toBeLessThan(5_000);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    }, 60_000);
  });
});
