/**
 * `Expect: 100-continue` on `npm start`'s server (http-server.ts with the control plane's listener), seen from a raw
 * socket that sends its body only once it has `100 Continue`, as curl does for bodies over 1 MiB: a refused upload
 * gets its final answer alone and the body is never sent; an accepted one, and a plain JSON request, get the 100
 * first, then their answer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { generateKeyPair, type KeyPair } from '../../../test/support/tauri.ts';
import { CONTINUE, finalAnswer } from '../../../test/support/raw-http.ts';
import { createRelease } from '../admin/release-testing.ts';
import { call, insertApp } from '../admin/testing.ts';
import { declare, type SignedArtifact, signedArtifact } from '../ci/testing.ts';
import { createControlPlaneServer } from '../http-server.ts';
import { controlPlaneListener } from '../listener.ts';
import type { CiUploadResponse } from '../protocol/ci.ts';

interface Exchange {
  /** Everything the server wrote until it closed the connection. */
  answer: string;
  /** Whether the body went out, which this client does only after `100 Continue`. */
  bodySent: boolean;
}

/** Sends `head` with `Expect: 100-continue`, and `body` once the server answers `100 Continue`; waits for the close. */
function sendExpectingContinue(port: number, head: string, body: Buffer): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let bodySent = false;
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (!bodySent && answer.startsWith(CONTINUE)) {
        bodySent = true;
        socket.write(body);
      }
    });
    socket.on('error', () => {});
    // A server that waits for a body it never invited would hang the exchange: that fails the test instead.
    const giveUp = setTimeout(() => socket.destroy(), 10_000);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ answer, bodySent });
    });
    socket.write(`${head}Expect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`);
  });
}

describe('Expect: 100-continue on the npm start server', () => {
  let ctx: TestContext;
  let server: Server;
  let port: number;
  let dir: string;
  let key: KeyPair;

  beforeAll(async () => {
    ctx = await createTestContext();
    dir = await mkdtemp(join(tmpdir(), 'continue-on-read-'));
    key = await generateKeyPair(dir);
    await insertApp(ctx, 'my-app');
    await ctx.database.db.updateTable('apps').set({ public_key: key.publicKey }).where('slug', '=', 'my-app').execute();
    await createRelease(ctx, 'my-app', '1.0.0');
    server = createControlPlaneServer(controlPlaneListener(ctx.deps));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
  });

  function multipart(file: SignedArtifact): Buffer {
    return Buffer.concat([
      Buffer.from(
        `--b\r\nContent-Disposition: form-data; name="platform"\r\n\r\nlinux-x86_64\r\n` +
          `--b\r\nContent-Disposition: form-data; name="signature"\r\n\r\n${file.signature}\r\n` +
          `--b\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\n\r\n`,
      ),
      file.bytes,
      Buffer.from('\r\n--b--\r\n'),
    ]);
  }
  const adminUpload = (auth: string) =>
    `POST /admin/apps/my-app/releases/1.0.0/artifacts HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\n` +
    `Content-Type: multipart/form-data; boundary=b\r\n`;

  it('answers an admin upload with a bad key with the 401 alone, and closes without the body', async () => {
    const exchange = await sendExpectingContinue(port, adminUpload('Bearer trk_unknown'), randomBytes(2 * 1024 * 1024));
    expect(exchange.bodySent).toBe(false);
    expect(exchange.answer).not.toContain('100 Continue');
    const answer = finalAnswer(exchange.answer);
    expect(answer.status).toBe(401);
    expect(answer.headers).toContain('connection: close');
    expect(answer.body.error.code).toBe('unauthorized');
  });

  it('sends 100 Continue to an accepted admin upload, then stores its body', async () => {
    const file = await signedArtifact(dir, key, 'my-app_1.0.0_amd64.AppImage', randomBytes(2 * 1024 * 1024), '1.0.0');
    const exchange = await sendExpectingContinue(port, `${adminUpload(ctx.adminAuth)}Connection: close\r\n`, multipart(file));
    expect(exchange.bodySent).toBe(true);
    expect(exchange.answer.startsWith(CONTINUE)).toBe(true);
    const answer = finalAnswer(exchange.answer);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ platform: 'linux-x86_64', size: file.bytes.byteLength });
  });

  it('answers the CI filesystem PUT to an unknown upload URL with the 403 alone, and closes without the body', async () => {
    const head = 'PUT /ci/uploads/00000000-0000-4000-8000-000000000000?token=nope HTTP/1.1\r\nHost: localhost\r\n';
    const exchange = await sendExpectingContinue(port, head, randomBytes(2 * 1024 * 1024));
    expect(exchange.bodySent).toBe(false);
    expect(exchange.answer).not.toContain('100 Continue');
    const answer = finalAnswer(exchange.answer);
    expect(answer.status).toBe(403);
    expect(answer.headers).toContain('connection: close');
    expect(answer.body.error.code).toBe('forbidden');
  });

  it('sends 100 Continue to an accepted CI filesystem PUT, then stores its body', async () => {
    await createRelease(ctx, 'my-app', '1.1.0');
    const file = await signedArtifact(dir, key, 'my-app_1.1.0_amd64.deb', randomBytes(2 * 1024 * 1024), '1.1.0');
    const requested = await call<CiUploadResponse>(ctx, 'POST', '/ci/apps/my-app/releases/1.1.0/uploads', { body: declare('linux-x86_64', file) });
    expect(requested.status).toBe(201);
    const target = new URL((requested.body.target as { url: string }).url);
    const head = `PUT ${target.pathname}${target.search} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n`;
    const exchange = await sendExpectingContinue(port, head, Buffer.from(file.bytes));
    expect(exchange.bodySent).toBe(true);
    expect(exchange.answer.startsWith(CONTINUE)).toBe(true);
    expect(finalAnswer(exchange.answer).status).toBe(200);
    const done = await call(ctx, 'POST', `/ci/apps/my-app/releases/1.1.0/uploads/${requested.body.upload_id}/complete`);
    expect(done).toMatchObject({ status: 200, body: { state: 'ready', size: file.bytes.byteLength } });
  });

  it('sends 100 Continue to a JSON POST that reads its body, then answers it', async () => {
    const head = `POST /admin/apps/my-app/releases HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${ctx.adminAuth}\r\nContent-Type: application/json\r\nConnection: close\r\n`;
    const exchange = await sendExpectingContinue(port, head, Buffer.from(JSON.stringify({ version: '2.0.0' })));
    expect(exchange.bodySent).toBe(true);
    expect(exchange.answer.startsWith(CONTINUE)).toBe(true);
    const answer = finalAnswer(exchange.answer);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ version: '2.0.0' });
  });
});

describe('Expect: 100-continue with a listener that answers before it reads', () => {
  it('never writes 100 Continue after the final status', async () => {
    const server = createControlPlaneServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.flushHeaders();
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => res.end(`read ${bytes}`));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await new Promise<string>((resolve) => {
        const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
        let received = '';
        // The body goes out once the final status is in, as a client that stopped waiting for the 100 sends it.
        socket.once('data', () => socket.write('hello'));
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
        socket.on('close', () => resolve(received));
        socket.write('POST / HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
      });
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(answer).not.toContain('100 Continue');
      expect(answer).toMatch(/read 5(\r\n0\r\n\r\n)?$/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
