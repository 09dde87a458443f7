/**
 * @module http/refused-upload
 * How an upload route (the admin multipart upload, the CI filesystem PUT) answers a refusal while the client may
 * still be sending the file, whether the refusal came before the body was read (a bad key, an unknown release, a
 * published one) or in the middle of it (a bad field, a refused signature, too many bytes).
 *
 * Closing a socket with unread bytes makes the kernel reset it: a client still writing then sees EPIPE or
 * ECONNRESET, and one that reads only after sending the whole body (Python's http.client, Java's
 * HttpURLConnection) never sees the answer. So `answerRefusedUploads`, mounted ahead of everything else on those
 * routes, first reads and drops a small rest (`DISCARD_LIMITS`): a body that ends within it leaves the connection
 * reusable. Past that bound the answer goes out with `Connection: close` (curl stops sending on it), and the
 * response stays open while the rest is read and dropped (`LINGER_LIMITS`, nginx's lingering close), so the
 * connection closes only once the client has stopped sending.
 *
 * Every reader of an upload's body takes it from `uploadBody`, so what a route left unread is drained here.
 * A client still waiting for `100 Continue` (`Expect: 100-continue`, http/continue-on-read.ts) has sent no body: it
 * gets the refusal alone, without a body read that would invite the upload, and the connection closes after it.
 */
import type { MiddlewareHandler } from 'hono';
import { Readable } from 'node:stream';
import { awaitsContinue } from './continue-on-read.ts';
import { loggedError } from './logged-error.ts';

/** Read and dropped before a refusal is answered; a body that ends within this keeps the connection usable. */
export const DISCARD_LIMITS = { maxBytes: 1024 * 1024, maxMs: 2_000 } as const;

/**
 * Read and dropped after a refusal was answered with `Connection: close`, before the connection closes: the
 * client has the answer, and one that reads only after sending gets to finish its body. Past either bound the
 * connection is closed anyway. The bytes bound is @hono/node-server's own (`MAX_DRAIN_BYTES`), the time nginx's
 * `lingering_time`.
 */
export const LINGER_LIMITS = { maxBytes: 64 * 1024 * 1024, maxMs: 30_000 } as const;

export interface DiscardLimits {
  maxBytes: number;
  maxMs: number;
}

/** What @hono/node-server hands the app as its env: the node:http request, when there is one. */
type NodeEnv = { incoming?: object } | undefined;

const bodies = new WeakMap<Request, Readable>();

/** The request's body as one Node stream, the same for every caller; null when it has none or was read elsewhere. */
export function uploadBody(request: Request): Readable | null {
  const known = bodies.get(request);
  if (known) return known;
  const body = request.body;
  if (!body || body.locked) return null;
  const source = Readable.fromWeb(body as never);
  bodies.set(request, source);
  return source;
}

/** Reads and drops what is left of `source` within `limits`; whether it reached the end. */
export function discardRest(source: Readable, limits: DiscardLimits = DISCARD_LIMITS): Promise<boolean> {
  if (source.readableEnded) return Promise.resolve(true);
  // A client that went away: nothing more will come, so there is nothing to wait for.
  if (source.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let read = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      source.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (!ended) source.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > limits.maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = () => finish(false);
    const onClose = () => finish(source.readableEnded);
    const timer = setTimeout(() => finish(false), limits.maxMs);
    source.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
    source.resume();
  });
}

/**
 * Middleware for an upload route: a refusal (any status from 400) whose body was not read to its end is answered
 * as the module comment says. Mounted before authentication, so a refused key is answered the same way.
 */
export const answerRefusedUploads: MiddlewareHandler = async (c, next) => {
  await next();
  if (c.res.status < 400) return;
  if (awaitsContinue((c.env as NodeEnv)?.incoming)) return;
  const source = uploadBody(c.req.raw);
  if (!source || (await discardRest(source, DISCARD_LIMITS))) return;
  c.res = await answeredThenLingering(c.res, source);
};

/** `answer` with `Connection: close`, its body sent at once and the response ended once the rest was dropped. */
async function answeredThenLingering(answer: Response, source: Readable): Promise<Response> {
  const bytes = new Uint8Array(await answer.arrayBuffer());
  const headers = new Headers(answer.headers);
  headers.set('Connection', 'close');
  // With its length known the client has the whole answer at once, however long the response stays open.
  headers.set('Content-Length', String(bytes.byteLength));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
    },
    async pull(controller) {
      await discardRest(source, LINGER_LIMITS);
      controller.close();
    },
  });
  return new Response(body, { status: answer.status, headers });
}

/**
 * Runs the cleanup that follows a refused or failed upload (deleting what was stored of it). Its own failure is
 * logged, without the data it carried, and does not replace the refusal the client is owed.
 */
export async function cleanUpAfterRefusal(what: string, cleanup: () => Promise<unknown>): Promise<void> {
  try {
    await cleanup();
  } catch (error) {
    console.error(`${what} failed after a refused upload (the refusal is answered): ${loggedError(error)}`);
  }
}
