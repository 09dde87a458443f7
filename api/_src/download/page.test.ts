import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';

let ctx: TestContext;

/** An app with its download page on, and releases published as `releases` says. */
async function pageApp(slug: string, releases: { version: string; channel?: string; rollout?: number; installer?: boolean }[]): Promise<void> {
  const db = ctx.database.db;
  const appId = await insertApp(db, slug);
  await db.updateTable('apps').set({ download_page: true }).where('id', '=', appId).execute();
  for (const { version, channel, rollout, installer = true } of releases) {
    const file = installer ? `${slug}_${version}_amd64.AppImage` : `${slug}_${version}_amd64.AppImage.tar.gz`;
    const inserted = await insertRelease(db, appId, { version, channel, artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', file }] });
    if (rollout !== undefined) await db.updateTable('releases').set({ rollout_percent: rollout }).where('id', '=', inserted.id).execute();
  }
}

const noneText = async (slug: string) => {
  const res = await ctx.app.request(`/apps/${slug}`);
  expect(res.status).toBe(200);
  return /<p class="none">([^<]*)<\/p>/.exec(await res.text())?.[1];
};

beforeAll(async () => {
  ctx = await createTestContext();
  await pageApp('empty', []);
  await pageApp('betas', [{ version: '1.0.0-beta.1' }, { version: '1.0.0-beta.2' }]);
  await pageApp('channel', [{ version: '1.0.0', channel: 'beta' }]);
  await pageApp('staged', [{ version: '1.0.0', rollout: 10 }]);
  await pageApp('updates-only', [{ version: '1.0.0', installer: false }]);
  await pageApp('live', [{ version: '1.0.0' }, { version: '1.1.0-rc.1' }]);
});
afterAll(async () => {
  await ctx.close();
});

describe('GET /apps/{app} with nothing to offer', () => {
  it.each([
    ['nothing published', 'empty', 'No version has been published yet.'],
    ['only pre-releases', 'betas', 'No stable version has been published yet; the newest, 1.0.0-beta.2, is a pre-release.'],
    ['only another channel', 'channel', 'No stable version has been published yet; the newest, 1.0.0, is on the beta channel.'],
    ['only a staged rollout', 'staged', 'No stable version has been released to everyone yet.'],
    ['a stable release without installers', 'updates-only', 'Version 1.0.0 has no installer to download yet.'],
  ])('says why for %s', async (_what, slug, text) => {
    expect(await noneText(slug)).toBe(text);
  });

  it('offers the stable release, not a newer pre-release', async () => {
    const res = await ctx.app.request('/apps/live');
    const html = await res.text();
    expect(html).toContain('Version 1.0.0 ·');
    expect(html).toContain('/download/live/1.0.0/live_1.0.0_amd64.AppImage');
    expect(html).not.toContain('1.1.0-rc.1');
  });
});

describe('GET /apps/{app}: what else a visitor may send', () => {
  it('sends a trailing slash, for GET and HEAD, to the page without it', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await ctx.app.request('/apps/live/?ref=site', { method });
      expect(res.status).toBe(301);
      expect(res.headers.get('location')).toBe('http://updates.test/apps/live?ref=site');
    }
    expect((await ctx.app.request('http://updates.test/apps/live')).status).toBe(200);
  });

  it('answers HEAD like GET, without the body', async () => {
    const res = await ctx.app.request('/apps/live', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toBe('');
  });

  it('echoes at most 100 characters of an unknown app in its 404', async () => {
    const res = await ctx.app.request(`/apps/${'y'.repeat(8000)}`);
    expect(res.status).toBe(404);
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toContain(`"${'y'.repeat(100)}"`);
    expect(error.message.length).toBeLessThan(300);
  });
});
