import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { answerClientError, refuseConnect } from './listener.ts';

/** Sends `raw` on a new socket and resolves with everything the server writes back before it closes. */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => {});
    socket.setTimeout(5_000, () => socket.destroy());
  });
}

function bodyOf(answer: string): unknown {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
}

describe("requests node:http's parser refuses", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    server.on('connect', refuseConnect);
    server.on('clientError', answerClientError);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answers headers over the limit with 431 and the JSON error body, not a bare status line', async () => {
    const answer = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Filler: ${'h'.repeat(60_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(answer).toMatch(/\r\nContent-Type: application\/json\r\n/);
    expect(bodyOf(answer)).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(/headers are larger/) } });
  });

  it('answers a malformed request with 400 and the JSON error body', async () => {
    const answer = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bodyOf(answer)).toEqual({ error: { code: 'invalid_request', message: 'the request is not valid HTTP/1.1' } });
  });

  it('answers headers sent too slowly (a slowloris) with 408 and the JSON error body', async () => {
    const slow = createServer({ headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 100 }, (_req, res) => res.end('ok'));
    slow.on('clientError', answerClientError);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await exchange((slow.address() as { port: number }).port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1');
      expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(bodyOf(answer)).toEqual({ error: { code: 'invalid_request', message: 'the request was not received in time' } });
    } finally {
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('still answers CONNECT with 405 and the JSON error body', async () => {
    const answer = await exchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\nAllow: GET, HEAD/);
    expect(bodyOf(answer)).toEqual({ error: { code: 'invalid_request', message: 'CONNECT is not supported: this server is not a proxy' } });
  });
});
