import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { createApp } from '../app.ts';
import { FileSystemStorage } from '../storage/fs.ts';
import { READY_TIMEOUT_MS } from './routes.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.close();
});

describe('front door', () => {
  it('GET / is a page naming the dashboard, the docs and the probes', async () => {
    const res = await ctx.app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    for (const path of ['/ui', '/docs', '/healthz', '/readyz']) expect(html).toContain(`<a href="${path}">`);
  });

  it('GET / with Accept: application/json lists the same links', async () => {
    const res = await ctx.app.request('/', { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { links: Record<string, string> };
    expect(Object.keys(body.links)).toEqual(['/ui', '/docs', '/healthz', '/readyz']);
  });
});

describe('probes', () => {
  it('/healthz answers while the process is up, never cached', async () => {
    const res = await ctx.app.request('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok', uptime_seconds: expect.any(Number) });
  });

  it('/readyz reports the database and the storage with their latency', async () => {
    const res = await ctx.app.request('/readyz');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string; latency_ms: number }> };
    expect(body.status).toBe('ok');
    for (const name of ['database', 'storage']) {
      expect(body.checks[name]!.status).toBe('ok');
      expect(body.checks[name]!.latency_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('/readyz is 503 naming what failed but never where it points, and answers even when a dependency hangs', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:443'), { code: 'ECONNREFUSED' });
    const failing = createApp({ ...ctx.deps, storage: { ...ctx.storage, check: () => Promise.reject(refused) } });
    const res = await failing.request('/readyz');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({
      status: 'unavailable',
      checks: {
        database: { status: 'ok', latency_ms: expect.any(Number) },
        storage: { status: 'unavailable', latency_ms: expect.any(Number), error: 'unreachable' },
      },
    });
    // The Neon driver's WebSocket failure names its host; the public probe must not.
    const socketDown = new Error('could not open the WebSocket (wss://ep-secret-host.eu-central-1.aws.neon.tech/v2)');
    const noDatabase = createApp({
      ...ctx.deps,
      db: { selectNoFrom: () => ({ execute: () => Promise.reject(socketDown) }) } as unknown as typeof ctx.deps.db,
    });
    const text = await (await noDatabase.request('/readyz')).text();
    expect(JSON.parse(text).checks.database).toEqual({ status: 'unavailable', latency_ms: expect.any(Number), error: 'unreachable' });
    expect(text).not.toContain('neon.tech');
    const odd = createApp({ ...ctx.deps, storage: { ...ctx.storage, check: () => Promise.reject(new Error('bucket s3://hidden.example.com misconfigured')) } });
    const oddText = await (await odd.request('/readyz')).text();
    expect(JSON.parse(oddText).checks.storage.error).toBe('failed');
    expect(oddText).not.toContain('hidden.example.com');
    const hanging = createApp({ ...ctx.deps, storage: { ...ctx.storage, check: () => new Promise(() => {}) } });
    const started = Date.now();
    const slow = await hanging.request('/readyz');
    expect(slow.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(READY_TIMEOUT_MS + 1_000);
    expect(((await slow.json()) as { checks: { storage: { error: string } } }).checks.storage.error).toBe(`no answer within ${READY_TIMEOUT_MS} ms`);
  });

  it('/readyz is 503 when the disk under file storage is (nearly) full', async () => {
    const full = new FileSystemStorage(ctx.config.dataDir, { minFreeBytes: Number.MAX_SAFE_INTEGER });
    const res = await createApp({ ...ctx.deps, storage: full }).request('/readyz');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: { storage: unknown } };
    expect(body.checks.storage).toEqual({ status: 'unavailable', latency_ms: expect.any(Number), error: 'low on disk space' });
  });
});
