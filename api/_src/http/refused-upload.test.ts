/**
 * Upload refusals over real HTTP (the control plane's node:http listener), sent by a client that streams a
 * multi-MiB body slowly and reads nothing until it has sent all of it, as Python's http.client and Java's
 * HttpURLConnection do. Refused before the body is read (a bad key, an unknown or published release, an unknown
 * CI upload URL) or during it (a bad field), it gets the JSON refusal, never a reset.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { createRelease } from '../admin/release-testing.ts';
import { insertApp, insertRelease } from '../admin/testing.ts';
import { controlPlaneListener } from '../listener.ts';

const MIB = 1024 * 1024;
/** Past both the 1 MiB read before answering and @hono/node-server's own 500 ms drain. */
const BODY_BYTES = 6 * MIB;
const CHUNK_BYTES = 64 * 1024;
const CHUNK_EVERY_MS = 10;

interface Outcome {
  /** The whole answer as read after sending: status line, headers and body. */
  answer: string;
  /** The socket error that cut the exchange (EPIPE, ECONNRESET), if any. */
  error: string | null;
  /** Short of the body's size when the server closed the connection first: a real client's next write fails. */
  sent: number;
}

/**
 * Sends `head` (request line and headers) and a body of `size` bytes starting with `prefix`, a chunk every
 * CHUNK_EVERY_MS, then waits for the server to close. What arrives meanwhile is kept, as a kernel would keep it
 * for a client that reads only once it has sent everything; what matters is whether a write or the read fails.
 */
function sendWholeBodyThenRead(port: number, head: string, prefix: string, size: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let error: string | null = null;
    let sent = 0;
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (failure: NodeJS.ErrnoException) => (error ??= failure.code ?? failure.message));
    const giveUp = setTimeout(() => socket.destroy(), 20_000);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ answer: Buffer.concat(received).toString('utf8'), error, sent });
    });
    socket.write(head + prefix);
    sent = Buffer.byteLength(prefix);
    const chunk = Buffer.alloc(CHUNK_BYTES, 'x');
    const timer = setInterval(() => {
      if (socket.destroyed || sent >= size) return clearInterval(timer);
      const piece = chunk.subarray(0, Math.min(CHUNK_BYTES, size - sent));
      socket.write(piece);
      sent += piece.length;
    }, CHUNK_EVERY_MS);
  });
}

function parseAnswer(answer: string): { status: number; headers: string; body: any } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head.toLowerCase(), body: body ? JSON.parse(body) : null };
}

describe('a refused upload, to a client that sends its whole body before reading', () => {
  let ctx: TestContext;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    ctx = await createTestContext();
    const appId = await insertApp(ctx, 'my-app');
    await createRelease(ctx, 'my-app', '1.0.0');
    await insertRelease(ctx, appId, '0.9.0', 'published');
    server = createServer(controlPlaneListener(ctx.deps));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ctx.close();
  });

  const multipart = (field: string) =>
    `--b\r\nContent-Disposition: form-data; name="platform"\r\n\r\n${field}\r\n` +
    `--b\r\nContent-Disposition: form-data; name="file"; filename="my-app_1.0.0_amd64.AppImage"\r\n\r\n`;
  const adminUpload = (release: string, auth: string) =>
    `POST /admin/apps/my-app/releases/${release}/artifacts HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\n` +
    `Content-Type: multipart/form-data; boundary=b\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`;

  it.each([
    ['an unknown release', () => adminUpload('9.9.9', ctx.adminAuth), multipart('linux-x86_64'), 404, 'not_found'],
    ['a published release', () => adminUpload('0.9.0', ctx.adminAuth), multipart('linux-x86_64'), 409, 'conflict'],
    ['an unknown API key', () => adminUpload('1.0.0', 'Bearer trk_unknown'), multipart('linux-x86_64'), 401, 'unauthorized'],
    ['a bad field before the file (refused mid-body)', () => adminUpload('1.0.0', ctx.adminAuth), multipart('nope'), 400, 'invalid_request'],
    [
      'an unknown CI upload URL',
      () => `PUT /ci/uploads/00000000-0000-4000-8000-000000000000?token=nope HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`,
      '',
      403,
      'forbidden',
    ],
  ])('gets the JSON refusal for %s, not a reset', async (_case, head, prefix, status, code) => {
    const outcome = await sendWholeBodyThenRead(port, head(), prefix, BODY_BYTES);
    expect({ error: outcome.error, sent: outcome.sent }).toEqual({ error: null, sent: BODY_BYTES });
    const answer = parseAnswer(outcome.answer);
    expect(answer.status).toBe(status);
    expect(answer.headers).toContain('connection: close');
    expect(answer.body.error.code).toBe(code);
  });

});
