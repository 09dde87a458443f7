import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { watchPoolShutdown } from './pool-shutdown.ts';

class FakeClient extends EventEmitter {
  _ending = false;
}

/** pg-pool's part: a connected client, whose 'error' it handles by ending the client and re-emitting on the pool. */
function connect(pool: EventEmitter): FakeClient {
  const client = new FakeClient();
  client.on('error', (error: unknown) => {
    client._ending = true;
    pool.emit('error', error, client);
  });
  pool.emit('connect', client);
  return client;
}

describe('watchPoolShutdown', () => {
  it('tells an error on a client being ended from one on a live client, though the pool ends both before it emits', () => {
    const pool = new EventEmitter();
    const shutdown = watchPoolShutdown(pool);
    const seen: boolean[] = [];
    pool.on('error', (_error: unknown, client: unknown) => seen.push(shutdown.endedByUs(client)));
    const live = connect(pool);
    const ending = connect(pool);
    ending._ending = true;

    live.emit('error', new Error('Connection terminated unexpectedly'));
    ending.emit('error', { type: 'error', target: {} });
    expect(seen).toEqual([false, true]);
    expect(shutdown.endedByUs(undefined)).toBe(false);
  });

  it('waits until every client has been removed, and no longer than its bound', async () => {
    const pool = new EventEmitter();
    const shutdown = watchPoolShutdown(pool, 200);
    await shutdown.untilClosed(); // nothing open

    const [a, b] = [connect(pool), connect(pool)];
    let closed = false;
    const closing = shutdown.untilClosed().then(() => (closed = true));
    pool.emit('remove', a);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(false);
    pool.emit('remove', b);
    await closing;

    connect(pool); // never removed: a socket lost in a partition
    const started = performance.now();
    await shutdown.untilClosed();
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });
});
