/**
 * @module http-server
 * The node:http server of `npm start`, with limits on slow and idle clients in place of node's defaults (headers
 * within 60 s, a whole request within 300 s, which cuts a large upload on a slow link, and no cap on connections):
 * `SERVER_LIMITS` (server-limits.ts), or those the configuration sets; and `100 Continue` sent only to a client whose
 * body is read (http/continue-on-read.ts).
 * The Vercel function has none of this: its platform owns the sockets.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { continuedOnFirstRead } from './http/continue-on-read.ts';
import { answerClientError, refuseConnect } from './listener.ts';
import { SERVER_LIMITS, type ServerLimits } from './server-limits.ts';

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
  // `Expect: 100-continue` is answered when the body is first read, so a refusal never invites the upload it refuses.
  server.on('checkContinue', continuedOnFirstRead(listener));
  server.on('connect', refuseConnect);
  server.on('clientError', answerClientError);
  return server;
}
