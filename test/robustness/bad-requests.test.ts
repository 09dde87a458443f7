/**
 * Over ten thousand generated bad requests (generate.ts) over every route `/openapi.json` lists, against the real
 * server (`npm start`'s code path, PGlite + files): no 5xx, no stack trace, every answer within 5 s, JSON errors in
 * the one shape, the process alive, and a known-good update check answering exactly as before.
 * `ROBUSTNESS_SEED` repeats a run; `ROBUSTNESS_REQUESTS` changes the count.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedRelease } from '../bench/seed.ts';
import { type RunningServer, startServer } from '../support/server.ts';
import { parseRemoteRelease } from '../support/tauri.ts';
import { type BadRequest, badRequests, type OpenApiLike } from './generate.ts';

const SEED = Number(process.env.ROBUSTNESS_SEED ?? Date.now() % 1_000_000);
const COUNT = Number(process.env.ROBUSTNESS_REQUESTS ?? 10_500);
const CONCURRENCY = 8;
const ANSWER_WITHIN_MS = 5_000;
const STACK_TRACE = /\bat [\w.<>]+ \(|\bat (file|node):|node_modules|\/(api|db|test)\/[\w/-]+\.ts|Error: .*\n\s+at /;
const GOOD_CHECK = '/update/robust-app/linux/x86_64/1.0.0?bundle_type=appimage';

let server: RunningServer;
let work: string;
let goodAnswer: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tauri-release-robustness-'));
  // The limiter would answer most of these with 429 from one address; here every route must see them.
  server = await startServer({ env: { RATE_LIMITS: 'off' } });
  // robust-app is the known-good check and never named by the generator; fuzz-app is, so requests reach past
  // the app lookup (and may archive, yank or delete there, with the admin key).
  for (const slug of ['robust-app', 'fuzz-app']) {
    await mkdir(join(work, slug));
    await seedRelease(server, join(work, slug), {
      slug, version: '2.0.0', notes: 'Known good.', artifactBytes: 4096,
      artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', fileName: `${slug}_2.0.0_amd64.AppImage` }],
    });
  }
  const res = await fetch(`${server.url}${GOOD_CHECK}`);
  expect(res.status).toBe(200);
  goodAnswer = await res.text();
  parseRemoteRelease(JSON.parse(goodAnswer));
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

interface Outcome { request: BadRequest; status: number | 'no answer'; ms: number; problem: string | null }

async function send(request: BadRequest): Promise<Outcome> {
  const started = Date.now();
  try {
    const res = await fetch(`${server.url}${request.path.startsWith('/') ? '' : '/'}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body as BodyInit | undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS + 1_000),
    });
    const text = await res.text();
    const ms = Date.now() - started;
    let problem: string | null = null;
    if (res.status >= 500) problem = `answered ${res.status}: ${text.slice(0, 300)}`;
    else if (STACK_TRACE.test(text)) problem = `a stack trace or source path in the body: ${text.slice(0, 300)}`;
    else if (ms > ANSWER_WITHIN_MS) problem = `took ${ms} ms`;
    else if (res.status >= 400 && res.headers.get('content-type')?.startsWith('application/json')) {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code !== 'string' || typeof body.error?.message !== 'string') problem = `a JSON error not in {"error":{"code","message"}}: ${text.slice(0, 300)}`;
    }
    return { request, status: res.status, ms, problem };
  } catch (error) {
    const ms = Date.now() - started;
    // Node answers over-long headers with 431 and closes; a client still writing a 20 MB body after an early
    // 413 may see the socket close first. Both are refusals, not failures, as long as they come at once.
    const refusedEarly = /huge headers|20 MB/.test(request.kind) && ms < ANSWER_WITHIN_MS;
    return { request, status: 'no answer', ms, problem: refusedEarly ? null : `no answer: ${(error as Error).message} (${(error as Error & { cause?: Error }).cause?.message ?? ''})` };
  }
}

const describeRequest = (r: BadRequest) =>
  `${r.method} ${r.path.slice(0, 200)} [${r.kind}] headers ${JSON.stringify(Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.slice(0, 80)])))}` +
  (typeof r.body === 'string' ? ` body ${JSON.stringify(r.body.slice(0, 120))}` : r.body ? ` body ${r.body.byteLength} bytes` : '');

describe(`${COUNT} generated bad requests over every documented route (seed ${SEED})`, () => {
  it('get a 4xx (or a harmless 2xx/3xx) in time, never a 5xx or a stack trace, and leave the server serving', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiLike;
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
    expect(routes.length).toBeGreaterThan(40);
    const requests = badRequests(doc, {
      count: COUNT,
      seed: SEED,
      known: { app: 'fuzz-app', release: '2.0.0', version: '2.0.0', current_version: '1.0.0', target: 'linux', arch: 'x86_64', platform: 'linux-x86_64', file: 'fuzz-app_2.0.0_amd64.AppImage' },
      authorizations: [`Bearer ${server.adminToken}`, `Bearer ${server.adminToken}`, `Bearer ${server.adminToken}`, 'Bearer trk_wrong', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', `Bearer ${'x'.repeat(5000)}`],
      bigBodies: 6,
      hugeHeaders: 20,
    });
    const outcomes: Outcome[] = [];
    const seenRoutes = new Set<string>();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let next = requests.next(); !next.done; next = requests.next()) {
          outcomes.push(await send(next.value));
          if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`the server died after ${describeRequest(next.value)}:\n${server.output()}`);
        }
      }),
    );
    for (const outcome of outcomes) seenRoutes.add(outcome.request.method);
    const failures = outcomes.filter((outcome) => outcome.problem !== null);
    const report = failures.slice(0, 10).map((f) => `${describeRequest(f.request)} → ${f.problem}`).join('\n');
    expect(outcomes).toHaveLength(COUNT);
    expect(failures.length === 0 ? 'none' : `seed ${SEED}: ${failures.length} failures, first ones:\n${report}`).toBe('none');
    const statuses = new Map<string, number>();
    for (const outcome of outcomes) statuses.set(String(outcome.status), (statuses.get(String(outcome.status)) ?? 0) + 1);
    console.log(`robustness: seed ${SEED}, ${COUNT} requests over ${routes.length} routes; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    // Most were refused as bad input, not waved through.
    expect([...statuses].filter(([status]) => status.startsWith('4')).reduce((sum, [, n]) => sum + n, 0)).toBeGreaterThan(COUNT * 0.7);

    expect(server.child.exitCode).toBeNull();
    const after = await fetch(`${server.url}${GOOD_CHECK}`);
    expect(after.status).toBe(200);
    expect(await after.text()).toBe(goodAnswer);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  }, 600_000);
});
