/**
 * @module http/continue-on-read
 * `Expect: 100-continue` answered when the body is first read (RFC 9110 §10.1.1), not as soon as the headers arrive.
 * node:http sends `100 Continue` before any route has run unless the server listens for 'checkContinue'; a client
 * that waits for it before sending its body (curl does for bodies over 1 MiB) is then invited to send a whole upload
 * that a bad key, an unknown or a published release refuses. With this, such a refusal goes out alone: the client
 * never sends the body, and node:http closes the connection after the answer (`Connection: close`), since the bytes
 * that would follow on it are a body the client may still send or not.
 *
 * The first `read` of the request is the hook: every way of consuming a Readable goes through it (`'data'`
 * listeners and `resume()` by way of `read(0)`, `'readable'` listeners, `pipe`, the web stream @hono/node-server
 * builds with `Readable.toWeb`), and so does node's own read-ahead once body bytes arrive uninvited (a client whose
 * wait timed out): either way the client is owed its 100 no longer. The Vercel function does not run this server
 * (its platform owns the sockets): there `awaitsContinue` is always false, and refusals are answered as before.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

const awaitingContinue = new WeakSet<object>();

/** The 'checkContinue' listener that hands the request to `listener` with its `100 Continue` owed until it is read. */
export function continuedOnFirstRead(listener: RequestListener): RequestListener {
  return (req, res) => {
    oweContinue(req, res);
    listener(req, res);
  };
}

/** Whether the client of `incoming` still waits for `100 Continue`: it sent `Expect: 100-continue` and nothing read its body. */
export function awaitsContinue(incoming: object | undefined): boolean {
  return incoming !== undefined && awaitingContinue.has(incoming);
}

function oweContinue(req: IncomingMessage, res: ServerResponse): void {
  awaitingContinue.add(req);
  req.read = (size?: number) => {
    Reflect.deleteProperty(req, 'read');
    awaitingContinue.delete(req);
    // Never after the final status (a body drained once the answer is out), nor for a body already whole.
    if (!res.headersSent && !req.complete) res.writeContinue();
    return req.read(size);
  };
}
