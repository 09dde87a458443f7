/**
 * @module pool-shutdown
 * Closing a pg-pool (the Neon driver's Pool), and telling the errors of its own shutdown from failures.
 *
 * pg-pool's `end()` resolves once it has asked each idle client to end, before their sockets have closed. A socket
 * cut while it closes (the other end going away first) then surfaces as a pool 'error' for a client that we were
 * ending ourselves: pg ignores such a reset on a plain TCP socket while ending (ECONNRESET, EPIPE), but the driver's
 * WebSocket reports it as an ErrorEvent, which has no code to ignore it by. The same holds for a client pg-pool
 * ends when its idle timeout passes.
 */

interface PgClient {
  /** Set by pg's `Client.end()`. */
  _ending?: boolean;
  prependListener(event: 'error', listener: () => void): unknown;
}

interface ClientEvents {
  on(event: 'connect' | 'remove', listener: (client: PgClient) => void): unknown;
}

/** A close handshake on a live connection takes a round trip; a socket lost in a partition is not waited for. */
export const SOCKET_CLOSE_WAIT_MS = 2_000;

export interface PoolShutdown {
  /** True when the client's error came while it was being ended (by `pool.end()` or its idle timeout). */
  endedByUs(client: unknown): boolean;
  /** Waits until every client's socket has closed (pg-pool's 'remove', once `end()` has finished), at most `waitMs`. */
  untilClosed(): Promise<void>;
}

export function watchPoolShutdown(pool: ClientEvents, waitMs = SOCKET_CLOSE_WAIT_MS): PoolShutdown {
  const open = new Set<PgClient>();
  const cutWhileEnding = new WeakSet<PgClient>();
  const waiting = new Set<() => void>();
  pool.on('connect', (client) => {
    open.add(client);
    // First in line: pg-pool's own listener ends the client before it passes the error on to the pool, so by the
    // time the pool emits it every client looks as if we were ending it.
    client.prependListener('error', () => {
      if (client._ending) cutWhileEnding.add(client);
    });
  });
  pool.on('remove', (client) => {
    open.delete(client);
    if (open.size === 0) for (const done of waiting) done();
  });
  return {
    endedByUs: (client) => cutWhileEnding.has(client as PgClient),
    untilClosed: () =>
      new Promise<void>((resolve) => {
        if (open.size === 0) return resolve();
        const done = () => {
          clearTimeout(timer);
          waiting.delete(done);
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        waiting.add(done);
      }),
  };
}
