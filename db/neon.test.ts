/**
 * The Neon pool's 'error' log against a real PostgreSQL over the driver's WebSocket (test/support/ws-proxy.ts): our
 * own shutdown logs nothing, even when a socket is cut while it closes, and a connection lost while idle is logged
 * saying what happened.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import { startWsProxy, type WsProxy } from '../test/support/ws-proxy.ts';
import type { DatabaseHandle } from './handle.ts';
import { openNeon } from './neon.ts';

const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

onPostgres('the Neon pool (TEST_DATABASE_URL)', () => {
  let proxy: WsProxy;
  let handle: DatabaseHandle;
  /** Names this pool's sessions on the shared server, so a test ends only its own. */
  let applicationName: string;
  let consoleError: jest.Spied<typeof console.error>;
  beforeEach(async () => {
    proxy = await startWsProxy();
    applicationName = `neon-pool-test-${randomBytes(4).toString('hex')}`;
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.searchParams.set('application_name', applicationName);
    handle = openNeon({ connectionString: url.href, wsProxy: proxy.address, max: 2 });
    // Two statements at once: two connections, both idle in the pool afterwards.
    await Promise.all([sql`select pg_sleep(0.05)`.execute(handle.db), sql`select pg_sleep(0.05)`.execute(handle.db)]);
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(async () => {
    consoleError.mockRestore();
    await handle.close();
    await proxy.close();
  });

  /** The next line the pool logs. */
  const nextLogLine = () => new Promise<string>((resolve) => consoleError.mockImplementation((line: unknown) => resolve(String(line))));

  it('logs nothing when the proxy goes away right after close(), as at the end of a test run', async () => {
    await handle.close();
    await proxy.close(); // cuts any socket still open
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('logs nothing when a socket is cut while the pool is closing it', async () => {
    const closing = handle.close();
    await proxy.close();
    await closing;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('logs an idle connection the server ends, with its message and SQLSTATE', async () => {
    const line = nextLogLine();
    const admin = openNeon({ connectionString: process.env.TEST_DATABASE_URL!, wsProxy: proxy.address, max: 1 });
    try {
      const { rows } = await sql<{ pid: number }>`select pg_terminate_backend(pid), pid from pg_stat_activity
                                                  where application_name = ${applicationName} and state = 'idle'`.execute(admin.db);
      expect(rows).toHaveLength(2);
    } finally {
      await admin.close();
    }
    expect(await line).toBe('database pool error: terminating connection due to administrator command (code 57P01)');
  });

  it('logs an idle connection whose WebSocket is cut, describing the socket event', async () => {
    const line = nextLogLine();
    await proxy.close();
    expect(await line).toMatch(new RegExp(`^database pool error: WebSocket error event on ws://${proxy.address}/v1\\?address=[^ ]+ \\(socket closed\\)`));
  });
});
