/**
 * A TCP relay on 127.0.0.1 that a test can switch between states, to take a database away from a running
 * server and give it back without touching the database itself (other tests use the same PostgreSQL):
 *
 * - `up`: connections are relayed;
 * - `refuse`: every open connection is cut and new ones are closed at once (a database that is down);
 * - `blackhole`: nothing is relayed either way and new connections are accepted and held (a network partition):
 *   bytes on relayed connections are held back, as TCP would keep retransmitting them, and delivered on `up`;
 *   connections opened meanwhile never reach the database and are closed on `up`.
 */
import { connect, createServer, type Socket } from 'node:net';

export type RelayState = 'up' | 'refuse' | 'blackhole';

export interface TcpRelay {
  /** `127.0.0.1:<port>` */
  address: string;
  port: number;
  set(state: RelayState): void;
  close(): Promise<void>;
}

export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  let state: RelayState = 'up';
  const sockets = new Set<Socket>();
  const held = new Set<Socket>();
  /** Bytes that arrived during a blackhole, per destination, in order. */
  const waiting = new Map<Socket, Buffer[]>();
  const forward = (to: Socket) => (chunk: Buffer) => {
    if (state === 'up') to.write(chunk);
    else waiting.set(to, [...(waiting.get(to) ?? []), chunk]);
  };
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const server = createServer((client) => {
    track(client);
    if (state === 'refuse') return void client.destroy();
    if (state === 'blackhole') {
      held.add(client);
      return;
    }
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    port,
    set(next) {
      state = next;
      if (next === 'refuse') for (const socket of sockets) socket.destroy();
      if (next === 'up') {
        for (const socket of held) socket.destroy();
        held.clear();
        for (const [to, chunks] of waiting) if (!to.destroyed) for (const chunk of chunks) to.write(chunk);
        waiting.clear();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
