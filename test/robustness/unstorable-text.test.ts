/**
 * Text Postgres cannot store (U+0000, lone surrogates) in every path parameter, query parameter and string body
 * field `/openapi.json` lists, one at a time, with a valid admin key and the rest of the request real (an existing
 * app, a draft release, a correctly signed upload request): never a 5xx, and every JSON or multipart body refused
 * with a 4xx (the rule: http/storable-text.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedRelease } from '../bench/seed.ts';
import { type RunningServer, startServer } from '../support/server.ts';
import { sign } from '../support/tauri.ts';
import { type Known, type OpenApiDoc, type UnstorableRequest, unstorableRequests } from './unstorable.ts';

const CONCURRENCY = 8;
const DRAFT = '2.1.0';
const FILE_NAME = `fuzz-app_${DRAFT}_amd64.AppImage`;

let server: RunningServer;
let work: string;
const params: Known = { app: 'fuzz-app', release: DRAFT, version: DRAFT, current_version: '1.0.0', target: 'linux', arch: 'x86_64', platform: 'linux-x86_64', file: 'fuzz-app_2.0.0_amd64.AppImage', path: 'releases' };
let fields: Known;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tauri-release-unstorable-'));
  server = await startServer({ env: { RATE_LIMITS: 'off', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  await mkdir(join(work, 'fuzz-app'));
  const keys = await seedRelease(server, join(work, 'fuzz-app'), {
    slug: 'fuzz-app', version: '2.0.0', notes: 'Known good.', artifactBytes: 4096,
    artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', fileName: 'fuzz-app_2.0.0_amd64.AppImage' }],
  });
  const created = await server.admin('/admin/apps/fuzz-app/releases', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: DRAFT }) });
  expect(created.status).toBe(201);
  // Real ids for {id}: a webhook's (a publisher's and a key's {id} then point at nothing, which is a 404 too).
  const hook = await server.admin('/admin/apps/fuzz-app/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://127.0.0.1:9/hook' }) });
  expect(hook.status).toBe(201);
  params.id = ((await hook.json()) as { id: string }).id;
  const bytes = new Uint8Array(64).fill(7);
  const file = join(work, FILE_NAME);
  await writeFile(file, bytes);
  fields = {
    version: '3.0.53', slug: 'fuzz-new', name: 'fuzz', app: 'fuzz-app', url: 'https://127.0.0.1:9/other', repository: 'octo/app',
    platform: 'linux-x86_64', file_name: FILE_NAME, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'),
    signature: await sign(file, keys, DRAFT), replacement: '2.0.0', key: 'x', etag: 'x', part_number: 1,
  };
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

interface Outcome { request: UnstorableRequest; status: number; text: string }

/** A request the connection failed under (no answer read) is an outcome with status 0, named like the others. */
async function send(request: UnstorableRequest): Promise<Outcome> {
  try {
    const res = await fetch(`${server.url}${request.url}`, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    return { request, status: res.status, text: await res.text() };
  } catch (error) {
    const cause = (error as Error).cause;
    return { request, status: 0, text: `${(error as Error).message}${cause instanceof Error ? `: ${cause.message}` : ''}` };
  }
}

const describeOutcome = (o: Outcome) => `${o.request.method} ${o.request.url} [${o.request.input} = ${JSON.stringify(o.request.value)}] → ${o.status} ${o.text.slice(0, 200)}`;

describe('unstorable text in every documented input', () => {
  it('is refused with a 4xx (bodies) and never answered with a 5xx', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDoc;
    const requests = [...unstorableRequests(doc, { params, fields, authorization: `Bearer ${server.adminToken}` })];
    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) outcomes.push(await send(requests[next++]!));
    }));

    const serverErrors = outcomes.filter((o) => o.status >= 500);
    const connectionFailures = outcomes.filter((o) => o.status === 0);
    const bodiesLetThrough = outcomes.filter((o) => /^(json|multipart) /.test(o.request.input) && o.status > 0 && (o.status < 400 || o.status >= 500));
    // A URL can carry NUL (%00); a lone surrogate's bytes do not decode, so it stays storable text (`%ED%A0%80`).
    const nulInUrlLetThrough = outcomes.filter((o) => /^(path|query) /.test(o.request.input) && o.request.value.includes('\u0000') && o.status > 0 && o.status < 400);
    const jsonRefusedUnnamed = outcomes.filter((o) => o.request.input.startsWith('json ') && o.status === 400 && !o.text.includes(`${o.request.input.slice(5)}: must not contain U+0000 or unpaired surrogates`));
    const inputs = new Set(outcomes.map((o) => `${o.request.method} ${o.request.url.split('?')[0]} ${o.request.input}`));
    const statuses: Record<string, number> = {};
    for (const { status } of outcomes) statuses[status] = (statuses[status] ?? 0) + 1;
    console.log(`unstorable text: ${outcomes.length} requests over ${Object.values(doc.paths).flatMap(Object.keys).length} operations, ${inputs.size} inputs; statuses ${JSON.stringify(statuses)}`);
    expect(serverErrors.map(describeOutcome)).toEqual([]);
    expect(connectionFailures.map(describeOutcome)).toEqual([]);
    expect(bodiesLetThrough.map(describeOutcome)).toEqual([]);
    expect(nulInUrlLetThrough.map(describeOutcome)).toEqual([]);
    expect(jsonRefusedUnnamed.map(describeOutcome)).toEqual([]);
    // The walk reached the fields of the issue's report (and many more).
    for (const input of ['json notes', 'json description', 'json name', 'json content_type', 'query actor', 'query q', 'multipart platform']) {
      expect(outcomes.some((o) => o.request.input === input)).toBe(true);
    }
    expect(inputs.size).toBeGreaterThan(150);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  }, 120_000);
});
