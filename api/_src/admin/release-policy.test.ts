/**
 * Release policy through the admin API and the update endpoint together: channels, rollout changes, yanks,
 * critical fields and archive, on a real database, with the events the mutations tell after commit.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { parseRemoteRelease } from '../../../test/support/tauri.ts';
import { createApp } from '../app.ts';
import { createDeps } from '../create-deps.ts';
import type { ReleaseEvent } from '../releases/events.ts';
import { ReleaseCache } from '../update/cache.ts';
import { auditRows, call, insertKey } from './testing.ts';

let ctx: TestContext;
const events: ReleaseEvent[] = [];
beforeAll(async () => {
  ctx = await createTestContext();
  ctx.deps.events.subscribe((event) => {
    events.push(event);
  });
});
afterAll(async () => {
  await ctx.close();
});

const db = () => ctx.database.db;
const linux = [{ platform: 'linux-x86_64', bundle: 'appimage' }];

async function check(path: string, headers: Record<string, string> = {}) {
  const res = await ctx.app.request(path, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, any>) : null };
}
const versionOf = async (path: string, headers?: Record<string, string>) => {
  const res = await check(path, headers);
  return res.status === 200 ? res.json!.version : res.status;
};

describe('channels', () => {
  beforeAll(async () => {
    const appId = await insertApp(db(), 'chan');
    await insertRelease(db(), appId, { version: '1.0.0', artifacts: linux });
    await insertRelease(db(), appId, { version: '1.1.0', artifacts: linux });
    await insertRelease(db(), appId, { version: '1.1.0-beta.2', channel: 'beta', artifacts: linux });
  });

  it('answers an unknown channel with a 404 that names the known ones, never another channel', async () => {
    const res = await check('/update/chan/linux/x86_64/1.0.0?channel=nightly');
    expect(res.status).toBe(404);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json).toEqual({ error: { code: 'not_found', message: expect.stringContaining('no channel "nightly"; its channels are beta, stable') } });
  });

  it('serves beta alone until beta follows stable, then the newer stable release too', async () => {
    expect(await versionOf('/update/chan/linux/x86_64/1.0.0?channel=beta')).toBe('1.1.0-beta.2');
    expect(await versionOf('/update/chan/linux/x86_64/1.1.0-beta.2?channel=beta')).toBe(204);

    const put = await call(ctx, 'PUT', '/admin/apps/chan/channels', {
      body: { channels: [{ name: 'beta', follows: 'stable' }, { name: 'nightly', follows: 'beta' }] },
    });
    expect(put.status).toBe(200);
    expect(put.body.channels).toEqual([
      { name: 'beta', follows: 'stable', configured: true, serves_from: ['beta', 'stable'], published_releases: 1 },
      { name: 'nightly', follows: 'beta', configured: true, serves_from: ['nightly', 'beta', 'stable'], published_releases: 0 },
      { name: 'stable', follows: null, configured: true, serves_from: ['stable'], published_releases: 2 },
    ]);
    expect(await versionOf('/update/chan/linux/x86_64/1.1.0-beta.2?channel=beta')).toBe('1.1.0');
    expect(await versionOf('/update/chan/linux/x86_64/1.0.0?channel=nightly')).toBe('1.1.0');
    expect(await versionOf('/update/chan/linux/x86_64/1.0.0')).toBe('1.1.0');
    const [row] = await auditRows(ctx, 'app.channels');
    expect(row?.details).toMatchObject({ from: [], to: [{ name: 'beta', follows: 'stable' }, { name: 'nightly', follows: 'beta' }] });
    expect((await call(ctx, 'GET', '/admin/apps/chan/channels')).body).toEqual(put.body);
  });

  it.each([
    [{ channels: [{ name: 'a', follows: 'b' }, { name: 'b', follows: 'a' }] }, 'cycle'],
    [{ channels: [{ name: 'beta', follows: 'alpha' }] }, 'not in the list'],
    [{ channels: [{ name: 'stable', follows: 'beta' }, { name: 'beta' }] }, 'cannot follow another'],
    [{ channels: [{ name: 'Beta' }] }, 'channels.0.name'],
    [{ channels: [{ name: 'beta', extra: 1 }] }, 'extra'],
    [{}, 'channels'],
  ])('refuses %j with a 400 (%s)', async (body, message) => {
    const res = await call(ctx, 'PUT', '/admin/apps/chan/channels', { body });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
  });

  it('lets only admins configure, and only for their app', async () => {
    const appId = (await db().selectFrom('apps').select('id').where('slug', '=', 'chan').executeTakeFirstOrThrow()).id;
    const ci = await insertKey(ctx, 'ci', appId);
    expect((await call(ctx, 'PUT', '/admin/apps/chan/channels', { auth: ci.auth, body: { channels: [] } })).status).toBe(403);
    expect((await call(ctx, 'GET', '/admin/apps/chan/channels', { auth: ci.auth })).status).toBe(200);
    const other = await insertKey(ctx, 'admin', await insertApp(db(), 'chan-other'));
    expect((await call(ctx, 'PUT', '/admin/apps/chan/channels', { auth: other.auth, body: { channels: [] } })).status).toBe(404);
  });
});

describe('staged rollouts through the endpoint', () => {
  let staged: string;
  beforeAll(async () => {
    const appId = await insertApp(db(), 'staged');
    await insertRelease(db(), appId, { version: '1.0.0', artifacts: linux });
    staged = (await insertRelease(db(), appId, { version: '2.0.0', artifacts: linux })).id;
    await db().updateTable('releases').set({ rollout_percent: 50 }).where('id', '=', staged).execute();
  });

  it.each([
    ['/update/staged/linux/x86_64/1.0.0', { 'x-install-id': 'short' }, 'invalid install id "short"'],
    ['/update/staged/linux/x86_64/1.0.0?install_id=has%20space%201234', {}, 'invalid install id'],
    ['/staged/update/linux-x86_64/1.0.0?install_id=abcdefgh-1', { 'x-install-id': 'abcdefgh-2' }, 'differ'],
  ])('%s with %j → 400', async (path, headers, message) => {
    const res = await check(path, headers);
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json!.error).toEqual({ code: 'invalid_request', message: expect.stringContaining(message) });
  });

  it('splits installs between the staged and the previous release, with private answers that vary by install id', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const id = `install-${i.toString().padStart(4, '0')}`;
      const res = await check('/update/staged/linux/x86_64/0.9.0', { 'x-install-id': id });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('private, max-age=60');
      expect(res.headers.get('vary')).toBe('X-Install-Id');
      // The same id in the query gets the same answer.
      expect(await versionOf(`/update/staged/linux/x86_64/0.9.0?install_id=${id}`)).toBe(res.json!.version);
      seen.set(res.json!.version, (seen.get(res.json!.version) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['1.0.0', '2.0.0']);
    expect(seen.get('2.0.0')).toBeGreaterThan(60);
    expect(seen.get('2.0.0')).toBeLessThan(140);
  });

  it('gives an install without an id only fully rolled-out releases, still privately', async () => {
    const res = await check('/update/staged/linux/x86_64/0.9.0');
    expect(res.json!.version).toBe('1.0.0');
    expect(res.headers.get('cache-control')).toBe('private, max-age=60');
    // An install already past every staged candidate gets a public answer a CDN may keep.
    const past = await check('/update/staged/linux/x86_64/2.0.0');
    expect(past.status).toBe(204);
    expect(past.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=60, stale-while-revalidate=60');
    expect(past.headers.get('vary')).toBeNull();
  });

  it('answers If-None-Match per install: 304 for the same answer, 200 for another install whose answer differs', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `etag-install-${i}`);
    const answers = await Promise.all(ids.map(async (id) => ({ id, res: await check('/update/staged/linux/x86_64/0.9.0', { 'x-install-id': id }) })));
    const inside = answers.find((a) => a.res.json!.version === '2.0.0')!;
    const outside = answers.find((a) => a.res.json!.version === '1.0.0')!;
    const etag = inside.res.headers.get('etag')!;
    const same = await ctx.app.request('/update/staged/linux/x86_64/0.9.0', { headers: { 'x-install-id': inside.id, 'if-none-match': etag } });
    expect(same.status).toBe(304);
    expect(same.headers.get('vary')).toBe('X-Install-Id');
    expect(same.headers.get('cache-control')).toBe('private, max-age=60');
    const other = await check('/update/staged/linux/x86_64/0.9.0', { 'x-install-id': outside.id, 'if-none-match': etag });
    expect(other.status).toBe(200);
    expect(other.json!.version).toBe('1.0.0');
  });

  it('tells rollout changes of a published release after commit, and pausing at 0 stops new installs at once', async () => {
    events.length = 0;
    const res = await call(ctx, 'PATCH', `/admin/apps/staged/releases/${staged}`, { body: { rollout_percent: 0 } });
    expect(res.status).toBe(200);
    expect(events).toEqual([expect.objectContaining({ kind: 'release.rollout_changed', version: '2.0.0', rolloutPercent: 0 })]);
    for (let i = 0; i < 20; i++) expect(await versionOf('/update/staged/linux/x86_64/0.9.0', { 'x-install-id': `install-${i}-paused` })).toBe('1.0.0');
    expect((await call(ctx, 'PATCH', `/admin/apps/staged/releases/${staged}`, { body: { rollout_percent: 100 } })).status).toBe(200);
    expect(await versionOf('/update/staged/linux/x86_64/0.9.0')).toBe('2.0.0');
  });

  it.each([[0.1], [-1], [101], ['50']])('refuses rollout_percent %j with a 400', async (rollout_percent) => {
    const res = await call(ctx, 'PATCH', `/admin/apps/staged/releases/${staged}`, { body: { rollout_percent } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });
});

describe('critical and minimum supported version', () => {
  let id: string;
  beforeAll(async () => {
    const appId = await insertApp(db(), 'crit');
    await insertRelease(db(), appId, { version: '1.0.0', artifacts: linux });
    id = (await insertRelease(db(), appId, { version: '2.0.0', artifacts: linux })).id;
  });

  it('puts the fields in the manifest for rawJson, below_minimum per install', async () => {
    const res = await call(ctx, 'PATCH', `/admin/apps/crit/releases/${id}`, { body: { critical: true, min_supported_version: 'v1.5.0' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ critical: true, min_supported_version: '1.5.0', yanked_at: null, replacement_release_id: null });
    const audit = (await auditRows(ctx, 'release.update')).at(-1);
    expect(audit?.details).toMatchObject({ changes: { critical: true, min_supported_version: '1.5.0' } });

    const below = await check('/update/crit/linux/x86_64/1.0.0');
    expect(below.json).toMatchObject({ version: '2.0.0', critical: true, min_supported_version: '1.5.0', below_minimum: true });
    expect(parseRemoteRelease(below.json)).toMatchObject({ version: '2.0.0' });
    const above = await check('/update/crit/linux/x86_64/1.6.0');
    expect(above.json).toMatchObject({ critical: true, below_minimum: false });
    expect(above.headers.get('etag')).not.toBe(below.headers.get('etag'));
  });

  it('refuses a minimum above the release itself, and clears it with null', async () => {
    const res = await call(ctx, 'PATCH', `/admin/apps/crit/releases/${id}`, { body: { min_supported_version: '2.0.1' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('higher than the release');
    expect((await call(ctx, 'PATCH', `/admin/apps/crit/releases/${id}`, { body: { min_supported_version: null, critical: false } })).status).toBe(200);
    expect(Object.keys((await check('/update/crit/linux/x86_64/1.0.0')).json!)).toEqual(['version', 'notes', 'pub_date', 'url', 'signature']);
  });
});

describe('yank', () => {
  let bad: string;
  let good: string;
  beforeAll(async () => {
    const appId = await insertApp(db(), 'yank');
    good = (await insertRelease(db(), appId, { version: '1.9.0', artifacts: linux })).id;
    bad = (await insertRelease(db(), appId, { version: '2.0.0', artifacts: linux })).id;
    await insertRelease(db(), appId, { version: '2.1.0', status: 'draft', artifacts: linux });
  });

  it('refuses drafts, CI keys, and replacements that are not published or are the release itself', async () => {
    const appId = (await db().selectFrom('apps').select('id').where('slug', '=', 'yank').executeTakeFirstOrThrow()).id;
    const ci = await insertKey(ctx, 'ci', appId);
    expect((await call(ctx, 'POST', '/admin/apps/yank/releases/2.0.0/yank', { auth: ci.auth, body: {} })).status).toBe(403);
    expect((await call(ctx, 'POST', '/admin/apps/yank/releases/2.1.0/yank', { body: {} })).status).toBe(409);
    expect((await call(ctx, 'POST', '/admin/apps/yank/releases/2.0.0/yank', { body: { replacement: '2.1.0' } })).status).toBe(409);
    expect((await call(ctx, 'POST', '/admin/apps/yank/releases/2.0.0/yank', { body: { replacement: '2.0.0' } })).status).toBe(409);
    expect((await call(ctx, 'POST', '/admin/apps/yank/releases/2.0.0/yank', { body: { replacement: '9.9.9' } })).status).toBe(404);
    expect((await call(ctx, 'POST', '/admin/apps/yank/releases/2.0.0/yank', { body: { replacement: 5 } })).status).toBe(400);
    expect(await versionOf('/update/yank/linux/x86_64/1.0.0')).toBe('2.0.0');
  });

  it('stops offering the yanked release at once and offers installs on it the lower replacement', async () => {
    events.length = 0;
    const res = await call(ctx, 'POST', '/admin/apps/yank/releases/2.0.0/yank', { body: { replacement: '1.9.0', reason: 'crashes on start' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: bad, status: 'archived', yanked_at: expect.any(String), replacement_release_id: good });
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'release.yanked',
        appSlug: 'yank',
        releaseId: bad,
        version: '2.0.0',
        details: { previous_status: 'published', replacement_release_id: good, replacement_version: '1.9.0', reason: 'crashes on start' },
      }),
    ]);
    const [audit] = await auditRows(ctx, 'release.yank');
    expect(audit?.details).toMatchObject({ version: '2.0.0', from: 'published', replacement: { version: '1.9.0' }, reason: 'crashes on start' });

    expect(await versionOf('/update/yank/linux/x86_64/1.0.0')).toBe('1.9.0');
    expect(await versionOf('/update/yank/linux/x86_64/1.9.0')).toBe(204);
    const downgrade = await check('/update/yank/linux/x86_64/2.0.0');
    expect(downgrade.status).toBe(200);
    expect(parseRemoteRelease(downgrade.json)).toMatchObject({ version: '1.9.0' });
    expect(downgrade.json).toMatchObject({ replaces_yanked: '2.0.0' });
  });

  it('yanks again to change the replacement, and a cleared yank stops the downgrade', async () => {
    // No body at all, as `curl -X POST` sends it through node:http (`call` passes the empty stream Hono then gets).
    const bare = await call(ctx, 'POST', '/admin/apps/yank/releases/2.0.0/yank');
    expect(bare.status).toBe(200);
    expect(bare.body.replacement_release_id).toBeNull();
    expect(await versionOf('/update/yank/linux/x86_64/2.0.0')).toBe(204);
    expect((await call(ctx, 'POST', '/admin/apps/yank/releases/2.0.0/yank', { body: { replacement: good } })).status).toBe(200);
    expect(await versionOf('/update/yank/linux/x86_64/2.0.0')).toBe('1.9.0');
    const cleared = await call(ctx, 'DELETE', '/admin/apps/yank/releases/2.0.0/yank');
    expect(cleared.body).toMatchObject({ status: 'archived', yanked_at: null, replacement_release_id: null });
    expect(await versionOf('/update/yank/linux/x86_64/2.0.0')).toBe(204);
    expect((await call(ctx, 'DELETE', '/admin/apps/yank/releases/2.0.0/yank')).status).toBe(409);
  });
});

describe('archive rolls back', () => {
  it('serves the previous release right after, here at once and on another instance within its TTL', async () => {
    const appId = await insertApp(db(), 'rollback');
    await insertRelease(db(), appId, { version: '1.0.0', artifacts: linux });
    const latest = await insertRelease(db(), appId, { version: '1.1.0', artifacts: linux });
    const clock = { now: 1_000_000 };
    const config = { ...ctx.config, updateCacheTtlMs: 15_000 };
    const otherCache = new ReleaseCache(db(), ctx.storage, config, { now: () => clock.now });
    const other = createApp({ ...createDeps(config, db(), ctx.storage), releaseCache: otherCache });
    const otherVersion = async (path: string) => {
      const res = await other.request(path);
      return res.status === 200 ? ((await res.json()) as { version: string }).version : res.status;
    };
    expect(await versionOf('/update/rollback/linux/x86_64/0.1.0')).toBe('1.1.0');
    expect(await otherVersion('/update/rollback/linux/x86_64/0.1.0')).toBe('1.1.0');

    expect((await call(ctx, 'POST', `/admin/apps/rollback/releases/${latest.id}/archive`)).status).toBe(200);
    expect(await versionOf('/update/rollback/linux/x86_64/0.1.0')).toBe('1.0.0');
    expect(await versionOf('/update/rollback/linux/x86_64/1.0.0')).toBe(204);
    // The other instance holds its snapshot until the TTL, then reads the rollback.
    clock.now += 14_000;
    expect(await otherVersion('/update/rollback/linux/x86_64/0.1.0')).toBe('1.1.0');
    clock.now += 1_001;
    expect(await otherVersion('/update/rollback/linux/x86_64/0.1.0')).toBe('1.0.0');
  });
});
