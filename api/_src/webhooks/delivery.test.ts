/**
 * Webhook delivery against real HTTP receivers on 127.0.0.1: the signature checked with exactly the recipe
 * in README.md (run by plain Node), retries on 500 with backoff, no retries on 4xx, a bounded number of
 * requests to a dead endpoint however many events happen, and retries that survive a restart.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { auditRows, call, insertApp, insertRelease } from '../admin/testing.ts';
import { WebhookDispatcher } from './dispatcher.ts';
import { signatureHeader } from './signature.ts';
import { drain, type Receiver, releaseEvent, startReceiver } from './testing.ts';

const SCHEDULE_MS = [50, 100, 150, 200];
const MAX_ATTEMPTS = SCHEDULE_MS.length + 1;
const CIRCUIT = 8;
const TIMEOUT_MS = 2000;

describe('webhook delivery', () => {
  let ctx: TestContext;
  let dir: string;
  const receivers: Receiver[] = [];
  const secrets: string[] = [];
  const logged: string[] = [];

  beforeAll(async () => {
    for (const method of ['error', 'warn', 'log'] as const) {
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack}` : String(arg))).join(' '));
      });
    }
    ctx = await createTestContext({
      env: {
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        WEBHOOK_RETRY_SCHEDULE: SCHEDULE_MS.map((ms) => ms / 1000).join(','),
        // Generous for a loopback receiver, so a loaded machine does not turn a 200 into a timeout.
        WEBHOOK_TIMEOUT_SECONDS: String(TIMEOUT_MS / 1000),
        WEBHOOK_CIRCUIT_FAILURES: String(CIRCUIT),
      },
    });
    dir = await mkdtemp(join(tmpdir(), 'webhook-recipe-'));
  });
  afterEach(async () => {
    await ctx.deps.webhooks.idle();
  });
  afterAll(async () => {
    await ctx.deps.webhooks.stop();
    for (const receiver of receivers) await receiver.close();
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  async function receiver(answer?: Receiver['answer']): Promise<Receiver> {
    const started = await startReceiver(answer);
    receivers.push(started);
    return started;
  }

  let apps = 0;
  /** A fresh app with one webhook, created through the admin API. */
  async function hooked(url: string, body: Record<string, unknown> = {}) {
    const slug = `hooked-${++apps}`;
    const appId = await insertApp(ctx, slug);
    await ctx.database.db.updateTable('apps').set({ name: 'My App' }).where('id', '=', appId).execute();
    const res = await call(ctx, 'POST', `/admin/apps/${slug}/webhooks`, { body: { url, ...body } });
    expect(res.status).toBe(201);
    secrets.push(res.body.secret);
    return { slug, appId, id: res.body.id as string, secret: res.body.secret as string };
  }

  async function deliveries(slug: string, id: string) {
    const res = await call(ctx, 'GET', `/admin/apps/${slug}/webhooks/${id}/deliveries`);
    expect(res.status).toBe(200);
    return res.body.deliveries as any[];
  }

  /** The verification snippet from README.md, run by plain Node as a receiver would: prints true or false. */
  async function verifyWithRecipe(secret: string, body: string, header: string): Promise<boolean> {
    const readme = await readFile(new URL('./README.md', import.meta.url), 'utf8');
    const recipe = /```js\n([\s\S]*?)```/.exec(readme)![1]!;
    const script = join(dir, 'verify.mjs');
    await writeFile(script, `${recipe}\nconst input = JSON.parse(process.argv[2]);\nconsole.log(verifyTauriReleaseWebhook(input.secret, input.body, input.header));\n`);
    const { stdout } = await promisify(execFile)(process.execPath, [script, JSON.stringify({ secret, body, header })]);
    return stdout.trim() === 'true';
  }

  it('signs each delivery so that the documented recipe verifies it, and refuses a tampered or stale one', async () => {
    const rx = await receiver();
    const { appId, secret } = await hooked(rx.url);
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: 'hooked-1' }));
    await drain(ctx);
    expect(rx.requests).toHaveLength(1);
    const [request] = rx.requests;
    const header = request!.headers['x-tauri-release-signature'] as string;
    expect(header).toMatch(/^t=[0-9]+,v1=[0-9a-f]{64}$/);
    expect(Math.abs(Number(/t=([0-9]+)/.exec(header)![1]) - Date.now() / 1000)).toBeLessThan(60);

    expect(await verifyWithRecipe(secret, request!.body, header)).toBe(true);
    expect(await verifyWithRecipe(secret, request!.body.replace('1.2.3', '9.9.9'), header)).toBe(false);
    expect(await verifyWithRecipe(`${secret}x`, request!.body, header)).toBe(false);
    // A correctly signed but 10-minute-old delivery is a replay.
    const stale = Math.floor(Date.now() / 1000) - 600;
    expect(await verifyWithRecipe(secret, request!.body, signatureHeader(secret, request!.body, stale))).toBe(false);
  });

  it('posts the event as JSON with its kind and a delivery id in headers', async () => {
    const rx = await receiver();
    const { slug, appId, id } = await hooked(rx.url);
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug, kind: 'release.rollout_changed', rolloutPercent: 25, details: { from: 10 } }));
    await drain(ctx);
    const [request] = rx.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/hooks/tauri' });
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'tauri-release-webhooks/1',
      'x-tauri-release-event': 'release.rollout_changed',
    });
    const [delivery] = await deliveries(slug, id);
    expect(request!.headers['x-tauri-release-delivery']).toBe(delivery.id);
    expect(JSON.parse(request!.body)).toEqual({
      id: delivery.event_id,
      type: 'release.rollout_changed',
      created_at: expect.any(String),
      app: { id: appId, slug, name: 'My App' },
      release: { id: '00000000-0000-4000-8000-000000000001', version: '1.2.3', channel: 'stable', rollout_percent: 25 },
      actor: 'token:ADMIN_TOKEN',
      details: { from: 10 },
    });
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, response_status: 200, last_error: null, body: request!.body });
  });

  it.each([
    ['slack', { text: 'My App 1.2.3 published (stable, 100%)' }],
    ['discord', { content: 'My App 1.2.3 published (stable, 100%)', allowed_mentions: { parse: [] } }],
  ])('sends a %s-compatible body', async (format, expected) => {
    const rx = await receiver();
    const { slug, appId } = await hooked(rx.url, { format });
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug }));
    await drain(ctx);
    expect(JSON.parse(rx.requests[0]!.body)).toEqual(expected);
    expect(rx.requests[0]!.headers['x-tauri-release-signature']).toBeDefined();
  });

  it('escapes Slack markup in names, so an app cannot ping a channel', async () => {
    const rx = await receiver();
    const { slug, appId } = await hooked(rx.url, { format: 'slack' });
    await ctx.database.db.updateTable('apps').set({ name: '<!channel> & co' }).where('id', '=', appId).execute();
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug, kind: 'release.archived' }));
    await drain(ctx);
    expect(JSON.parse(rx.requests[0]!.body)).toEqual({ text: '&lt;!channel&gt; &amp; co 1.2.3 archived (stable); clients get the previous release' });
  });

  it('sends only the event kinds a webhook asked for, and nothing while it is disabled', async () => {
    const rx = await receiver();
    const { slug, appId, id } = await hooked(rx.url, { events: ['release.yanked'] });
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug }));
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug, kind: 'release.yanked', details: { replacement_version: '1.2.2' } }));
    await drain(ctx);
    expect(rx.requests.map((r) => r.headers['x-tauri-release-event'])).toEqual(['release.yanked']);
    expect((await call(ctx, 'PATCH', `/admin/apps/${slug}/webhooks/${id}`, { body: { active: false } })).status).toBe(200);
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug, kind: 'release.yanked' }));
    await drain(ctx);
    expect(rx.requests).toHaveLength(1);
    expect(await deliveries(slug, id)).toHaveLength(1);
  });

  it('is told by a real archive through the admin API, which answers without waiting for the receiver', async () => {
    // The first request is held until the attempt's time limit, whenever it arrives; the retry gets a 200.
    const rx = await receiver((index) => (index === 0 ? 'hang' : 200));
    const { slug, appId, id } = await hooked(rx.url, { format: 'slack' });
    await insertRelease(ctx, appId, '2.0.0', 'published');
    const res = await call(ctx, 'POST', `/admin/apps/${slug}/releases/2.0.0/archive`);
    const answeredAt = Date.now();
    expect(res.status).toBe(200);
    // The attempt cannot end before its time limit (the receiver holds it): the admin answer came first.
    if (rx.requests.length > 0) expect(answeredAt).toBeLessThan(rx.requests[0]!.at + TIMEOUT_MS);
    const [pending] = await deliveries(slug, id);
    expect(pending).toMatchObject({ event: 'release.archived', status: 'pending' });
    await drain(ctx);
    // The held attempt timed out and its retry got the 200.
    const [done] = await deliveries(slug, id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, response_status: 200 });
    expect(JSON.parse(rx.requests[1]!.body)).toEqual({ text: 'My App 2.0.0 archived (stable); clients get the previous release' });
  });

  it('tells a Slack channel about a real rollout change and a yank with a lower replacement', async () => {
    const rx = await receiver();
    const { slug, appId } = await hooked(rx.url, { format: 'slack' });
    await insertRelease(ctx, appId, '3.0.0', 'published');
    await insertRelease(ctx, appId, '3.1.0', 'published');
    expect((await call(ctx, 'PATCH', `/admin/apps/${slug}/releases/3.1.0`, { body: { rollout_percent: 25 } })).status).toBe(200);
    expect((await call(ctx, 'POST', `/admin/apps/${slug}/releases/3.1.0/yank`, { body: { replacement: '3.0.0', reason: 'crash on start' } })).status).toBe(200);
    await drain(ctx);
    expect(rx.requests.map((r) => [r.headers['x-tauri-release-event'], JSON.parse(r.body).text])).toEqual([
      ['release.rollout_changed', 'My App 3.1.0 rollout 100% → 25% (stable)'],
      ['release.yanked', 'My App 3.1.0 yanked (stable, replaced by 3.0.0)'],
    ]);
  });

  it('retries a 500 with backoff, signing each attempt, under one delivery id, until it succeeds', async () => {
    const rx = await receiver((index) => (index < 2 ? 500 : 200));
    const { slug, appId, id, secret } = await hooked(rx.url);
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug }));
    await drain(ctx);
    expect(rx.requests).toHaveLength(3);
    expect(new Set(rx.requests.map((r) => r.headers['x-tauri-release-delivery'])).size).toBe(1);
    for (const request of rx.requests) expect(await verifyWithRecipe(secret, request.body, request.headers['x-tauri-release-signature'] as string)).toBe(true);
    expect(rx.requests[1]!.at - rx.requests[0]!.at).toBeGreaterThanOrEqual(SCHEDULE_MS[0]! * 0.8 - 5);
    expect(rx.requests[2]!.at - rx.requests[1]!.at).toBeGreaterThanOrEqual(SCHEDULE_MS[1]! * 0.8 - 5);
    const [delivery] = await deliveries(slug, id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3, response_status: 200, last_error: null, next_attempt_at: null });
    const webhook = (await call(ctx, 'GET', `/admin/apps/${slug}/webhooks/${id}`)).body;
    expect(webhook.circuit).toEqual({ open: false, opened_at: null, consecutive_failures: 0 });
    expect(webhook.last_success_at).not.toBeNull();
  });

  it('gives up on a delivery after the bounded attempts, with growing gaps, and honours 429 as retryable', async () => {
    const rx = await receiver((index) => (index === 0 ? { status: 429, headers: { 'retry-after': '0' } } : 503));
    const { slug, appId, id } = await hooked(rx.url);
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug }));
    await drain(ctx);
    expect(rx.requests).toHaveLength(MAX_ATTEMPTS);
    const gaps = rx.requests.slice(1).map((request, i) => request.at - rx.requests[i]!.at);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(SCHEDULE_MS[i]! * 0.8 - 5));
    const [delivery] = await deliveries(slug, id);
    expect(delivery).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, max_attempts: MAX_ATTEMPTS, response_status: 503, last_error: 'answered 503', next_attempt_at: null });
  });

  it.each([400, 401, 404, 410, 301])('does not retry a %i', async (status) => {
    const headers: Record<string, string> = status === 301 ? { location: 'http://127.0.0.1:1/elsewhere' } : {};
    const rx = await receiver(() => ({ status, headers }));
    const { slug, appId, id } = await hooked(rx.url);
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug }));
    await drain(ctx);
    expect(rx.requests).toHaveLength(1);
    const [delivery] = await deliveries(slug, id);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, response_status: status });
    if (status === 301) expect(delivery.last_error).toMatch(/redirects are not followed/);
  });

  it('sends a dead endpoint (always 500) at most the circuit threshold of requests, however many events happen', async () => {
    const rx = await receiver(() => 500);
    const { slug, appId, id } = await hooked(rx.url);
    for (let i = 0; i < 6; i++) await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug, version: `1.0.${i}` }));
    await drain(ctx);
    expect(rx.requests).toHaveLength(CIRCUIT);
    const log = await deliveries(slug, id);
    expect(log).toHaveLength(6);
    expect(log.reduce((sum, d) => sum + d.attempts, 0)).toBe(CIRCUIT);
    expect(log.every((d) => d.status === 'failed' || d.status === 'suppressed')).toBe(true);
    expect(log.filter((d) => d.status === 'suppressed').length).toBeGreaterThan(0);
    const webhook = (await call(ctx, 'GET', `/admin/apps/${slug}/webhooks/${id}`)).body;
    expect(webhook.circuit).toMatchObject({ open: true, consecutive_failures: CIRCUIT });
    expect((await auditRows(ctx, 'webhook.circuit_opened')).filter((row) => row.target === `webhook:${id}`)).toHaveLength(1);

    // Later events are recorded, not sent.
    for (let i = 0; i < 3; i++) await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug, version: `1.1.${i}` }));
    await drain(ctx);
    expect(rx.requests).toHaveLength(CIRCUIT);
    const later = (await deliveries(slug, id)).slice(0, 3);
    expect(later.map((d) => [d.status, d.attempts])).toEqual([['suppressed', 0], ['suppressed', 0], ['suppressed', 0]]);
    expect(later[0].last_error).toMatch(/circuit is open/);

    // Fixed: a test event is sent despite the circuit, succeeds, and closes it; the next event goes out.
    rx.answer = () => 204;
    const test = await call(ctx, 'POST', `/admin/apps/${slug}/webhooks/${id}/test`);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ event: 'webhook.test', status: 'succeeded', attempts: 1, response_status: 204 });
    expect((await call(ctx, 'GET', `/admin/apps/${slug}/webhooks/${id}`)).body.circuit).toEqual({ open: false, opened_at: null, consecutive_failures: 0 });
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug, version: '1.2.0' }));
    await drain(ctx);
    expect(rx.requests).toHaveLength(CIRCUIT + 2);
  });

  it('bounds attempts to a refused connection the same way, and re-enabling closes the circuit', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const { slug, appId, id } = await hooked(`http://127.0.0.1:${port}/gone`);
    await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug }));
    await drain(ctx);
    let [first] = await deliveries(slug, id);
    expect(first).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, response_status: null, last_error: 'connection refused' });
    for (let i = 0; i < 4; i++) await ctx.deps.events.emit(releaseEvent(appId, { appSlug: slug, version: `2.0.${i}` }));
    await drain(ctx);
    const log = await deliveries(slug, id);
    expect(log.reduce((sum, d) => sum + d.attempts, 0)).toBe(CIRCUIT);

    const enabled = await call(ctx, 'PATCH', `/admin/apps/${slug}/webhooks/${id}`, { body: { active: true } });
    expect(enabled.body.circuit).toEqual({ open: false, opened_at: null, consecutive_failures: 0 });
    const audit = (await auditRows(ctx, 'webhook.update')).at(-1)!;
    expect(audit.details).toMatchObject({ changed: { circuit: { from: 'open', to: 'closed' } } });
  });

  it('times an attempt out instead of waiting on a receiver that never answers', async () => {
    const rx = await receiver(() => 'hang');
    const { slug, id } = await hooked(rx.url);
    const started = Date.now();
    const test = await call(ctx, 'POST', `/admin/apps/${slug}/webhooks/${id}/test`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 3000);
    expect(test.body).toMatchObject({ status: 'failed', attempts: 1, response_status: null, last_error: 'no answer within 2 s' });
  });

  it('keeps pending retries across a restart: another dispatcher over the same database delivers them', async () => {
    const rx = await receiver((index) => (index === 0 ? 502 : 200));
    const { slug, appId, id } = await hooked(rx.url);
    const settings = { ...ctx.config.webhooks, retryDelaysMs: [400, 400] };
    const before = new WebhookDispatcher(ctx.database.db, settings);
    expect(await before.enqueue(releaseEvent(appId, { appSlug: slug }))).toBe(1);
    await before.stop();
    const [waiting] = await deliveries(slug, id);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1, response_status: 502 });
    expect(rx.requests).toHaveLength(1);

    const after = new WebhookDispatcher(ctx.database.db, settings);
    after.start(50);
    const deadline = Date.now() + 10_000;
    while (rx.requests.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    await after.stop();
    const [done] = await deliveries(slug, id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, response_status: 200 });
    expect(rx.requests[1]!.headers['x-tauri-release-delivery']).toBe(done.id);
    expect(rx.requests[1]!.at - rx.requests[0]!.at).toBeGreaterThanOrEqual(400 * 0.8 - 5);
  });

  it('never logs a secret or a webhook URL', () => {
    expect(secrets.length).toBeGreaterThan(5);
    const text = logged.join('\n');
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain('/hooks/tauri');
  });
});
