/**
 * Update checks and downloads through the real app on a real database: what is counted, that the hot
 * path runs no statement, that a flush is one statement, and the admin reports.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Hono } from 'hono';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { createApp } from '../app.ts';
import { createDeps } from '../create-deps.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { UsageAnalytics } from './recorder.ts';
import { PROBE_HEADER } from '../protocol/probe.ts';

/** Counts every statement sent through the Kysely instance it is plugged into; throws while `failing`. */
class StatementCounter implements KyselyPlugin {
  statements: string[] = [];
  failing = false;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (this.failing) throw Object.assign(new Error('connection terminated unexpectedly'), { code: '08006' });
    this.statements.push(args.node.kind);
    return args.node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

const FILE = 'Metrics_1.1.0_amd64.AppImage';
const BYTES = new Uint8Array(Array.from({ length: 500 }, (_, i) => i % 256));
const T0 = Date.parse('2026-11-20T09:00:00Z');

let ctx: TestContext;
let counter: StatementCounter;
let clock: number;
let analytics: UsageAnalytics;
let app: Hono;
let appId: string;

/** A fresh app (new analytics buffer) over the same database, counting its statements. */
function build(): void {
  counter = new StatementCounter();
  const db = ctx.database.db.withPlugin(counter);
  const deps = createDeps(ctx.config, db, ctx.storage);
  analytics = new UsageAnalytics(db, { now: () => clock, flushIntervalMs: 3_600_000 });
  deps.analytics = analytics;
  app = createApp(deps);
}

const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });
const admin = async (path: string) => {
  const res = await app.request(`/admin/apps/metrics/analytics/${path}`, { headers: { authorization: ctx.adminAuth } });
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(async () => {
  ctx = await createTestContext();
  appId = await insertApp(ctx.database.db, 'metrics');
  await insertApp(ctx.database.db, 'other');
  await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: [{ platform: 'windows-x86_64', bundle: 'nsis' }, { platform: 'linux-x86_64', bundle: 'appimage' }] });
  await insertRelease(ctx.database.db, appId, { version: '1.1.0', artifacts: [{ platform: 'windows-x86_64', bundle: 'nsis' }, { platform: 'linux-x86_64', bundle: 'appimage', file: FILE, content: BYTES }] }, ctx.storage);
}, 120_000); // a fresh database with every migration: slow on a busy machine
afterAll(async () => {
  await ctx.close();
});
beforeEach(async () => {
  await ctx.database.db.deleteFrom('update_check_counts').execute();
  await ctx.database.db.deleteFrom('download_counts').execute();
  clock = T0;
  build();
});

