import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertLicensedApp, insertRelease } from '../../../test/support/release-fixtures.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

let ctx: TestContext;
let appId: string;
let licensedId: string;

const get = (path: string, headers: Record<string, string> = {}) => ctx.app.request(path, { headers });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

beforeAll(async () => {
  ctx = await createTestContext();
  const db = ctx.database.db;
  appId = await insertApp(db, 'shop');
  await insertRelease(
    db,
    appId,
    {
      version: '1.0.0',
      artifacts: [
        { platform: 'darwin-aarch64', file: 'Shop_1.0.0_aarch64.dmg', installerOnly: true, content: bytes('dmg 1.0.0') },
        { platform: 'windows-x86_64', bundle: 'nsis', file: 'Shop_1.0.0_x64-setup.exe', content: bytes('nsis 1.0.0') },
        { platform: 'windows-x86_64', bundle: 'msi', file: 'Shop_1.0.0_x64_en-US.msi', content: bytes('msi 1.0.0') },
        { platform: 'linux-x86_64', bundle: 'deb', file: 'shop_1.0.0_amd64.deb', content: bytes('deb 1.0.0') },
      ],
    },
    ctx.storage,
  );
  await insertRelease(
    db,
    appId,
    {
      version: '1.1.0',
      notes: 'Faster checkout',
      artifacts: [
        { platform: 'darwin-aarch64', bundle: 'app', file: 'Shop_aarch64.app.tar.gz', content: bytes('app 1.1.0') },
        { platform: 'darwin-aarch64', file: 'Shop_1.1.0_aarch64.dmg', installerOnly: true, content: bytes('dmg 1.1.0') },
        { platform: 'windows-x86_64', bundle: 'msi', file: 'Shop_1.1.0_x64_en-US.msi', content: bytes('msi 1.1.0') },
        // A v1-compatible archive is an updater file, not an installer.
        { platform: 'linux-x86_64', bundle: 'appimage', file: 'shop_1.1.0_amd64.AppImage.tar.gz', content: bytes('appimage archive') },
      ],
    },
    ctx.storage,
  );
  // Newer, but not for first-time users: a pre-release, another channel, a draft, a staged rollout.
  for (const [version, status, channel] of [
    ['2.0.0-beta.1', 'published', 'stable'],
    ['1.5.0', 'published', 'beta'],
    ['1.9.0', 'draft', 'stable'],
  ] as const) {
    await insertRelease(db, appId, { version, status, channel, artifacts: [{ platform: 'darwin-aarch64', file: `Shop_${version}_aarch64.dmg`, installerOnly: true }] }, ctx.storage);
  }
  const staged = await insertRelease(db, appId, { version: '1.8.0', artifacts: [{ platform: 'darwin-aarch64', file: 'Shop_1.8.0_aarch64.dmg', installerOnly: true }] });
  await db.updateTable('releases').set({ rollout_percent: 10 }).where('id', '=', staged.id).execute();

  licensedId = await insertLicensedApp(db, 'pro');
  await insertRelease(db, licensedId, { version: '3.0.0', artifacts: [{ platform: 'darwin-aarch64', file: 'Pro_3.0.0_aarch64.dmg', installerOnly: true, content: bytes('pro dmg') }] }, ctx.storage);
});
afterAll(async () => {
  await ctx.close();
});

