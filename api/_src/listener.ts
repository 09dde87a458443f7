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

/** A raw HTTP/1.1 answer with the one JSON error body, closing the connection. */
function rawErrorAnswer(status: string, code: string, message: string, extraHeaders = ''): string {
  const body = JSON.stringify({ error: { code, message } });
  return (
    `HTTP/1.1 ${status}\r\n${extraHeaders}Content-Type: application/json\r\nCache-Control: no-store\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** What node:http's parser refused, as its default `clientError` handler answers it, with the JSON error body. */
const CLIENT_ERRORS: Record<string, [status: string, code: string, message: string]> = {
  HPE_HEADER_OVERFLOW: ['431 Request Header Fields Too Large', 'invalid_request', 'the request headers are larger than this server accepts (16 KB in all)'],
  ERR_HTTP_REQUEST_TIMEOUT: ['408 Request Timeout', 'invalid_request', 'the request was not received in time'],
};

/**
 * node:http answers a request its parser refuses (headers over 16 KB, a malformed request line, a request sent too
 * slowly) with a bare status line and no body. This answers with the same status and the JSON error body.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? ['400 Bad Request', 'invalid_request', 'the request is not valid HTTP/1.1'];
  socket.end(rawErrorAnswer(status, code, message));
}

const CONNECT_MESSAGE = 'CONNECT is not supported: this server is not a proxy';

/**
 * node:http hands CONNECT requests to the server's 'connect' event, never to the request listener, and drops the
 * socket when nothing listens for it: this answers them with the error body instead (405, `Connection: close`).
 */
export function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  socket.on('error', () => {});
  socket.end(rawErrorAnswer('405 Method Not Allowed', 'invalid_request', CONNECT_MESSAGE, 'Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n'));
}
