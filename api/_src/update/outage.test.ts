/**
 * Update checks when the database cannot be reached: apps with a snapshot keep being answered from it
 * (stale-if-error), others get a 503 (`no-store`, `Retry-After`) within the load bound, never a 500, and
 * service is back as soon as the database is. Kept apart from other tests because the Neon driver's
 * WebSocket proxy setting is global to the module, and these tests point it at proxies of their own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../app.ts';
import { createDeps } from '../create-deps.ts';
import { loadConfig } from '../config.ts';
import { FileSystemStorage } from '../storage/fs.ts';
import { openNeon } from '../../../db/connect.ts';
import { migrateToLatest } from '../../../db/migrate.ts';
import { openTestPGlite } from '../../../test/support/pglite-template.ts';
import { openFreshPostgres } from '../../../test/support/postgres.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { startTcpRelay, type TcpRelay } from '../../../test/support/tcp-relay.ts';
import { startWsProxy, type WsProxy } from '../../../test/support/ws-proxy.ts';
import { UNAVAILABLE_RETRY_AFTER_SECONDS, UnavailableError } from '../http/api-error.ts';
import { controlPlaneListener } from '../listener.ts';
import { READY_TIMEOUT_MS } from '../service/routes.ts';
import { CONNECTION_TIMEOUT_MS } from '../../../db/neon.ts';
import { LOAD_TIMEOUT_MS, REFRESH_AHEAD_MS, ReleaseCache, STALE_RETRY_MS } from './cache.ts';

const linux = [{ platform: 'linux-x86_64', bundle: 'appimage' }];
const CHECK = '/update/outage/linux/x86_64/0.1.0';
const ADMIN_TOKEN = 'outage-admin-token-0123456789abcdef';
let dataDir: string;
let storage: FileSystemStorage;

const configWithTtl = (seconds: number) =>
  loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'http://updates.test', UPDATE_CACHE_TTL_SECONDS: String(seconds) });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tauri-release-outage-'));
  storage = new FileSystemStorage(dataDir);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function expectUnavailable(response: Response): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('retry-after')).toBe(String(UNAVAILABLE_RETRY_AFTER_SECONDS));
  expect(await response.json()).toEqual({ error: { code: 'unavailable', message: 'the database is unavailable; try again shortly' } });
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

it('answers 503 for a closed embedded database, caches nothing, and a working database serves again', async () => {
  const broken = await openTestPGlite();
  await migrateToLatest(broken.db);
  await insertRelease(broken.db, await insertApp(broken.db, 'outage'), { version: '1.0.0', artifacts: linux });
  await broken.close();

  const deps = createDeps(configWithTtl(60), broken.db, storage);
  const app = createApp(deps);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const started = performance.now();
    await expectUnavailable(await app.request(CHECK));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(deps.releaseCache.loads).toBe(attempt);
    expect(deps.releaseCache.peek('outage')).toBeUndefined();
  }
  const download = await app.request('/download/outage/1.0.0/x.AppImage');
  await expectUnavailable(download);

  const working = await openTestPGlite();
  try {
    await migrateToLatest(working.db);
    await insertRelease(working.db, await insertApp(working.db, 'outage'), { version: '1.0.0', artifacts: linux });
    const healed = createApp(createDeps(configWithTtl(60), working.db, storage));
    expect((await healed.request(CHECK)).status).toBe(200);
  } finally {
    await working.close();
  }
});

it('answers from the last snapshot while the database is gone, until the snapshot is older than the stale-if-error limit', async () => {
  const database = await openTestPGlite();
  await migrateToLatest(database.db);
  await insertRelease(database.db, await insertApp(database.db, 'outage'), { version: '1.0.0', artifacts: linux });
  const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'http://updates.test', UPDATE_CACHE_TTL_SECONDS: '15', UPDATE_STALE_IF_ERROR_SECONDS: '60' });
  const clock = { now: 1_000_000 };
  const cache = new ReleaseCache(database.db, storage, config, { now: () => clock.now });
  const loaded = await cache.get('outage');
  expect(await cache.get('unknown-app')).toBeNull();
  await database.close();

  clock.now += 16_000; // past the TTL: the next check must ask the database, which is gone
  expect(cache.peek('outage')).toBeUndefined();
  expect(await cache.get('outage')).toBe(loaded);
  expect([cache.loads, cache.staleAnswers]).toEqual([3, 1]);
  // Then from memory, with no load, until the retry interval has passed.
  clock.now += STALE_RETRY_MS - REFRESH_AHEAD_MS - 1;
  expect(cache.peek('outage')).toBe(loaded);
  expect(cache.loads).toBe(3);
  clock.now += 1; // a background retry starts, and fails
  expect(cache.peek('outage')).toBe(loaded);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect([cache.loads, cache.staleAnswers]).toEqual([4, 2]);
  // A remembered absence is not served stale.
  await expect(cache.get('unknown-app')).rejects.toBeInstanceOf(UnavailableError);

  clock.now = 1_000_000 + 60_000; // the snapshot is now as old as the limit
  await expect(cache.get('outage')).rejects.toBeInstanceOf(UnavailableError);
  expect(cache.peek('outage')).toBeUndefined();
});

it('keeps a snapshot an admin or CI change expired as the stale-if-error answer', async () => {
  const database = await openTestPGlite();
  await migrateToLatest(database.db);
  const appId = await insertApp(database.db, 'outage');
  await insertRelease(database.db, appId, { version: '1.0.0', artifacts: linux });
  const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'http://updates.test', UPDATE_CACHE_TTL_SECONDS: '60' });
  const cache = new ReleaseCache(database.db, storage, config);
  const loaded = await cache.get('outage');
  cache.invalidate(appId); // e.g. a draft created on this instance
  expect(cache.peek('outage')).toBeUndefined(); // the next check reads the database
  await database.close();

  expect(await cache.get('outage')).toBe(loaded);
  expect([cache.loads, cache.staleAnswers]).toEqual([2, 1]);
});

describe('over the Neon driver', () => {
  let proxy: WsProxy;
  let refused: number;
  beforeAll(async () => {
    refused = await closedPort();
    proxy = await startWsProxy({ allow: [`127.0.0.1:${refused}`] });
  });
  afterAll(() => proxy.close());

  it('answers 503 within the load bound when PostgreSQL refuses, on every check', async () => {
    const dead = openNeon({ connectionString: `postgresql://postgres@127.0.0.1:${refused}/test`, wsProxy: proxy.address });
    try {
      const deps = createDeps(configWithTtl(60), dead.db, storage);
      const app = createApp(deps);
      for (const path of [CHECK, '/outage/update/linux-x86_64/0.1.0']) {
        const started = performance.now();
        await expectUnavailable(await app.request(path));
        expect(performance.now() - started).toBeLessThan(LOAD_TIMEOUT_MS + 1_000);
      }
      expect(deps.releaseCache.loads).toBe(2);
    } finally {
      await dead.close().catch(() => {});
    }
  });
});

(process.env.TEST_DATABASE_URL ? describe : describe.skip)('a PostgreSQL that is cut or hangs under a running server', () => {
  const target = new URL(process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test');
  const targetAddress = `${target.hostname}:${target.port || '5432'}`;
  /** Statements on a silently cut connection give up after this (the production default is QUERY_TIMEOUT_MS). */
  const QUERY_TIMEOUT = 3_000;
  /** Slack for a loaded 2-core machine. */
  const SLACK_MS = 1_000;
  let relay: TcpRelay;
  let proxy: WsProxy;
  let savedProxy: string | undefined;
  let fresh: Awaited<ReturnType<typeof openFreshPostgres>>;
  let relayed: ReturnType<typeof openNeon>;
  let deps: ReturnType<typeof createDeps>;
  let server: HttpServer;
  let base: string;

  const timed = async (path: string, init?: RequestInit) => {
    const started = performance.now();
    const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    return { status: res.status, ms: performance.now() - started, text, retryAfter: res.headers.get('retry-after') };
  };
  const check = (slug: string) => timed(`/update/${slug}/linux/x86_64/0.1.0`);

  beforeAll(async () => {
    relay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 5432) });
    proxy = await startWsProxy({ allow: [targetAddress, relay.address] });
    // One proxy for both handles: the driver's proxy setting is global, so the fresh database must use it too.
    savedProxy = process.env.NEON_WS_PROXY;
    process.env.NEON_WS_PROXY = proxy.address;
    fresh = await openFreshPostgres();
    await migrateToLatest(fresh.db);
    await insertRelease(fresh.db, await insertApp(fresh.db, 'outage'), { version: '1.0.0', artifacts: linux });
    await insertApp(fresh.db, 'quiet');
    await insertRelease(fresh.db, await insertApp(fresh.db, 'cold'), { version: '2.0.0', artifacts: linux });
    const { name } = await fresh.db.selectNoFrom((eb) => eb.fn<string>('current_database').as('name')).executeTakeFirstOrThrow();
    const url = new URL(target);
    url.host = relay.address;
    url.pathname = `/${name}`;
    relayed = openNeon({ connectionString: url.href, wsProxy: proxy.address, queryTimeoutMillis: QUERY_TIMEOUT });
  }, 60_000);
  afterAll(async () => {
    relay?.set('up');
    await relayed?.close().catch(() => {});
    await fresh?.close();
    if (savedProxy === undefined) delete process.env.NEON_WS_PROXY;
    else process.env.NEON_WS_PROXY = savedProxy;
    await proxy?.close();
    await relay?.close();
  }, 60_000);

  // Also proves a connection lost mid-query does not crash the process (an 'error' event with no listener).
  it.each([
    ['refuses connections (cut)', 'refuse'],
    ['accepts and never answers (hung)', 'blackhole'],
  ] as const)('when it %s: cached apps answer from their last snapshot, an uncached one 503s in time, none 500s, and all recover', async (_, state) => {
    // A server of its own per round, so each starts with nothing cached.
    const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'http://updates.test', UPDATE_CACHE_TTL_SECONDS: '1', ADMIN_TOKEN });
    deps = createDeps(config, relayed.db, storage);
    server = createHttpServer(controlPlaneListener(deps));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      await survivesOutage(state);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 90_000);

  async function survivesOutage(state: 'refuse' | 'blackhole'): Promise<void> {
    const served = await check('outage');
    expect(served.status).toBe(200);
    expect((await check('quiet')).status).toBe(204);
    relay.set(state);
    const statuses: number[] = [];
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the 1 s TTL
      for (let round = 0; round < 2; round++) {
        const [cached, empty, uncached] = await Promise.all([check('outage'), check('quiet'), check('cold')]);
        statuses.push(cached.status, empty.status, uncached.status);
        expect([cached.status, cached.text]).toEqual([200, served.text]);
        expect(empty.status).toBe(204);
        expect(uncached.status).toBe(503);
        expect(uncached.retryAfter).toBe(String(UNAVAILABLE_RETRY_AFTER_SECONDS));
        for (const answer of [cached, empty, uncached]) expect(answer.ms).toBeLessThan(LOAD_TIMEOUT_MS + SLACK_MS);
      }
      // Answered from memory now, many at once.
      const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => check(i % 2 ? 'outage' : 'quiet')));
      statuses.push(...burst.map((answer) => answer.status));
      expect(burst.map((answer) => answer.status)).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? 200 : 204)));
      expect(deps.releaseCache.staleAnswers).toBeGreaterThan(0);

      const ready = await timed('/readyz');
      statuses.push(ready.status);
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.text).checks.database).toMatchObject({ status: 'unavailable' });
      expect(ready.text).not.toContain(relay.address);
      expect(ready.ms).toBeLessThan(READY_TIMEOUT_MS + SLACK_MS);

      const admin = await timed('/admin/apps', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      statuses.push(admin.status);
      expect([admin.status, admin.retryAfter]).toEqual([503, String(UNAVAILABLE_RETRY_AFTER_SECONDS)]);
      expect(admin.ms).toBeLessThan(Math.max(CONNECTION_TIMEOUT_MS, QUERY_TIMEOUT) + SLACK_MS);
    } finally {
      relay.set('up');
    }
    expect(statuses).not.toContain(500);

    // Back without a restart: the uncached app is served, and the cached one is read again.
    const back = performance.now();
    let cold = await check('cold');
    while (cold.status !== 200 && performance.now() - back < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      cold = await check('cold');
    }
    expect(cold.status).toBe(200);
    const loads = deps.releaseCache.loads;
    await new Promise((resolve) => setTimeout(resolve, STALE_RETRY_MS)); // the stale answer's retry interval
    expect((await check('outage')).status).toBe(200);
    expect(deps.releaseCache.loads).toBeGreaterThan(loads);
    expect((await timed('/readyz')).status).toBe(200);
  }
});
