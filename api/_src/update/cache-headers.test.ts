/**
 * Update answers a CDN may keep: `public, max-age, s-maxage, stale-while-revalidate` from the settings, no
 * `Vary` on them (nothing but the URL changes the answer), `private` + `Vary: X-Install-Id` when a staged rollout
 * decided, `no-store` on every error. A shared cache that follows those headers never hands an install an answer
 * the origin would not have given it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { UnavailableError } from '../http/errors.ts';
import { ModelSharedCache } from '../../../test/support/shared-cache.ts';

const SHARED = 'public, max-age=30, s-maxage=300, stale-while-revalidate=600';

let ctx: TestContext;
const linux = [{ platform: 'linux-x86_64', bundle: 'appimage' }];

beforeAll(async () => {
  // Over a thousand checks from one (in-process) address: the rate limiter is another test's subject.
  ctx = await createTestContext({ env: { RATE_LIMITS: 'off', UPDATE_MAX_AGE_SECONDS: '30', UPDATE_S_MAXAGE_SECONDS: '300', UPDATE_STALE_WHILE_REVALIDATE_SECONDS: '600' } });
  const plain = await insertApp(ctx.database.db, 'plain');
  await insertRelease(ctx.database.db, plain, { version: '1.0.0', artifacts: linux });
  const staged = await insertApp(ctx.database.db, 'staged');
  await insertRelease(ctx.database.db, staged, { version: '1.0.0', artifacts: linux });
  const next = await insertRelease(ctx.database.db, staged, { version: '2.0.0', artifacts: linux });
  await ctx.database.db.updateTable('releases').set({ rollout_percent: 30 }).where('id', '=', next.id).execute();
});
afterAll(async () => {
  await ctx.close();
});

const origin = (path: string, headers: Record<string, string> = {}) => ctx.app.request(path, { headers });

describe('Cache-Control of update answers', () => {
  it('carries the configured shared-cache policy on 200, 204 and 304, with no Vary', async () => {
    const update = await origin('/update/plain/linux/x86_64/0.9.0');
    expect(update.status).toBe(200);
    expect(update.headers.get('cache-control')).toBe(SHARED);
    expect(update.headers.get('vary')).toBeNull();
    const upToDate = await origin('/update/plain/linux/x86_64/1.0.0');
    expect(upToDate.status).toBe(204);
    expect(upToDate.headers.get('cache-control')).toBe(SHARED);
    const notModified = await origin('/update/plain/linux/x86_64/0.9.0', { 'if-none-match': update.headers.get('etag')! });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('cache-control')).toBe(SHARED);
    // The install id changes nothing where no rollout is staged: the same public answer.
    const withId = await origin('/update/plain/linux/x86_64/0.9.0', { 'x-install-id': 'install-0001' });
    expect(withId.headers.get('cache-control')).toBe(SHARED);
    expect(await withId.text()).toBe(await update.text());
  });

  it('keeps answers a staged rollout decided out of shared caches', async () => {
    for (const headers of [{ 'x-install-id': 'install-0001' }, {}] as Record<string, string>[]) {
      const res = await origin('/update/staged/linux/x86_64/0.9.0', headers);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('private, max-age=30');
      expect(res.headers.get('vary')).toBe('X-Install-Id');
    }
  });

  it('never lets a shared cache give an install an answer the origin would not', async () => {
    const cache = new ModelSharedCache(origin);
    const requests: [string, Record<string, string>][] = [];
    for (let i = 0; i < 100; i++) {
      const id = { 'x-install-id': `install-${String(i).padStart(4, '0')}` };
      requests.push(['/update/staged/linux/x86_64/0.9.0', id], ['/update/staged/linux/x86_64/2.0.0', id], ['/update/plain/linux/x86_64/0.9.0', id]);
      requests.push(['/update/staged/linux/x86_64/0.9.0', {}], ['/update/plain/linux/x86_64/0.9.0', {}]);
    }
    const versions = new Set<string>();
    for (const [path, headers] of requests) {
      const viaCache = await cache.fetch(path, headers);
      const direct = await origin(path, headers);
      expect(viaCache).toEqual({ status: direct.status, body: await direct.text() });
      if (viaCache.status === 200) versions.add(`${path.split('/')[2]} ${JSON.parse(viaCache.body).version}`);
    }
    // Both sides of the rollout were really served, and the cache answered the public checks.
    expect([...versions].sort()).toEqual(['plain 1.0.0', 'staged 1.0.0', 'staged 2.0.0']);
    expect(cache.hits).toBeGreaterThan(250);
  });

  it('never lets an error be cached: 400, 404 and 503 are no-store', async () => {
    expect((await origin('/update/plain/linux/x86_64/not-a-version')).headers.get('cache-control')).toBe('no-store');
    expect((await origin('/update/nope/linux/x86_64/1.0.0')).headers.get('cache-control')).toBe('no-store');
    const cache = ctx.deps.releaseCache;
    const original = cache.lookup.bind(cache);
    cache.lookup = () => Promise.reject(new UnavailableError('the database'));
    try {
      const outage = await origin('/update/plain/linux/x86_64/0.9.0');
      expect(outage.status).toBe(503);
      expect(outage.headers.get('cache-control')).toBe('no-store');
    } finally {
      cache.lookup = original;
    }
  });
});
