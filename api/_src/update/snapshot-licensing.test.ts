/**
 * What the snapshots carry for the license gate: the app's licensing mode, per release its entitlement date
 * (back-date, else first publication) and required entitlements (its channel's included), and for a licensed app
 * manifest URLs through this server's `/download`, whatever storage offers.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertLicensedApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { buildSnapshot, type ReleaseInput } from './snapshot.ts';

const published = new Date('2026-11-02T08:30:00Z');
const release = (overrides: Partial<ReleaseInput> = {}): ReleaseInput => ({
  id: 'r1', version: '1.1.0', notes: null, channel: 'beta', rollout_percent: 100, pub_date: published, created_at: published,
  artifacts: [{ id: 'a1', platform: 'linux-x86_64', bundle: 'appimage', signature: 'c2ln', storage_key: 'demo/1.1.0/demo.AppImage', file_name: 'demo.AppImage', size: 1, sha256: '0'.repeat(64), is_default: false }],
  ...overrides,
});
const urls = { publicUrl: (key: string) => `https://cdn.example/${key}`, baseUrl: 'https://updates.example.com' };
const channels = [{ name: 'beta', follows: 'stable', required_entitlement: 'beta' }];

describe('buildSnapshot for the license gate', () => {
  it('carries the licensing mode, entitlement dates and entitlements', () => {
    const backdate = new Date('2026-10-01T00:00:00Z');
    const { snapshot } = buildSnapshot({ id: 'app-1', slug: 'demo', public_key: null, licensing: 'licensed', channels }, [
      release({ first_published_at: new Date('2026-11-01T00:00:00Z'), entitlement_date: backdate, required_entitlements: ['pro'] }),
    ], urls);
    expect(snapshot.app.licensing).toBe('licensed');
    expect(snapshot.releases[0]!.entitlement).toEqual({
      version: '1.1.0', firstPublishedAt: new Date('2026-11-01T00:00:00Z'), entitlementDate: backdate, requiredEntitlements: ['pro'], channelEntitlement: 'beta',
    });
  });

  it('defaults to open, with the publication date as the first publication', () => {
    const { snapshot } = buildSnapshot({ id: 'app-1', slug: 'demo', public_key: null }, [release({ channel: 'stable' })], urls);
    expect(snapshot.app.licensing).toBe('open');
    expect(snapshot.releases[0]!.entitlement).toMatchObject({ firstPublishedAt: published, entitlementDate: null, requiredEntitlements: [], channelEntitlement: null });
  });

  it('sends a licensed app’s downloads through /download, an open app’s to storage', () => {
    const url = (licensing: 'open' | 'licensed') =>
      buildSnapshot({ id: 'app-1', slug: 'demo', public_key: null, licensing }, [release({ artifacts: [{ ...release().artifacts[0]!, external_url: 'https://github.com/o/r/releases/download/v1.1.0/demo.AppImage' }] }), release({ id: 'r2', version: '1.2.0' })], urls)
        .snapshot.releases.map((r) => [...r.platforms.values()][0]![0]!.url);
    expect(url('open')).toEqual(['https://cdn.example/demo/1.1.0/demo.AppImage', 'https://github.com/o/r/releases/download/v1.1.0/demo.AppImage']);
    expect(url('licensed')).toEqual([
      'https://updates.example.com/download/demo/1.2.0/demo.AppImage',
      'https://updates.example.com/download/demo/1.1.0/demo.AppImage',
    ]);
  });
});

describe('ReleaseCache loads what the gate needs', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('reads the licensing mode, first publication, back-date and entitlements from the database', async () => {
    const db = ctx.database.db;
    const appId = await insertLicensedApp(db, 'gated');
    await db.insertInto('release_channels').values({ app_id: appId, name: 'beta', follows: null, required_entitlement: 'beta' }).execute();
    const first = new Date('2026-05-01T00:00:00Z');
    const { id } = await insertRelease(db, appId, { version: '1.0.0', channel: 'beta', pubDate: first, artifacts: [{ platform: 'linux-x86_64' }] });
    await db.updateTable('releases').set({ entitlement_date: new Date('2026-04-01T00:00:00Z'), required_entitlements: JSON.stringify(['pro']) }).where('id', '=', id).execute();
    const snapshot = (await ctx.deps.releaseCache.get('gated'))!;
    expect(snapshot.app.licensing).toBe('licensed');
    expect(snapshot.releases[0]!.entitlement).toEqual({
      version: '1.0.0', firstPublishedAt: first, entitlementDate: new Date('2026-04-01T00:00:00Z'), requiredEntitlements: ['pro'], channelEntitlement: 'beta',
    });
  });

  it('reads the releases published once and archived since, which still date a license\'s patch line', async () => {
    const db = ctx.database.db;
    const appId = await insertLicensedApp(db, 'gated-withdrawn');
    const first = new Date('2026-05-01T00:00:00Z');
    const { id } = await insertRelease(db, appId, { version: '1.2.0', pubDate: first, artifacts: [{ platform: 'linux-x86_64' }] });
    await db.updateTable('releases').set({ status: 'archived', yanked_at: new Date('2026-06-01T00:00:00Z'), required_entitlements: JSON.stringify(['pro']) }).where('id', '=', id).execute();
    await insertRelease(db, appId, { version: '1.3.0', status: 'draft', artifacts: [{ platform: 'linux-x86_64' }] });
    const snapshot = (await ctx.deps.releaseCache.get('gated-withdrawn'))!;
    expect(snapshot.releases).toEqual([]);
    expect(snapshot.withdrawn).toEqual([{
      channel: 'stable', prerelease: false,
      entitlement: { version: '1.2.0', firstPublishedAt: first, entitlementDate: null, requiredEntitlements: ['pro'], channelEntitlement: null },
    }]);
  });
});
