import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { fakeSignature, insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.close();
});

const db = () => ctx.database.db;

/** The version served to a check, or 204 / the status for anything else. */
async function served(path: string): Promise<string | number> {
  const res = await ctx.app.request(path);
  if (res.status !== 200) return res.status;
  return ((await res.json()) as { version: string; url: string }).url.split('/').pop()!;
}

async function versionServed(path: string): Promise<string | number> {
  const res = await ctx.app.request(path);
  return res.status === 200 ? ((await res.json()) as { version: string }).version : res.status;
}

describe('the manifest', () => {
  beforeAll(async () => {
    const appId = await insertApp(db(), 'manifest');
    await insertRelease(db(), appId, {
      version: '1.0.0',
      notes: 'old',
      artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage' }],
    });
    await insertRelease(db(), appId, {
      version: '1.1.0',
      notes: '### New\n- "quoted" ✓',
      pubDate: new Date('2026-11-02T08:30:00Z'),
      artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', file: 'My App_1.1.0_amd64.AppImage' }],
    });
    await insertRelease(db(), appId, {
      version: '1.2.0',
      notes: null,
      pubDate: new Date('2026-11-03T08:30:00.250Z'),
      artifacts: [{ platform: 'darwin-aarch64', bundle: 'app', file: 'My App.app.tar.gz' }],
    });
  });

  it('is exactly Tauri’s dynamic JSON, with caching headers', async () => {
    const res = await ctx.app.request('/update/manifest/linux/x86_64/1.0.0');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=60, stale-while-revalidate=60');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]{27}"$/);
    const text = await res.text();
    expect(Object.keys(JSON.parse(text))).toEqual(['version', 'notes', 'pub_date', 'url', 'signature']);
    expect(JSON.parse(text)).toEqual({
      version: '1.1.0',
      notes: '### New\n- "quoted" ✓',
      pub_date: '2026-11-02T08:30:00Z',
      url: 'http://updates.test/download/manifest/1.1.0/My%20App_1.1.0_amd64.AppImage',
      signature: fakeSignature('My App_1.1.0_amd64.AppImage'),
    });
  });

  it('sends empty notes when there are none and keeps milliseconds in pub_date', async () => {
    const res = await ctx.app.request('/update/manifest/darwin/aarch64/1.0.0');
    expect(await res.json()).toMatchObject({ version: '1.2.0', notes: '', pub_date: '2026-11-03T08:30:00.250Z' });
  });

  it('answers the seed URL form with the same bytes', async () => {
    const tauri = await ctx.app.request('/update/manifest/linux/x86_64/1.0.0');
    const seed = await ctx.app.request('/manifest/update/linux-x86_64/1.0.0');
    expect(seed.status).toBe(200);
    expect(await seed.text()).toBe(await tauri.text());
    expect(seed.headers.get('etag')).toBe(tauri.headers.get('etag'));
  });

  it('answers 204 with an empty body when up to date or ahead', async () => {
    for (const version of ['1.1.0', '1.5.0', 'v1.1.0']) {
      const res = await ctx.app.request(`/update/manifest/linux/x86_64/${version}`);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      expect(res.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=60, stale-while-revalidate=60');
      expect(res.headers.get('etag')).toMatch(/^"[\w-]{27}"$/);
    }
  });

  it('answers 204 when the platform has no artifact at all', async () => {
    expect(await served('/update/manifest/windows/x86_64/0.1.0')).toBe(204);
    expect(await served('/manifest/update/linux-aarch64/0.1.0')).toBe(204);
  });
});

describe('version order decides what is served', () => {
  beforeAll(async () => {
    const appId = await insertApp(db(), 'order');
    const artifacts = [{ platform: 'linux-x86_64', bundle: 'appimage' }];
    for (const version of ['1.8.0', '1.9.0']) await insertRelease(db(), appId, { version, artifacts });
    for (const version of ['2.0.0-beta.2', '2.0.0-beta.11']) await insertRelease(db(), appId, { version, channel: 'beta', artifacts });
    // A pre-release filed under stable by mistake: stable must still never offer it.
    await insertRelease(db(), appId, { version: '2.0.0-rc.1', channel: 'stable', artifacts });
  });

  it('serves the newer build of the same version, with the + percent-encoded or not', async () => {
    const appId = await insertApp(db(), 'builds');
    const artifacts = [{ platform: 'linux-x86_64', bundle: 'appimage' }];
    for (const version of ['1.8.0', '1.8.0+1', '1.8.0+2']) await insertRelease(db(), appId, { version, artifacts });
    expect(await versionServed('/update/builds/linux/x86_64/1.8.0')).toBe('1.8.0+2');
    expect(await versionServed('/update/builds/linux/x86_64/1.8.0%2B1')).toBe('1.8.0+2');
    expect(await versionServed('/update/builds/linux/x86_64/1.8.0+1')).toBe('1.8.0+2');
    expect(await versionServed('/update/builds/linux/x86_64/1.8.0%2B2')).toBe(204);
    expect(await versionServed('/update/builds/linux/x86_64/1.8.0%2B10')).toBe(204);
  });

  it('never offers a pre-release on stable, and orders pre-releases on their channel', async () => {
    expect(await versionServed('/update/order/linux/x86_64/1.8.0')).toBe('1.9.0');
    expect(await versionServed('/update/order/linux/x86_64/1.9.0')).toBe(204);
    expect(await versionServed('/update/order/linux/x86_64/1.9.0?channel=stable')).toBe(204);
    expect(await versionServed('/update/order/linux/x86_64/1.9.0?channel=beta')).toBe('2.0.0-beta.11');
    expect(await versionServed('/update/order/linux/x86_64/2.0.0-beta.2?channel=beta')).toBe('2.0.0-beta.11');
    expect(await versionServed('/update/order/linux/x86_64/2.0.0-beta.11?channel=beta')).toBe(204);
    // No release was ever published on nightly and the app does not configure it: 404, never stable's answer.
    expect(await versionServed('/update/order/linux/x86_64/1.0.0?channel=nightly')).toBe(404);
  });

  it('offers a release to someone running its pre-release', async () => {
    const appId = await insertApp(db(), 'graduate');
    const artifacts = [{ platform: 'windows-x86_64', bundle: 'nsis' }];
    await insertRelease(db(), appId, { version: '3.0.0', artifacts });
    expect(await versionServed('/update/graduate/windows/x86_64/3.0.0-rc.1')).toBe('3.0.0');
    expect(await versionServed('/update/graduate/windows/x86_64/3.0.0')).toBe(204);
  });
});

describe('bundle matching', () => {
  beforeAll(async () => {
    const appId = await insertApp(db(), 'bundles');
    await insertRelease(db(), appId, {
      version: '2.0.0',
      artifacts: [
        { platform: 'linux-x86_64', bundle: 'deb', file: 'x64.deb' },
        { platform: 'linux-x86_64', bundle: 'appimage', file: 'x64.AppImage' },
        { platform: 'linux-aarch64', bundle: 'deb', file: 'arm64.deb' },
        { platform: 'windows-x86_64', bundle: 'nsis', file: 'x64-setup.exe' },
        { platform: 'windows-x86_64', bundle: 'msi', file: 'x64.msi', isDefault: true },
        { platform: 'windows-aarch64', bundle: 'nsis', file: 'arm64-setup.exe' },
        { platform: 'windows-aarch64', bundle: 'msi', file: 'arm64.msi' },
        { platform: 'windows-i686', bundle: null, file: 'x86-setup.exe' },
        { platform: 'darwin-aarch64', bundle: 'app', file: 'arm64.app.tar.gz' },
      ],
    });
  });

  it.each([
    ['linux/x86_64', 'deb', 'x64.deb'],
    ['linux/x86_64', 'appimage', 'x64.AppImage'],
    ['linux/x86_64', 'rpm', 204],
    ['linux/x86_64', undefined, 'x64.AppImage'],
    ['linux/x86_64', 'unknown', 'x64.AppImage'],
    ['linux/aarch64', 'appimage', 204],
    ['linux/aarch64', 'deb', 'arm64.deb'],
    ['linux/aarch64', undefined, 'arm64.deb'],
    ['windows/x86_64', undefined, 'x64.msi'],
    ['windows/x86_64', 'unknown', 'x64.msi'],
    ['windows/x86_64', 'nsis', 'x64-setup.exe'],
    ['windows/x86_64', 'msi', 'x64.msi'],
    ['windows/aarch64', undefined, 'arm64-setup.exe'],
    ['windows/i686', undefined, 'x86-setup.exe'],
    ['windows/i686', 'nsis', 204],
    ['darwin/aarch64', 'app', 'arm64.app.tar.gz'],
    ['darwin/aarch64', undefined, 'arm64.app.tar.gz'],
    ['darwin/x86_64', undefined, 204],
  ])('%s with bundle_type=%s gets %s', async (platform, bundle, expected) => {
    const query = bundle === undefined ? '' : `?bundle_type=${bundle}`;
    expect(await served(`/update/bundles/${platform}/1.0.0${query}`)).toBe(expected);
  });
});

describe('what is never served', () => {
  let appId: string;
  beforeAll(async () => {
    appId = await insertApp(db(), 'never');
    await insertRelease(db(), appId, {
      version: '1.0.0',
      artifacts: [
        { platform: 'linux-x86_64', bundle: 'appimage', file: 'one.AppImage' },
        { platform: 'windows-x86_64', bundle: 'nsis', file: 'one-setup.exe' },
      ],
    });
    await insertRelease(db(), appId, {
      version: '1.1.0',
      artifacts: [
        { platform: 'linux-x86_64', bundle: 'appimage', file: 'unsigned.AppImage', signature: '' },
        { platform: 'darwin-aarch64', bundle: 'app', file: 'blank.app.tar.gz', signature: ' \n' },
      ],
    });
    await insertRelease(db(), appId, { version: '2.0.0', status: 'draft', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage' }] });
    await insertRelease(db(), appId, { version: '1.5.0', status: 'archived', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage' }] });
  });

  it('skips an unsigned artifact for the newest signed one that fits', async () => {
    expect(await served('/update/never/linux/x86_64/0.9.0')).toBe('one.AppImage');
  });

  it('answers 204 when only unsigned artifacts would fit', async () => {
    expect(await served('/update/never/linux/x86_64/1.0.0')).toBe(204);
    expect(await served('/update/never/darwin/aarch64/0.1.0')).toBe(204);
  });

  it('lets an older release serve a platform the newest lacks', async () => {
    expect(await served('/update/never/windows/x86_64/0.1.0')).toBe('one-setup.exe');
  });

  it('never serves draft or archived releases', async () => {
    expect(await versionServed('/update/never/linux/x86_64/1.0.0')).toBe(204);
    expect(await versionServed('/update/never/linux/x86_64/0.0.1')).toBe('1.0.0');
  });
});

describe('bad requests', () => {
  beforeAll(async () => {
    const appId = await insertApp(db(), 'strict');
    await insertRelease(db(), appId, { version: '1.0.0', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage' }] });
  });

  it.each([
    ['/update/strict/linux/x86_64/1.2', 'current version "1.2" is not a semantic version'],
    ['/update/strict/linux/x86_64/01.2.3', 'leading zero'],
    ['/update/strict/linux/x86_64/latest', 'is not a semantic version'],
    ['/update/strict/macos/x86_64/1.0.0', 'unknown target "macos"; expected one of linux, darwin, windows'],
    ['/update/strict/linux/amd64/1.0.0', 'unknown arch "amd64"; expected one of x86_64, aarch64, i686, armv7, riscv64'],
    ['/update/strict/linux/x86_64/1.0.0?bundle_type=snap', 'unknown bundle_type "snap"; expected one of app, appimage, deb, rpm, msi, nsis or unknown'],
    ['/update/strict/windows/x86_64/1.0.0?bundle_type=deb', 'bundle_type deb is not a windows bundle; expected one of nsis, msi or unknown'],
    ['/update/strict/linux/x86_64/1.0.0?channel=Beta%20Two', 'invalid channel "Beta Two"'],
    ['/strict/update/linux/1.0.0', 'unknown platform "linux"; expected {os}-{arch}'],
    ['/strict/update/linux-amd64/1.0.0', 'unknown platform "linux-amd64"'],
  ])('%s → 400', async (path, message) => {
    const res = await ctx.app.request(path);
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toContain(message);
  });

  it.each(['/update/nobody/linux/x86_64/1.0.0', '/nobody/update/linux-x86_64/1.0.0', '/update/Not%20A%20Slug/linux/x86_64/1.0.0'])(
    '%s → 404 for an unknown app',
    async (path) => {
      const res = await ctx.app.request(path);
      expect(res.status).toBe(404);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.stringContaining('no app') } });
    },
  );
});

describe('conditional requests', () => {
  beforeAll(async () => {
    const appId = await insertApp(db(), 'etags');
    await insertRelease(db(), appId, { version: '1.0.0', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage' }] });
  });

  it('answers If-None-Match with 304 for a manifest, in every spelling', async () => {
    const first = await ctx.app.request('/update/etags/linux/x86_64/0.1.0');
    const etag = first.headers.get('etag')!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await ctx.app.request('/update/etags/linux/x86_64/0.1.0', { headers: { 'if-none-match': header } });
      expect(res.status).toBe(304);
      expect(await res.text()).toBe('');
      expect(res.headers.get('etag')).toBe(etag);
      expect(res.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=60, stale-while-revalidate=60');
    }
    const stale = await ctx.app.request('/update/etags/linux/x86_64/0.1.0', { headers: { 'if-none-match': '"stale"' } });
    expect(stale.status).toBe(200);
  });

  it('gives 204 an ETag of the app state, which changes when a release is published', async () => {
    const first = await ctx.app.request('/update/etags/linux/x86_64/1.0.0');
    expect(first.status).toBe(204);
    const etag = first.headers.get('etag')!;
    const again = await ctx.app.request('/update/etags/linux/x86_64/1.0.0', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);

    const { id } = await db().selectFrom('apps').select('id').where('slug', '=', 'etags').executeTakeFirstOrThrow();
    await insertRelease(db(), id, { version: '1.0.1', artifacts: [{ platform: 'darwin-aarch64', bundle: 'app' }] });
    ctx.deps.releaseCache.invalidate(id);
    const after = await ctx.app.request('/update/etags/linux/x86_64/1.0.0', { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(204);
    expect(after.headers.get('etag')).not.toBe(etag);
  });
});
