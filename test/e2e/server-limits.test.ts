/**
 * `npm start` takes its server limits from the configuration (SERVER_* variables, config.ts): behind a proxy, the
 * keep-alive timeout must be raisable above the proxy's idle timeout. Here it is lowered, which is quicker to see.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { type RunningServer, startServer } from '../support/server.ts';
import { SERVER_LIMITS } from '../../api/_src/server-limits.ts';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ env: { SERVER_KEEP_ALIVE_TIMEOUT_SECONDS: '1' } });
});
afterAll(() => server?.stop());

/** Sends one kept-alive request; resolves with how long after the answer the server closed the connection. */
function keptAliveFor(port: number): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    let answer = '';
    let answeredAt = 0;
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      answeredAt = performance.now();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, closedAfterMs: performance.now() - answeredAt }));
  });
}

describe('npm start with SERVER_KEEP_ALIVE_TIMEOUT_SECONDS', () => {
  it('closes an idle kept-alive connection after the configured time, not the default', async () => {
    const { answer, closedAfterMs } = await keptAliveFor(server.port);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/\r\nKeep-Alive: timeout=1\r\n/i);
    // node keeps the socket up to a second past the timeout it announces; the default would be 5 s.
    expect(closedAfterMs).toBeGreaterThan(900);
    expect(closedAfterMs).toBeLessThan(SERVER_LIMITS.keepAliveTimeoutMs - 1_000);
  });
});
