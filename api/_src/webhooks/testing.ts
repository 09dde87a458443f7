/**
 * @module webhooks/testing
 * Test helpers (imported by `*.test.ts` only): a real HTTP receiver on 127.0.0.1 that records every
 * request and answers as told, and a way to run the dispatcher until nothing is due.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from '../../../test/support/context.ts';
import type { ReleaseEvent, ReleaseEventKind } from '../releases/events.ts';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** Answers with a status (and optional headers), or `'hang'` to never answer. */
export type Answer = number | { status: number; headers?: Record<string, string> } | 'hang';

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Called per request with its 0-based index; default 200. */
  answer: (index: number, request: ReceivedRequest) => Answer;
  close(): Promise<void>;
}

export async function startReceiver(answer: Receiver['answer'] = () => 200): Promise<Receiver> {
  const hanging = new Set<ServerResponse>();
  const receiver: Receiver = { url: '', requests: [], answer, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const index = receiver.requests.push(request) - 1;
      const reply = receiver.answer(index, request);
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      const { status, headers } = typeof reply === 'number' ? { status: reply, headers: {} } : reply;
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tauri`;
  receiver.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}

/** Runs the context's dispatcher until no delivery is pending (waiting out retry delays), or throws after `timeoutMs`. */
export async function drain(ctx: TestContext, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await ctx.deps.webhooks.runDue({ wait: true });
    const next = await ctx.database.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (!next?.next) return;
    if (Date.now() > deadline) throw new Error('webhook deliveries still pending after the deadline');
    const wait = Math.max(5, new Date(next.next).getTime() - Date.now());
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 200)));
  }
}

export function releaseEvent(appId: string, overrides: Partial<ReleaseEvent> & { kind?: ReleaseEventKind } = {}): ReleaseEvent {
  return {
    kind: 'release.published',
    appId,
    appSlug: 'hooked',
    releaseId: '00000000-0000-4000-8000-000000000001',
    version: '1.2.3',
    channel: 'stable',
    rolloutPercent: 100,
    at: new Date(),
    actor: 'token:ADMIN_TOKEN',
    ...overrides,
  };
}