describe('the hot path', () => {
  it('sends no statement to the database for any number of checks, and one per flush', async () => {
    expect((await get('/update/metrics/windows/x86_64/1.0.0')).status).toBe(200); // loads the release cache
    const loads = counter.statements.length;
    for (let i = 0; i < 500; i++) {
      const res = await get(`/update/metrics/${i % 2 ? 'windows/x86_64' : 'linux/x86_64'}/1.${i % 3}.0`, { 'x-install-id': `install-${i % 50}`, 'cf-ipcountry': i % 4 ? 'DE' : 'US' });
      expect([200, 204]).toContain(res.status);
    }
    for (let i = 0; i < 20; i++) expect((await get(`/download/metrics/1.1.0/${FILE}`)).status).toBe(200);
    expect(counter.statements.length).toBe(loads);
    expect(analytics.pending).toBeGreaterThan(0);

    expect(await analytics.flush()).toBe(true);
    expect(counter.statements.slice(loads)).toEqual(['RawNode']); // checks and downloads: one statement
    expect(analytics.pending).toBe(0);
    expect(await analytics.flush()).toBe(false); // nothing new: no statement at all
    expect(counter.statements.length).toBe(loads + 1);

    const rows = await ctx.database.db.selectFrom('update_check_counts').selectAll().execute();
    expect(rows.reduce((sum, row) => sum + row.checks, 0)).toBe(501);
    const downloads = await ctx.database.db.selectFrom('download_counts').selectAll().execute();
    expect(downloads).toMatchObject([{ version: '1.1.0', file_name: FILE, platform: 'linux-x86_64', bundle: 'appimage', country: '', downloads: 20 }]);
  });

  it('flushes on its own once the interval has passed, without the request waiting for it', async () => {
    await get('/update/metrics/windows/x86_64/1.0.0');
    const before = counter.statements.length;
    clock += 3_600_000;
    await get('/update/metrics/windows/x86_64/1.0.0'); // schedules the flush, answers first
    expect(counter.statements.length).toBe(before);
    for (let i = 0; i < 200 && analytics.flushes === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(counter.statements.length).toBe(before + 1);
    expect(analytics.flushes).toBe(1);
  });

  it('keeps the counts when a flush fails and writes them with the next one', async () => {
    await get('/update/metrics/windows/x86_64/1.0.0');
    counter.failing = true;
    expect(await analytics.flush()).toBe(false);
    await get('/update/metrics/windows/x86_64/1.0.0');
    counter.failing = false;
    expect(await analytics.flush()).toBe(true);
    const [row] = await ctx.database.db.selectFrom('update_check_counts').selectAll().execute();
    expect(row).toMatchObject({ version: '1.0.0', checks: 2 });
  });

  it('does not count checks for unknown apps, unknown channels or malformed requests', async () => {
    expect((await get('/update/nope/windows/x86_64/1.0.0')).status).toBe(404);
    expect((await get('/update/metrics/windows/x86_64/banana')).status).toBe(400);
    expect((await get('/update/metrics/windows/x86_64/1.0.0?channel=made-up')).status).toBe(404);
    expect(analytics.pending).toBe(0);
  });

  it('answers the probes of tauri-release doctor but does not count them', async () => {
    const probe = await get('/update/metrics/windows/x86_64/0.0.0', { [PROBE_HEADER]: 'doctor' });
    expect([200, 204]).toContain(probe.status);
    expect(analytics.pending).toBe(0);
    await get('/update/metrics/windows/x86_64/0.0.0');
    expect(analytics.pending).toBe(1);
  });
});

describe('what is counted', () => {
  it('adds up per app, version, platform, channel and UTC day, with distinct installs and no raw id or IP stored', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.7' };
    await get('/update/metrics/windows/x86_64/1.0.0', { ...headers, 'x-install-id': 'install-0001' });
    await get('/update/metrics/windows/x86_64/v1.0.0', { ...headers, 'x-install-id': 'install-0001' }); // same install, same day
    await get('/update/metrics/windows/x86_64/1.0.0?install_id=install-0002', headers);
    await get('/metrics/update/linux-x86_64/1.0.0', headers); // seed URL form, no id
    await get('/update/metrics/windows/x86_64/1.1.0', headers);
    clock = Date.parse('2026-11-21T00:00:01Z');
    await get('/update/metrics/windows/x86_64/1.0.0', { ...headers, 'x-install-id': 'install-0001' });
    await get('/update/other/windows/x86_64/1.0.0', headers); // another app: 204, counted for it
    const { status, body } = await admin('checks?from=2026-11-20&to=2026-11-21');
    expect(status).toBe(200);
    expect(body).toMatchObject({ app: 'metrics', from: '2026-11-20', to: '2026-11-21', total: 6 });
    expect(body.days).toEqual([
      { day: '2026-11-20', version: '1.0.0', platform: 'linux-x86_64', channel: 'stable', checks: 1, installs: 0, anonymous_checks: 1 },
      { day: '2026-11-20', version: '1.0.0', platform: 'windows-x86_64', channel: 'stable', checks: 3, installs: 2, anonymous_checks: 0 },
      { day: '2026-11-20', version: '1.1.0', platform: 'windows-x86_64', channel: 'stable', checks: 1, installs: 0, anonymous_checks: 1 },
      { day: '2026-11-21', version: '1.0.0', platform: 'windows-x86_64', channel: 'stable', checks: 1, installs: 1, anonymous_checks: 0 },
    ]);
    const dump = JSON.stringify(await ctx.database.db.selectFrom('update_check_counts').selectAll().execute());
    for (const secret of ['install-0001', 'install-0002', '203.0.113.7']) expect(dump).not.toContain(secret);
    const other = await ctx.database.db.selectFrom('update_check_counts').select('checks').where('app_id', '!=', appId).execute();
    expect(other).toEqual([{ checks: 1 }]);
  });

  it('takes the country from the platform header only, validated as two letters', async () => {
    await get('/update/metrics/windows/x86_64/1.0.0', { 'x-vercel-ip-country': 'fr' });
    await get('/update/metrics/windows/x86_64/1.0.0', { 'cf-ipcountry': 'DE' });
    await get('/update/metrics/windows/x86_64/1.0.0', { 'cf-ipcountry': 'DE' });
    await get('/update/metrics/windows/x86_64/1.0.0', { 'cf-ipcountry': 'XX' });
    await get('/update/metrics/windows/x86_64/1.0.0', { 'cf-ipcountry': "DE'; drop table apps; --" });
    await get('/update/metrics/windows/x86_64/1.0.0', { 'x-country': 'GB', 'accept-language': 'en-GB' });
    const { body } = await admin('checks?from=2026-11-20&to=2026-11-20');
    expect(body.countries).toEqual([
      { country: null, checks: 3 },
      { country: 'DE', checks: 2 },
      { country: 'FR', checks: 1 },
    ]);
  });

  it('adds what several instances flush to the same rows', async () => {
    await get('/update/metrics/windows/x86_64/1.0.0');
    await analytics.flush();
    build(); // a second instance with its own buffer
    await get('/update/metrics/windows/x86_64/1.0.0');
    await get('/update/metrics/windows/x86_64/1.0.0');
    await analytics.flush();
    expect(await ctx.database.db.selectFrom('update_check_counts').select('checks').execute()).toEqual([{ checks: 3 }]);
  });

  it('drops counts of an app deleted before the flush instead of failing every later flush', async () => {
    const goneId = await insertApp(ctx.database.db, 'gone');
    await insertRelease(ctx.database.db, goneId, { version: '1.0.0', artifacts: [{ platform: 'windows-x86_64', bundle: 'nsis' }] });
    await get('/update/gone/windows/x86_64/0.9.0');
    await get('/update/metrics/windows/x86_64/1.0.0');
    await ctx.database.db.deleteFrom('apps').where('id', '=', goneId).execute();
    expect(await analytics.flush()).toBe(true);
    expect(analytics.pending).toBe(0);
    expect(await ctx.database.db.selectFrom('update_check_counts').select(['app_id', 'checks']).execute()).toEqual([{ app_id: appId, checks: 1 }]);
  });
});

