import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { createApp } from '../app.ts';
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

  it('/readyz is 503 naming what failed, and answers even when a dependency hangs', async () => {
    const failing = createApp({ ...ctx.deps, storage: { ...ctx.storage, check: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9')) } });
    const res = await failing.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'unavailable',
      checks: {
        database: { status: 'ok', latency_ms: expect.any(Number) },
        storage: { status: 'unavailable', latency_ms: expect.any(Number), error: 'connect ECONNREFUSED 127.0.0.1:9' },
      },
    });
    const hanging = createApp({ ...ctx.deps, storage: { ...ctx.storage, check: () => new Promise(() => {}) } });
    const started = Date.now();
    const slow = await hanging.request('/readyz');
    expect(slow.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(READY_TIMEOUT_MS + 1_000);
    expect(((await slow.json()) as { checks: { storage: { error: string } } }).checks.storage.error).toBe(`no answer within ${READY_TIMEOUT_MS} ms`);
  });
});
