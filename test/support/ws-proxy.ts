/**
 * A WebSocket-to-TCP relay so the Neon driver (which only speaks WebSocket) can reach a plain PostgreSQL
 * in tests. The client names its target in `?address=host:port`; only addresses on the allow-list are
 * relayed, so this is never an open proxy.
 */
import { connect } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export const DEFAULT_ALLOWED_TARGETS = ['127.0.0.1:5432', 'localhost:5432'] as const;

export interface WsProxyOptions {
  /** `host:port` targets the proxy may open; anything else is refused with close code 1008. */
  allow?: readonly string[];
}

export interface WsProxy {
  /** `127.0.0.1:<port>`, the form `neonConfig.wsProxy` and `NEON_WS_PROXY` take. */
  address: string;
  close(): Promise<void>;
}

export function startWsProxy(options: WsProxyOptions = {}): Promise<WsProxy> {
  const allow = new Set(options.allow ?? DEFAULT_ALLOWED_TARGETS);
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });

  server.on('connection', (socket, request) => {
    const target = new URL(request.url ?? '/', 'http://proxy').searchParams.get('address') ?? '';
    if (!allow.has(target)) {
      socket.close(1008, 'address not allowed');
      return;
    }
    const separator = target.lastIndexOf(':');
    const tcp = connect(Number(target.slice(separator + 1)), target.slice(0, separator));
    tcp.setNoDelay(true);
    tcp.on('data', (chunk) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(chunk);
    });
    // The default binaryType ('nodebuffer') delivers every message as one Buffer.
    socket.on('message', (data) => tcp.write(data as Buffer));
    const end = () => {
      tcp.destroy();
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close();
    };
    tcp.on('close', end);
    tcp.on('error', end);
    socket.on('close', end);
    socket.on('error', end);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      const { port } = server.address() as { port: number };
      resolve({
        address: `127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const client of server.clients) client.terminate();
            server.close(() => done());
          }),
      });
    });
  });
}
