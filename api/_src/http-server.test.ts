import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RequestListener, Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createControlPlaneServer } from './http-server.ts';
import { SERVER_LIMITS, type ServerLimits } from './server-limits.ts';

/** Reads the whole body, then answers how many bytes it had. */
const echoLength: RequestListener = (req, res) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => res.end(String(bytes)));
};

/** The limits of `npm start`, scaled down so each case takes about a second. */
const SHORT: ServerLimits = { headersTimeoutMs: 600, idleTimeoutMs: 800, keepAliveTimeoutMs: 5_000, maxConnections: 4, checkIntervalMs: 100 };

interface Client {
  socket: Socket;
  /** Everything the server wrote, once it closed the connection, and after how many ms. */
  closed: Promise<{ answer: string; afterMs: number }>;
}

function open(port: number): Promise<Client> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', () => {});
    const closed = new Promise<{ answer: string; afterMs: number }>((done) => socket.on('close', () => done({ answer, afterMs: performance.now() - started })));
    socket.on('connect', () => resolve({ socket, closed }));
  });
}

/** Writes `text` one byte every `everyMs`. */
async function trickle(socket: Socket, text: string, everyMs: number): Promise<void> {
  for (const byte of text) {
    if (socket.destroyed) return;
    socket.write(byte);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

describe('the npm start server', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createControlPlaneServer(echoLength, SHORT);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('ends a slowloris that keeps trickling its headers with 408, however steadily the bytes come', async () => {
    const client = await open(port);
    void trickle(client.socket, `GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ${'s'.repeat(100)}\r\n\r\n`, 50);
    const { answer, afterMs } = await client.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(afterMs).toBeLessThan(SHORT.headersTimeoutMs + 3 * SHORT.checkIntervalMs + 300);
  });

  it('closes a connection whose upload body stops arriving', async () => {
    const client = await open(port);
    client.socket.write('PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(10));
    const { answer, afterMs } = await client.closed;
    expect(answer).toBe('');
    expect(afterMs).toBeGreaterThanOrEqual(SHORT.idleTimeoutMs - 50);
    expect(afterMs).toBeLessThan(SHORT.idleTimeoutMs + 1_000);
  });

  it('does not cut an upload that takes long, while its bytes keep coming', async () => {
    const client = await open(port);
    const body = 'y'.repeat(40);
    client.socket.write(`PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    await trickle(client.socket, body, 60); // 2.4 s: past the headers timeout and three idle timeouts' worth of silence
    const { answer, afterMs } = await client.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n40$/);
    expect(afterMs).toBeGreaterThan(2 * SHORT.idleTimeoutMs);
  });

  it('drops connections over the cap as they arrive, and takes new ones once others close', async () => {
    const held = await Promise.all(Array.from({ length: SHORT.maxConnections }, () => open(port)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const extra = await open(port);
    const dropped = await extra.closed;
    expect([dropped.answer, dropped.afterMs < 300]).toEqual(['', true]);
    for (const client of held) client.socket.destroy();
    await Promise.all(held.map((client) => client.closed));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await open(port);
    next.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect((await next.closed).answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it('uses those limits by default, with no bound on a whole request', () => {
    const defaults = createControlPlaneServer(echoLength);
    expect({
      headersTimeout: defaults.headersTimeout,
      requestTimeout: defaults.requestTimeout,
      keepAliveTimeout: defaults.keepAliveTimeout,
      timeout: defaults.timeout,
      maxConnections: defaults.maxConnections,
    }).toEqual({
      headersTimeout: SERVER_LIMITS.headersTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: SERVER_LIMITS.keepAliveTimeoutMs,
      timeout: SERVER_LIMITS.idleTimeoutMs,
      maxConnections: SERVER_LIMITS.maxConnections,
    });
    expect(defaults.listenerCount('clientError')).toBe(1);
    expect(defaults.listenerCount('connect')).toBe(1);
  });
});
