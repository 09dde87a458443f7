/**
 * Update checks when the database cannot be reached: 503 at once, `no-store`, nothing cached, and
 * service back as soon as the database is. Kept apart from other tests because the Neon driver's
 * WebSocket proxy setting is global to the module, and these tests point it at proxies of their own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, createDeps } from '../app.ts';
import { loadConfig } from '../config.ts';
import { FileSystemStorage } from '../storage/fs.ts';
import { openNeon, openPGlite } from '../../../db/connect.ts';
import { migrateToLatest } from '../../../db/migrate.ts';
import { openFreshPostgres } from '../../../test/support/postgres.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { startWsProxy, type WsProxy } from '../../../test/support/ws-proxy.ts';

const linux = [{ platform: 'linux-x86_64', bundle: 'appimage' }];
const CHECK = '/update/outage/linux/x86_64/0.1.0';
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
  const broken = await openPGlite();
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

  const working = await openPGlite();
  try {
    await migrateToLatest(working.db);
    await insertRelease(working.db, await insertApp(working.db, 'outage'), { version: '1.0.0', artifacts: linux });
    const healed = createApp(createDeps(configWithTtl(60), working.db, storage));
    expect((await healed.request(CHECK)).status).toBe(200);
  } finally {
    await working.close();
  }
});

describe('over the Neon driver', () => {
  let proxy: WsProxy;
  let refused: number;
  beforeAll(async () => {
    refused = await closedPort();
    proxy = await startWsProxy({ allow: [`127.0.0.1:${refused}`] });
  });
  afterAll(() => proxy.close());

  it('answers 503 within seconds when PostgreSQL refuses, on every check', async () => {
    const dead = openNeon({ connectionString: `postgresql://postgres@127.0.0.1:${refused}/test`, wsProxy: proxy.address });
    try {
      const deps = createDeps(configWithTtl(60), dead.db, storage);
      const app = createApp(deps);
      for (const path of [CHECK, '/outage/update/linux-x86_64/0.1.0']) {
        const started = performance.now();
        await expectUnavailable(await app.request(path));
        expect(performance.now() - started).toBeLessThan(5_000);
      }
      expect(deps.releaseCache.loads).toBe(2);
    } finally {
      await dead.close().catch(() => {});
    }
  });
});

/** A TCP relay to PostgreSQL that can be switched off (every connection cut) and on again. */
async function startSwitchableRelay(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let up = true;
  const server: Server = createServer((client) => {
    if (!up) return client.destroy();
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    down() {
      up = false;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      up = true;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

(process.env.TEST_DATABASE_URL ? describe : describe.skip)('a PostgreSQL that goes away and comes back', () => {
  const target = new URL(process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test');
  const targetAddress = `${target.hostname}:${target.port || '5432'}`;
  let relay: Awaited<ReturnType<typeof startSwitchableRelay>>;
  let proxy: WsProxy;
  let savedProxy: string | undefined;
  let fresh: Awaited<ReturnType<typeof openFreshPostgres>>;
  let relayed: ReturnType<typeof openNeon>;

  beforeAll(async () => {
    relay = await startSwitchableRelay({ host: target.hostname, port: Number(target.port || 5432) });
    proxy = await startWsProxy({ allow: [targetAddress, `127.0.0.1:${relay.port}`] });
    // One proxy for both handles: the driver's proxy setting is global, so the fresh database must use it too.
    savedProxy = process.env.NEON_WS_PROXY;
    process.env.NEON_WS_PROXY = proxy.address;
    fresh = await openFreshPostgres();
    await migrateToLatest(fresh.db);
    await insertRelease(fresh.db, await insertApp(fresh.db, 'outage'), { version: '1.0.0', artifacts: linux });
    const { name } = (await fresh.db.selectNoFrom((eb) => eb.fn<string>('current_database').as('name')).executeTakeFirstOrThrow());
    const url = new URL(target);
    url.host = `127.0.0.1:${relay.port}`;
    url.pathname = `/${name}`;
    relayed = openNeon({ connectionString: url.href, wsProxy: proxy.address, connectionTimeoutMillis: 2_000 });
  });
  afterAll(async () => {
    await relayed?.close().catch(() => {});
    await fresh?.close();
    if (savedProxy === undefined) delete process.env.NEON_WS_PROXY;
    else process.env.NEON_WS_PROXY = savedProxy;
    await proxy?.close();
    await relay?.close();
  });

  // Also proves a connection lost mid-query does not crash the process (an 'error' event with no listener).
  it('serves, answers 503 while the database is gone, and serves again from the same cache', async () => {
    const deps = createDeps(configWithTtl(0), relayed.db, storage);
    const app = createApp(deps);
    expect((await app.request(CHECK)).status).toBe(200);

    relay.down();
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      await expectUnavailable(await app.request(CHECK));
      expect(performance.now() - started).toBeLessThan(5_000);
    }

    relay.up();
    expect((await app.request(CHECK)).status).toBe(200);
    expect(deps.releaseCache.loads).toBe(4);
  });
});
