/**
 * @module server-limits
 * The limits `npm start`'s node:http server puts on slow and idle clients (http-server.ts), and their defaults, which
 * config.ts lets SERVER_* variables change. Apart from http-server.ts so the config (also read by the Vercel
 * function) does not pull in node:http and the listener.
 */

export interface ServerLimits {
  /** The request line and headers must arrive within this (a slowloris that trickles them gets a 408). */
  headersTimeoutMs: number;
  /** A connection on which nothing moves either way for this long is closed: a stalled upload body or download. */
  idleTimeoutMs: number;
  /** How long a kept-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are dropped as they arrive. */
  maxConnections: number;
  /** How often node looks for connections over `headersTimeoutMs`: the 408 comes up to this much later. */
  checkIntervalMs: number;
}

export const SERVER_LIMITS: Readonly<ServerLimits> = {
  headersTimeoutMs: 20_000,
  // No bound on a whole request (node's `requestTimeout` is off): an upload of a large installer streams for as long
  // as its bytes keep coming; one whose bytes stop is closed by this.
  idleTimeoutMs: 120_000,
  // node's default: long enough for a client's next request, short enough that idle connections do not pile up.
  // Behind a proxy that keeps its connections to this server open longer, raise it (SERVER_KEEP_ALIVE_TIMEOUT_SECONDS)
  // above the proxy's idle timeout, or the proxy reuses a connection this server is closing and its request fails.
  keepAliveTimeoutMs: 5_000,
  // Far above what one machine answering update checks needs at once, below the usual 1024 open files per process
  // once the database, logs and uploads have theirs.
  maxConnections: 900,
  checkIntervalMs: 2_000,
};
