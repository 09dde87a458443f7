/**
 * Upload refusals over real HTTP (the control plane's node:http listener), sent by a client that streams a
 * multi-MiB body slowly and reads nothing until it has sent all of it, as Python's http.client and Java's
 * HttpURLConnection do. Refused before the body is read (a bad key, an unknown or published release, an unknown
 * CI upload URL) or during it (a bad field), it gets the JSON refusal, never a reset. And a refused upload whose
 * cleanup fails still answers the refusal.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { generateKeyPair } from '../../../test/support/tauri.ts';
import { finalAnswer } from '../../../test/support/raw-http.ts';
import { createRelease } from '../admin/release-testing.ts';
import { call, insertApp, insertRelease } from '../admin/testing.ts';
import { declare, signedArtifact } from '../ci/testing.ts';
import { controlPlaneListener } from '../listener.ts';
import type { CiUploadResponse } from '../protocol/ci.ts';

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

describe('a refused upload, to a client that sends its whole body before reading', () => {
  let ctx: TestContext;
  let server: Server;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    dir = await mkdtemp(join(tmpdir(), 'refused-upload-'));
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
    await rm(dir, { recursive: true, force: true });
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
    const answer = finalAnswer(outcome.answer);
    expect(answer.status).toBe(status);
    expect(answer.headers).toContain('connection: close');
    expect(answer.body.error.code).toBe(code);
  });

  it('answers the CI PUT\'s 413 when removing the partial file fails, and logs that failure', async () => {
    const key = await generateKeyPair(dir);
    await ctx.database.db.updateTable('apps').set({ public_key: key.publicKey }).where('slug', '=', 'my-app').execute();
    const file = await signedArtifact(dir, key, 'my-app_1.0.0_amd64.deb', randomBytes(256 * 1024), '1.0.0');
    const requested = await call<CiUploadResponse>(ctx, 'POST', '/ci/apps/my-app/releases/1.0.0/uploads', { body: declare('linux-x86_64', file) });
    expect(requested.status).toBe(201);
    const target = new URL((requested.body.target as { url: string }).url);
    const folder = join(ctx.dataDir, 'objects', 'my-app', 'releases', '1.0.0', 'uploads', requested.body.upload_id);
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const put = request({ host: '127.0.0.1', port, method: 'PUT', path: `${target.pathname}${target.search}` }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (text: string) => (body += text)).on('end', () => resolve({ status: res.statusCode!, body }));
        });
        put.on('error', reject);
        put.write(file.bytes.subarray(0, 128 * 1024));
        // Once the partial file exists, a directory takes its place: removing it (rm without recursive) fails,
        // as an unlink refused by the disk or its permissions would.
        void (async () => {
          let partial: string | undefined;
          for (const deadline = Date.now() + 10_000; !partial && Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
            partial = (await readdir(folder).catch(() => [] as string[])).find((name) => name.startsWith('.upload-'));
          }
          if (!partial) return reject(new Error('the partial upload never appeared'));
          await rm(join(folder, partial));
          await mkdir(join(folder, partial));
          await writeFile(join(folder, partial, 'keep'), 'x');
          put.end(Buffer.alloc(256 * 1024, 'y')); // over the declared size
        })();
      });
      const refused = await answer;
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body).error.code).toBe('payload_too_large');
      expect(logged.mock.calls.map((args) => String(args[0]))).toEqual([expect.stringContaining('could not remove the partial upload')]);
    } finally {
      logged.mockRestore();
    }
  });
});
