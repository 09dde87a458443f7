/**
 * @module http-server
 * The node:http server of `npm start`, with limits on slow and idle clients in place of node's defaults (headers
 * within 60 s, a whole request within 300 s, which cuts a large upload on a slow link, and no cap on connections).
 * The Vercel function has none of this: its platform owns the sockets.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { answerClientError, refuseConnect } from './listener.ts';

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
  // Behind a proxy that keeps its connections to this server open longer, raise it above the proxy's idle timeout.
  keepAliveTimeoutMs: 5_000,
  // Far above what one machine answering update checks needs at once, below the usual 1024 open files per process
  // once the database, logs and uploads have theirs.
  maxConnections: 900,
  checkIntervalMs: 2_000,
};

export function createControlPlaneServer(listener: RequestListener, limits: Readonly<ServerLimits> = SERVER_LIMITS): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    listener,
  );
  server.timeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on('connect', refuseConnect);
  server.on('clientError', answerClientError);
  return server;
}