describe('downloads', () => {
  it('counts a download, then serves the bytes; HEAD, revalidations and resumed ranges are not counted', async () => {
    const path = `/download/metrics/1.1.0/${FILE}`;
    const full = await get(path, { 'cf-ipcountry': 'JP' });
    expect(full.status).toBe(200);
    expect(new Uint8Array(await full.arrayBuffer())).toEqual(BYTES);
    const etag = full.headers.get('etag')!;
    expect((await app.request(path, { method: 'HEAD' })).status).toBe(200);
    expect((await get(path, { 'if-none-match': etag })).status).toBe(304);
    expect((await get(path, { range: 'bytes=100-' })).status).toBe(206);
    expect((await get(path, { range: 'bytes=0-99' })).status).toBe(206);
    expect((await get('/download/metrics/1.1.0/missing.AppImage')).status).toBe(404);
    clock = Date.parse('2026-11-22T12:00:00Z');
    await get(path);
    const { status, body } = await admin('downloads?from=2026-11-20&to=2026-11-22');
    expect(status).toBe(200);
    expect(body).toEqual({
      app: 'metrics',
      from: '2026-11-20',
      to: '2026-11-22',
      total: 3,
      versions: [{ version: '1.1.0', downloads: 3 }],
      days: [
        { day: '2026-11-20', version: '1.1.0', downloads: 2 },
        { day: '2026-11-22', version: '1.1.0', downloads: 1 },
      ],
    });
    const countries = await ctx.database.db.selectFrom('download_counts').select(['day', 'country', 'downloads']).orderBy('day').orderBy('country').execute();
    expect(countries).toEqual([
      { day: new Date('2026-11-20T00:00:00Z'), country: '', downloads: 1 },
      { day: new Date('2026-11-20T00:00:00Z'), country: 'JP', downloads: 1 },
      { day: new Date('2026-11-22T00:00:00Z'), country: '', downloads: 1 },
    ]);
  });
});

