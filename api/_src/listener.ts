/**
 * @module listener
 * The control plane as one `node:http` request listener, the same for both entries: `local.ts` (`npm start`)
 * and the Vercel function (`index.ts`, whose Node.js runtime calls a `(req, res)` handler). Cached update checks
 * are answered on node:http (update/node-listener.ts); everything else, and every check that cannot be answered
 * from memory, goes to the Hono app, imported by the first request that needs it. Why the Vercel entry runs the
 * node:http path too: the README's Performance section has the measurement.
 */
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AppDeps } from './deps.ts';
import { loggedError } from './http/logged-error.ts';
import type { ListenerOptions } from './hono-listener.ts';
import { withUpdateChecks } from './update/node-listener.ts';

export function controlPlaneListener(deps: AppDeps, options: ListenerOptions = {}): RequestListener {
  return withUpdateChecks(deps, loadedOnFirstUse(() => import('./hono-listener.ts').then((m) => m.honoListener(deps, options))));
}

/**
 * A listener imported by the first request that reaches it: @hono/node-server alone costs a cold start ~50 ms
 * (it loads Node's fetch implementation), and the routes with their schemas more (`npm run bench:cold-start`).
 * Once loaded, requests go straight to it.
 */
function loadedOnFirstUse(load: () => Promise<RequestListener>): RequestListener {
  let listener: RequestListener | undefined;
  let loading: Promise<RequestListener> | undefined;
  return (req, res) => {
    if (listener) return listener(req, res);
    loading ??= load().then((loaded) => (listener = loaded));
    loading.then(
      (loaded) => loaded(req, res),
      (error: unknown) => {
        loading = undefined;
        console.error(`loading the control plane failed: ${loggedError(error)}`);
        res.writeHead(500, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        res.end(JSON.stringify({ error: { code: 'internal', message: 'the server failed to start; see its log' } }));
      },
    );
  };
}

const CONNECT_REFUSED = JSON.stringify({ error: { code: 'invalid_request', message: 'CONNECT is not supported: this server is not a proxy' } });

/**
 * node:http hands CONNECT requests to the server's 'connect' event, never to the request listener, and drops the
 * socket when nothing listens for it: this answers them with the error body instead (405, `Connection: close`).
 */
export function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  socket.on('error', () => {});
  socket.end(
    'HTTP/1.1 405 Method Not Allowed\r\n' +
      'Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n' +
      'Content-Type: application/json\r\n' +
      'Cache-Control: no-store\r\n' +
      `Content-Length: ${Buffer.byteLength(CONNECT_REFUSED)}\r\n` +
      'Connection: close\r\n\r\n' +
      CONNECT_REFUSED,
  );
}
