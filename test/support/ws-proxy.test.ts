import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { startWsProxy, type WsProxy } from './ws-proxy.ts';

describe('the test WebSocket-to-TCP proxy', () => {
  let echo: Server;
  let echoPort: number;
  let connections = 0;
  let proxy: WsProxy;
  beforeAll(async () => {
    echo = createServer((socket) => {
      connections++;
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoPort = (echo.address() as { port: number }).port;
    proxy = await startWsProxy({ allow: [`127.0.0.1:${echoPort}`] });
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  function open(address: string): WebSocket {
    const socket = new WebSocket(`ws://${proxy.address}/v1?address=${address}`);
    socket.binaryType = 'arraybuffer';
    return socket;
  }

  it('relays bytes both ways to an allowed address', async () => {
    const socket = open(`127.0.0.1:${echoPort}`);
    await new Promise((resolve) => socket.addEventListener('open', resolve));
    const echoed = new Promise<string>((resolve) =>
      socket.addEventListener('message', (event) => resolve(Buffer.from(event.data as ArrayBuffer).toString())),
    );
    socket.send(new TextEncoder().encode('ping'));
    expect(await echoed).toBe('ping');
    socket.close();
  });

  it.each(['127.0.0.1:22', 'example.com:5432', '127.0.0.1:5432', ''])('refuses to relay to %j (never an open proxy)', async (address) => {
    const before = connections;
    const socket = open(address);
    const closed = await new Promise<CloseEvent>((resolve) => socket.addEventListener('close', resolve));
    expect(closed.code).toBe(1008);
    expect(connections).toBe(before);
  });

  it('allows only the local PostgreSQL by default', async () => {
    const defaults = await startWsProxy();
    try {
      const socket = new WebSocket(`ws://${defaults.address}/v1?address=127.0.0.1:${echoPort}`);
      const closed = await new Promise<CloseEvent>((resolve) => socket.addEventListener('close', resolve));
      expect(closed.code).toBe(1008);
      expect(connections).toBe(1);
    } finally {
      await defaults.close();
    }
  });
});