describe('GET /download/{app}/latest/{platform}', () => {
  it('redirects to the newest stable DMG (?bundle=dmg as the issue asks), whose bytes download', async () => {
    const res = await get('/download/shop/latest/darwin-aarch64?bundle=dmg');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://updates.test/download/shop/1.1.0/Shop_1.1.0_aarch64.dmg');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    const file = await get(new URL(res.headers.get('location')!).pathname);
    expect(file.status).toBe(200);
    expect(await file.text()).toBe('dmg 1.1.0');
  });

  it('picks the OS default kind, and the newest release that has the asked kind', async () => {
    const location = async (path: string) => (await get(path)).headers.get('location');
    expect(await location('/download/shop/latest/darwin-aarch64')).toMatch(/\/1\.1\.0\/Shop_1\.1\.0_aarch64\.dmg$/);
    // 1.1.0 has only an MSI: it is the newest Windows installer; NSIS is asked for, so 1.0.0's.
    expect(await location('/download/shop/latest/windows-x86_64')).toMatch(/\/1\.1\.0\/Shop_1\.1\.0_x64_en-US\.msi$/);
    expect(await location('/download/shop/latest/windows-x86_64?kind=nsis')).toMatch(/\/1\.0\.0\/Shop_1\.0\.0_x64-setup\.exe$/);
    // The .AppImage.tar.gz of 1.1.0 is not an installer; the deb of 1.0.0 is.
    expect(await location('/download/shop/latest/linux-x86_64')).toMatch(/\/1\.0\.0\/shop_1\.0\.0_amd64\.deb$/);
  });

  it('answers 404 JSON when there is no such installer, and 400 for what cannot be asked', async () => {
    const none = await get('/download/shop/latest/linux-x86_64?kind=rpm');
    expect(none.status).toBe(404);
    expect(await errorOf(none)).toEqual({ code: 'not_found', message: 'shop has no published stable rpm installer for linux-x86_64' });
    expect((await get('/download/shop/latest/darwin-x86_64')).status).toBe(404);
    expect((await get('/download/shop/latest/darwin-aarch64?channel=stable')).status).toBe(302);
    expect((await get('/download/nope/latest/darwin-aarch64')).status).toBe(404);

    const cases: Array<[string, RegExp]> = [
      ['/download/shop/latest/macos-arm', /platform "macos-arm" is not \{os\}-\{arch\}/],
      ['/download/shop/latest/darwin-aarch64?kind=pkg', /kind "pkg" is not one of dmg, msi, nsis, deb, rpm, appimage/],
      ['/download/shop/latest/linux-x86_64?kind=dmg', /a dmg does not install on linux/],
      ['/download/shop/latest/windows-x86_64?kind=msi&bundle=nsis', /disagree/],
      // 1.5.0 is on beta: a beta link must not quietly hand out the stable installer.
      ['/download/shop/latest/darwin-aarch64?channel=beta', /stable channel only, not channel=beta/],
    ];
    for (const [path, message] of cases) {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).message).toMatch(message);
    }
  });

  it('counts the download once, where the bytes are served, with no personal data', async () => {
    const before = await ctx.database.db.selectFrom('download_counts').selectAll().where('app_id', '=', appId).where('version', '=', '1.0.0').execute();
    expect(before).toEqual([]);
    const res = await get('/download/shop/latest/windows-x86_64?kind=nsis', { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0)', 'x-forwarded-for': '203.0.113.9' });
    expect((await get(new URL(res.headers.get('location')!).pathname)).status).toBe(200);
    await ctx.deps.analytics.flush();
    const rows = await ctx.database.db.selectFrom('download_counts').selectAll().where('app_id', '=', appId).where('version', '=', '1.0.0').execute();
    expect(rows).toEqual([expect.objectContaining({ file_name: 'Shop_1.0.0_x64-setup.exe', platform: 'windows-x86_64', bundle: 'nsis', downloads: 1 })]);
    expect(JSON.stringify(rows)).not.toMatch(/203\.0\.113\.9|Mozilla/);
  });

  it('is off for a licensed app until an admin opens its installers to everyone', async () => {
    const closed = await get('/download/pro/latest/darwin-aarch64');
    expect(closed.status).toBe(403);
    expect((await errorOf(closed)).message).toMatch(/licensed app.*"public_installers": true/);
    // Without a license, the DMG itself is refused too (by the license gate; 503 here, where no SECRETS_KEY is set).
    const direct = await get('/download/pro/3.0.0/Pro_3.0.0_aarch64.dmg');
    expect(direct.status).toBeGreaterThanOrEqual(400);
    expect(await errorOf(direct)).toMatchObject({ code: expect.any(String) });

    const patched = await ctx.app.request('/admin/apps/pro', {
      method: 'PATCH',
      headers: { authorization: ctx.adminAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ public_installers: true }),
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ public_installers: true, download_page: false });
    const open = await get('/download/pro/latest/darwin-aarch64');
    expect(open.status).toBe(302);
    const file = await get(new URL(open.headers.get('location')!).pathname);
    expect(file.status).toBe(200);
    expect(file.headers.get('cache-control')).toBe('private, no-store');
    expect(await file.text()).toBe('pro dmg');
    const audit = await ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'app.update').where('app_id', '=', licensedId).execute();
    expect(audit.at(-1)!.details).toMatchObject({ public_installers: { from: false, to: true } });
  });

  it('never offers a DMG to the updater, and bundle_type=dmg stays invalid', async () => {
    const check = await get('/update/shop/darwin/aarch64/0.9.0');
    expect(check.status).toBe(200);
    expect(((await check.json()) as { url: string }).url).toMatch(/Shop_aarch64\.app\.tar\.gz$/);
    // On 1.1.0 already, nothing newer the updater can install: the beta's DMG is not an update.
    expect((await get('/update/shop/darwin/aarch64/1.1.0')).status).toBe(204);
    const dmg = await get('/update/shop/darwin/aarch64/0.9.0?bundle_type=dmg');
    expect(dmg.status).toBe(400);
  });
});
