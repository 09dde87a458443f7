import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createServer, type Server, type Socket } from 'node:net';
import { isConnectionError } from '../api/_src/http/errors.ts';
import { testEngines } from '../test/support/postgres.ts';
import { startWsProxy, type WsProxy } from '../test/support/ws-proxy.ts';
import { type DatabaseHandle, openNeon, openPGlite } from './connect.ts';
import { migrateToLatest } from './migrate.ts';
import { CONNECTION_TIMEOUT_MS } from './neon.ts';

describe.each(testEngines)('database on $name', ({ open }) => {
  let database: DatabaseHandle;
  let appId: string;
  beforeAll(async () => {
    database = await open();
    await migrateToLatest(database.db);
    ({ id: appId } = await database.db
      .insertInto('apps')
      .values({ slug: 'int8-app', name: 'Int8' })
      .returning('id')
      .executeTakeFirstOrThrow());
  });
  afterAll(() => database.close());

  it('returns bigint columns and count(*) as JavaScript numbers', async () => {
    const release = await database.db
      .insertInto('releases')
      .values({ app_id: appId, version: '1.0.0' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const size = 5_000_000_000; // beyond int4, still a safe integer
    const artifact = await database.db
      .insertInto('artifacts')
      .values({
        release_id: release.id,
        platform: 'linux-x86_64',
        signature: 'sig',
        storage_key: 'int8-app/releases/1.0.0/a.AppImage',
        file_name: 'a.AppImage',
        size,
        sha256: 'a'.repeat(64),
      })
      .returning(['size'])
      .executeTakeFirstOrThrow();
    expect(artifact.size).toBe(size);

    const audit = await database.db
      .insertInto('audit_log')
      .values({ actor: 'system', action: 'test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(typeof audit.id).toBe('number');

    const { count } = await database.db
      .selectFrom('apps')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    expect(count).toBe(1);
  });

  it('refuses an int8 beyond 2^53 instead of rounding it', async () => {
    await expect(sql`select 9007199254740993::int8 as big`.execute(database.db)).rejects.toThrow(/does not fit/);
  });

  it('reports a unique violation as SQLSTATE 23505', async () => {
    const duplicate = database.db.insertInto('apps').values({ slug: 'int8-app', name: 'again' }).execute();
    await expect(duplicate).rejects.toMatchObject({ code: '23505' });
  });

  it('rolls back a failed transaction', async () => {
    const failing = database.db.transaction().execute(async (trx) => {
      await trx.insertInto('apps').values({ slug: 'rolled-back', name: 'Gone' }).execute();
      throw new Error('abort');
    });
    await expect(failing).rejects.toThrow('abort');
    const row = await database.db.selectFrom('apps').select('id').where('slug', '=', 'rolled-back').executeTakeFirst();
    expect(row).toBeUndefined();
  });
});

describe('an unreachable database fails fast with a recognisable error', () => {
  let closedPort: number;
  let silent: Server;
  const silentSockets = new Set<Socket>();
  let proxy: WsProxy;
  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    // Accepts connections and never answers: a database that hangs rather than refuses.
    silent = createServer((socket) => silentSockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    proxy = await startWsProxy({ allow: [`127.0.0.1:${closedPort}`, `127.0.0.1:${silentPort}`] });
  });
  afterAll(async () => {
    for (const socket of silentSockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await proxy.close();
  });

  async function firstQueryError(connectionString: string, wsProxy: string): Promise<{ error: unknown; ms: number }> {
    const handle = openNeon({ connectionString, wsProxy });
    const started = performance.now();
    try {
      await sql`select 1`.execute(handle.db);
      throw new Error('the query unexpectedly succeeded');
    } catch (error) {
      return { error, ms: performance.now() - started };
    } finally {
      await handle.close().catch(() => {});
    }
  }

  it('when PostgreSQL refuses the connection', async () => {
    const { error, ms } = await firstQueryError(`postgresql://postgres@127.0.0.1:${closedPort}/test`, proxy.address);
    expect(isConnectionError(error)).toBe(true);
    expect(ms).toBeLessThan(5_000);
  });

  it('when the WebSocket endpoint is not there', async () => {
    const { error, ms } = await firstQueryError('postgresql://postgres@127.0.0.1:5432/test', `127.0.0.1:${closedPort}`);
    expect(error).toMatchObject({ message: expect.stringContaining(`could not open the WebSocket to the database`) });
    expect(isConnectionError(error)).toBe(true);
    expect(ms).toBeLessThan(5_000);
  });

  it('when PostgreSQL refuses the session: a FATAL error at connect (no such database) is no query error', async () => {
    const server = new URL(process.env.TEST_DATABASE_URL!);
    server.pathname = '/tauri_release_no_such_database';
    const { error, ms } = await firstQueryError(server.href, process.env.NEON_WS_PROXY!);
    expect(error).toMatchObject({ message: expect.stringContaining('could not connect to the database: database "tauri_release_no_such_database" does not exist (code 3D000)') });
    expect(isConnectionError(error)).toBe(true);
    expect(ms).toBeLessThan(5_000);
  });

  it('when the server accepts but never answers (connectionTimeoutMillis)', async () => {
    const silentPort = (silent.address() as { port: number }).port;
    const { error, ms } = await firstQueryError(`postgresql://postgres@127.0.0.1:${silentPort}/test`, proxy.address);
    expect(isConnectionError(error)).toBe(true);
    expect(ms).toBeGreaterThan(CONNECTION_TIMEOUT_MS - 500);
    expect(ms).toBeLessThan(CONNECTION_TIMEOUT_MS + 3_000);
  });

  it('when the embedded database has been closed, used or not', async () => {
    for (const usedBeforeClose of [true, false]) {
      const handle = await openPGlite();
      if (usedBeforeClose) await sql`select 1`.execute(handle.db);
      await handle.close();
      const error = await sql`select 1`.execute(handle.db).then(
        () => new Error('a query on a closed database succeeded'),
        (e: unknown) => e,
      );
      expect(isConnectionError(error)).toBe(true);
    }
  });
});
