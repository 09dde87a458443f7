/**
 * @module bench/listener-server
 * One update-check server for `npm run bench:listener` (listener-cost.ts), in a process of its own, answering from a
 * snapshot built straight from generated rows (no database, no storage, nothing else started):
 * `node listener-server.ts <port> <variant>`, where the variant is
 * - `listener`: the node:http listener both entries run (update/node-listener.ts), its plain-check memo included;
 * - `afresh`: the same, but each check read and selected afresh (`answerCheckFromMemory`), as before the memo;
 * - `listener-after-traffic`: `listener` in a process that first made HTTP requests with fetch and pushed data
 *   through streams of several kinds, as a server's start does when it reads its database and storage.
 */
import { createServer, type RequestListener } from 'node:http';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { answerCheckFromMemory, type UpdateCheckDeps } from '../../api/_src/update/check.ts';
import { plainCheckUrl } from '../../api/_src/update/check-request.ts';
import { RawHeaderReader, withUpdateChecks } from '../../api/_src/update/node-listener.ts';
import { buildSnapshot, type ReleaseInput } from '../../api/_src/update/snapshot.ts';
import { checkDeps } from './check-deps.ts';

export const LISTENER_VARIANTS = ['listener', 'afresh', 'listener-after-traffic'] as const;
export const CHECK_PATH = '/update/bench-app/linux/x86_64/1.0.0?bundle_type=appimage';

/** The checks' dependencies over one snapshot built from generated rows. */
function benchAppDeps(): UpdateCheckDeps {
  const releases: ReleaseInput[] = Array.from({ length: 10 }, (_, r) => ({
    id: `r${r}`, version: `2.${r}.0`, notes: 'Benchmark release.', channel: 'stable', rollout_percent: 100,
    pub_date: new Date(Date.UTC(2026, 0, 1 + r)), created_at: new Date(Date.UTC(2026, 0, 1)),
    artifacts: [{ id: `a${r}`, platform: 'linux-x86_64', bundle: 'appimage', signature: Buffer.alloc(300, r).toString('base64'), storage_key: `bench-app/2.${r}.0/app.AppImage`, file_name: `bench-app_2.${r}.0_amd64.AppImage`, size: 65_536, sha256: '0'.repeat(64), is_default: false }],
  }));
  const { snapshot } = buildSnapshot({ id: 'bench-app-id', slug: 'bench-app', public_key: null }, releases, { publicUrl: () => null, baseUrl: 'http://127.0.0.1' });
  return checkDeps(new Map([['bench-app', snapshot]]));
}
const notFound: RequestListener = (_req, res) => res.writeHead(404).end();

/** What a server's start does to node's shared HTTP and stream code before it serves: requests, streams. */
async function otherTraffic(): Promise<void> {
  const helper = createServer((_req, res) => res.setHeader('x-helper', '1').end(JSON.stringify({ ok: true, items: [1, 2, 3] })));
  await new Promise<void>((resolve) => helper.listen(0, '127.0.0.1', resolve));
  const { port: helperPort } = helper.address() as { port: number };
  for (let i = 0; i < 300; i++) {
    await (await fetch(`http://127.0.0.1:${helperPort}/${i}`, { method: i % 2 ? 'POST' : 'GET', body: i % 2 ? 'x'.repeat(i) : undefined })).json();
    await pipeline(Readable.from([Buffer.alloc(i + 1), 'text', Buffer.alloc(10)].map(String)), new Transform({ transform: (chunk, _e, done) => done(null, chunk) }), new PassThrough(), new Writable({ write: (_c, _e, done) => done() }));
    await pipeline(Readable.from([{ a: i }, { b: i, c: 2 }], { objectMode: true }), new Writable({ objectMode: true, write: (_c, _e, done) => done() }));
  }
  await new Promise((resolve) => helper.close(resolve));
}

function listenerFor(variant: string, deps: UpdateCheckDeps): RequestListener {
  return variant === 'afresh'
  ? (req, res) => {
      const target = plainCheckUrl(req.url ?? '');
      const answer = target && answerCheckFromMemory(deps, { ...target, headers: new RawHeaderReader(req.rawHeaders), peer: req.socket.remoteAddress ?? '' });
      if (!answer) return notFound(req, res);
      res.writeHead(answer.status, answer.headers).end(answer.body ?? undefined);
    }
  : withUpdateChecks(deps, notFound);
}

// Run as a script (listener-cost.ts imports only the constants above).
if (import.meta.main) {
  const [port, variant] = process.argv.slice(2);
  if (!port || !(LISTENER_VARIANTS as readonly string[]).includes(variant ?? '')) throw new Error(`usage: listener-server.ts <port> <${LISTENER_VARIANTS.join('|')}>`);
  if (variant === 'listener-after-traffic') await otherTraffic();
  createServer(listenerFor(variant!, benchAppDeps())).listen(Number(port), '127.0.0.1', () => console.log(`${variant} listening on ${port}`));
  process.on('SIGTERM', () => process.exit(0));
  setTimeout(() => process.exit(0), 10 * 60_000).unref(); // never outlives a broken bench by long
}