describe('adoption', () => {
  it('gives each version its share of checking installs; shares add up to 1', async () => {
    for (const id of ['install-a', 'install-b', 'install-c']) {
      await get('/update/metrics/windows/x86_64/1.0.0', { 'x-install-id': id });
      await get('/update/metrics/windows/x86_64/1.0.0', { 'x-install-id': id });
    }
    await get('/update/metrics/linux/x86_64/1.1.0', { 'x-install-id': 'install-d' });
    await get('/update/metrics/windows/x86_64/0.9.0');
    await get('/update/metrics/windows/x86_64/0.9.0');
    const { status, body } = await admin('adoption?from=2026-11-14&to=2026-11-20');
    expect(status).toBe(200);
    expect(body).toMatchObject({ app: 'metrics', basis: 'installs + anonymous_checks', total: 6, channel: null, platform: null });
    expect(body.versions).toEqual([
      { version: '1.1.0', installs: 1, anonymous_checks: 0, units: 1, share: 1 / 6 },
      { version: '1.0.0', installs: 3, anonymous_checks: 0, units: 3, share: 0.5 },
      { version: '0.9.0', installs: 0, anonymous_checks: 2, units: 2, share: 2 / 6 },
    ]);
    expect(body.versions.reduce((sum: number, v: { share: number }) => sum + v.share, 0)).toBeCloseTo(1, 12);

    const windows = await admin('adoption?from=2026-11-14&to=2026-11-20&platform=windows-x86_64');
    expect(windows.body.versions.map((v: { version: string; share: number }) => [v.version, v.share])).toEqual([['1.0.0', 0.6], ['0.9.0', 0.4]]);
    const empty = await admin('adoption?from=2026-10-01&to=2026-10-07');
    expect(empty.body).toMatchObject({ total: 0, versions: [] });
  });
});

describe('admin endpoints refuse bad input', () => {
  it.each([
    ['downloads?from=2026-13-01', /from/],
    ['downloads?from=20261101', /from/],
    ['downloads?from=2026-11-20&to=2026-11-01', /after/],
    ['downloads?from=2024-01-01&to=2026-11-20', /at most 366/],
    ['downloads?version=banana', /not a semantic version/],
    ['downloads?limit=5', /limit|unrecognized/i],
    ['downloads?from=2026-11-01&from=2026-11-02', /more than once/],
    ['checks?platform=Windows', /platform/],
    ['checks?channel=Beta!', /channel/],
    ['adoption?version=1.0.0', /version|unrecognized/i],
  ])('%s → 400', async (path, message) => {
    const { status, body } = await admin(path);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toMatch(message);
  });

  it('answers 404 for an unknown app and for an app another key is scoped to, 403 for a CI key, 401 without a key', async () => {
    const res = await app.request('/admin/apps/nope/analytics/downloads', { headers: { authorization: ctx.adminAuth } });
    expect(res.status).toBe(404);
    const key = async (scope: string, appSlug?: string) => {
      const created = await app.request('/admin/keys', {
        method: 'POST',
        headers: { authorization: ctx.adminAuth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `${scope} ${appSlug ?? 'global'}`, scope, ...(appSlug ? { app: appSlug } : {}) }),
      });
      expect(created.status).toBe(201);
      return `Bearer ${((await created.json()) as { key: string }).key}`;
    };
    const otherKey = await key('admin', 'other');
    expect((await app.request('/admin/apps/metrics/analytics/adoption', { headers: { authorization: otherKey } })).status).toBe(404);
    expect((await app.request('/admin/apps/other/analytics/adoption', { headers: { authorization: otherKey } })).status).toBe(200);
    const ciKey = await key('ci');
    expect((await app.request('/admin/apps/metrics/analytics/checks', { headers: { authorization: ciKey } })).status).toBe(403);
    expect((await app.request('/admin/apps/metrics/analytics/checks')).status).toBe(401);
  });
});
