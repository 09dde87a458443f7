import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp } from '../app.ts';
import { createDeps } from '../create-deps.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { ABSENT_TTL_MS, REFRESH_AHEAD_MS, ReleaseCache } from './cache.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.close();
});

const linux = [{ platform: 'linux-x86_64', bundle: 'appimage' }];

/** An app over the context's database whose cache runs on a clock the test moves. */
function withClock(ttlMs = ctx.config.updateCacheTtlMs) {
  const clock = { now: 1_000_000 };
  const config = { ...ctx.config, updateCacheTtlMs: ttlMs };
  const cache = new ReleaseCache(ctx.database.db, ctx.storage, config, { now: () => clock.now });
  const app = createApp({ ...createDeps(config, ctx.database.db, ctx.storage), releaseCache: cache });
  const version = async (path: string) => {
    const res = await app.request(path);
    return res.status === 200 ? ((await res.json()) as { version: string }).version : res.status;
  };
  return { clock, cache, app, version };
}

describe('steady state', () => {
  it('answers repeated checks from memory: one load, then no query', async () => {
    const appId = await insertApp(ctx.database.db, 'steady');
    await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: linux });
    const { cache, version } = withClock();
    expect(await version('/update/steady/linux/x86_64/0.1.0')).toBe('1.0.0');
    expect(cache.loads).toBe(1);
    for (let i = 0; i < 20; i++) expect(await version('/update/steady/linux/x86_64/0.1.0')).toBe('1.0.0');
    expect(await version('/steady/update/linux-x86_64/1.0.0')).toBe(204);
    expect(cache.loads).toBe(1);
  });

  it('shares one load among concurrent misses', async () => {
    const appId = await insertApp(ctx.database.db, 'flight');
    await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: linux });
    const { cache, app } = withClock();
    const responses = await Promise.all(Array.from({ length: 25 }, () => app.request('/update/flight/linux/x86_64/0.1.0')));
    expect(responses.map((r) => r.status)).toEqual(Array(25).fill(200));
    expect(cache.loads).toBe(1);
  });

  it('serves a check synchronously once cached', async () => {
    const { cache } = withClock();
    expect(cache.lookup('steady')).toBeInstanceOf(Promise);
    await cache.get('steady');
    expect(cache.lookup('steady')).toMatchObject({ app: { slug: 'steady' } });
  });
});

describe('freshness', () => {
  it('shows a change at once after invalidate(appId)', async () => {
    const appId = await insertApp(ctx.database.db, 'fresh');
    await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: linux });
    const { cache, version } = withClock();
    expect(await version('/update/fresh/linux/x86_64/0.1.0')).toBe('1.0.0');
    await insertRelease(ctx.database.db, appId, { version: '1.1.0', artifacts: linux });
    expect(await version('/update/fresh/linux/x86_64/0.1.0')).toBe('1.0.0');
    cache.invalidate(appId);
    expect(await version('/update/fresh/linux/x86_64/0.1.0')).toBe('1.1.0');
    expect(cache.loads).toBe(2);
  });

  it('picks up a change made behind its back once the TTL has passed', async () => {
    const appId = await insertApp(ctx.database.db, 'ttl');
    await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: linux });
    const { clock, cache, version } = withClock(15_000);
    expect(await version('/update/ttl/linux/x86_64/0.1.0')).toBe('1.0.0');
    await ctx.database.db.updateTable('releases').set({ status: 'archived' }).where('app_id', '=', appId).execute();
    clock.now += 14_999;
    expect(await version('/update/ttl/linux/x86_64/0.1.0')).toBe('1.0.0');
    clock.now += 1;
    expect(await version('/update/ttl/linux/x86_64/0.1.0')).toBe(204);
    expect(cache.loads).toBe(2);
  });

  it('reloads in the background shortly before the TTL, answering from the snapshot meanwhile', async () => {
    const appId = await insertApp(ctx.database.db, 'ahead');
    await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: linux });
    const { clock, cache, version } = withClock(15_000);
    expect(await version('/update/ahead/linux/x86_64/0.1.0')).toBe('1.0.0');
    await insertRelease(ctx.database.db, appId, { version: '1.1.0', artifacts: linux });
    clock.now += 15_000 - REFRESH_AHEAD_MS - 1;
    expect(cache.peek('ahead')?.releases.length).toBe(1);
    expect(cache.loads).toBe(1);
    clock.now += 1; // into the refresh window: this check is still answered from memory, and starts a reload
    expect(cache.peek('ahead')?.releases.length).toBe(1);
    expect(cache.peek('ahead')?.releases.length).toBe(1);
    expect(cache.loads).toBe(2);
    await cache.get('ahead');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await version('/update/ahead/linux/x86_64/0.1.0')).toBe('1.1.0');
    expect(cache.loads).toBe(2);
  });

  it('does not store a load that an invalidation overtook', async () => {
    const appId = await insertApp(ctx.database.db, 'overtaken');
    await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: linux });
    const { cache } = withClock();
    const loading = cache.get('overtaken');
    cache.invalidate(appId);
    expect((await loading)?.releases.length).toBe(1);
    expect(cache.peek('overtaken')).toBeUndefined();
  });

  it('with a TTL of 0, reads the database on every check', async () => {
    const { cache, version } = withClock(0);
    await version('/update/steady/linux/x86_64/0.1.0');
    await version('/update/steady/linux/x86_64/0.1.0');
    expect(cache.loads).toBe(2);
  });
});

describe('unknown apps', () => {
  it('remembers an absent app briefly, and forgets it on any invalidation', async () => {
    const { clock, cache, version } = withClock(60_000);
    for (let i = 0; i < 10; i++) expect(await version('/update/late-app/linux/x86_64/0.1.0')).toBe(404);
    expect(cache.loads).toBe(1);
    const appId = await insertApp(ctx.database.db, 'late-app');
    await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: linux });
    expect(await version('/update/late-app/linux/x86_64/0.1.0')).toBe(404);
    cache.invalidate(appId);
    expect(await version('/update/late-app/linux/x86_64/0.1.0')).toBe('1.0.0');
    expect(cache.loads).toBe(2);

    expect(await version('/update/later-app/linux/x86_64/0.1.0')).toBe(404);
    const laterId = await insertApp(ctx.database.db, 'later-app');
    await insertRelease(ctx.database.db, laterId, { version: '1.0.0', artifacts: linux });
    clock.now += ABSENT_TTL_MS; // far below the 60 s TTL of a present app
    expect(await version('/update/later-app/linux/x86_64/0.1.0')).toBe('1.0.0');
  });

  it('never queries for a slug no app can have', async () => {
    const { cache, version } = withClock();
    expect(await version('/update/-bad/linux/x86_64/0.1.0')).toBe(404);
    expect(await version(`/update/${'a'.repeat(70)}/linux/x86_64/0.1.0`)).toBe(404);
    expect(cache.loads).toBe(0);
  });
});
