/**
 * The public download page (/apps/{app}) in Debian's Chromium: off until the admin turns it on; then the latest
 * stable version, its notes (escaped), one button per OS, the visitor's OS first with its button marked, and with
 * JavaScript switched off a click on the Mac button downloads the DMG the CI registered. No console error, no
 * failed request, no request to another host.
 *
 * UPDATE_SCREENSHOTS=1 also writes docs/screenshots/download-page.png (shown in the README).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { controlPlaneListener } from '../../api/_src/listener.ts';
import { describeInChromium, launchBrowser, openWatchedPage, screenshot } from '../support/browser.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { insertApp, insertRelease } from '../support/release-fixtures.ts';
import { freePort } from '../support/server.ts';

const WINDOWS_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const MAC_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const bytes = (text: string) => new TextEncoder().encode(text);

describeInChromium(
  'the download page in Chromium',
  () => {
    let ctx: TestContext;
    let server: Server;
    let origin: string;
    let browser: Browser;

    beforeAll(async () => {
      const port = await freePort();
      origin = `http://127.0.0.1:${port}`;
      ctx = await createTestContext({ env: { PUBLIC_URL: origin } });
      const db = ctx.database.db;
      const appId = await insertApp(db, 'shop');
      await db.updateTable('apps').set({ name: 'Shop Assistant' }).where('id', '=', appId).execute();
      await insertRelease(db, appId, { version: '1.0.0', artifacts: [{ platform: 'linux-x86_64', bundle: 'rpm', file: 'shop-1.0.0-1.x86_64.rpm', content: bytes('rpm') }] }, ctx.storage);
      await insertRelease(
        db,
        appId,
        {
          version: '1.1.0',
          notes: 'Faster checkout.\nReceipts as PDF. <script>window.__xss = 1</script>',
          artifacts: [
            { platform: 'darwin-aarch64', bundle: 'app', file: 'Shop_aarch64.app.tar.gz', content: bytes('app') },
            { platform: 'darwin-aarch64', file: 'Shop_1.1.0_aarch64.dmg', installerOnly: true, content: bytes('the arm dmg') },
            { platform: 'darwin-x86_64', file: 'Shop_1.1.0_x64.dmg', installerOnly: true, content: bytes('the intel dmg') },
            { platform: 'windows-x86_64', bundle: 'nsis', file: 'Shop_1.1.0_x64-setup.exe', content: bytes('nsis') },
            { platform: 'windows-x86_64', bundle: 'msi', file: 'Shop_1.1.0_x64_en-US.msi', content: bytes('msi') },
            { platform: 'linux-x86_64', bundle: 'appimage', file: 'shop_1.1.0_amd64.AppImage', content: bytes('appimage') },
            { platform: 'linux-x86_64', bundle: 'deb', file: 'shop_1.1.0_amd64.deb', content: bytes('deb') },
          ],
        },
        ctx.storage,
      );
      server = createServer(controlPlaneListener(ctx.deps));
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => server?.close(resolve));
      await ctx?.close();
    });

    it('is off until the admin turns it on', async () => {
      const off = await fetch(`${origin}/apps/shop`);
      expect(off.status).toBe(404);
      expect(await off.json()).toMatchObject({ error: { code: 'not_found', message: expect.stringMatching(/"download_page": true/) } });
      const on = await fetch(`${origin}/admin/apps/shop`, {
        method: 'PATCH',
        headers: { authorization: ctx.adminAuth, 'content-type': 'application/json' },
        body: JSON.stringify({ download_page: true }),
      });
      expect(on.status).toBe(200);
    });

    it('shows the latest version, its notes and one button per OS, the visitor\'s first', async () => {
      const watched = await openWatchedPage(browser, origin, { viewport: { width: 1024, height: 900 } });
      const { page } = watched;
      await page.setExtraHTTPHeaders({ 'user-agent': WINDOWS_UA });
      const res = await page.goto(`${origin}/apps/shop`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
      await expect(page.locator('h1').textContent()).resolves.toBe('Download Shop Assistant');
      await expect(page.locator('.version').textContent()).resolves.toMatch(/^Version 1\.1\.0 · 2026-11-01$/);
      // Windows first, marked, its NSIS installer the main button; then macOS and Linux.
      expect(await page.locator('section h2').allTextContents()).toEqual(['Windows', 'macOS', 'Linux', "What's new"]);
      await expect(page.locator('section.suggested h2').textContent()).resolves.toBe('Windows');
      expect(await page.locator('a.button.primary').getAttribute('href')).toBe(`${origin}/download/shop/1.1.0/Shop_1.1.0_x64-setup.exe`);
      expect(await page.locator('a.button').count()).toBe(7);
      // Linux's rpm is only in 1.0.0: offered, with its version said.
      await expect(page.locator('a.button', { hasText: 'rpm' }).textContent()).resolves.toMatch(/\(version 1\.0\.0\)/);
      // The notes are text: the script is shown, never run.
      await expect(page.locator('.notes').textContent()).resolves.toContain('<script>window.__xss = 1</script>');
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(await page.locator('script').count()).toBe(0);
      await watched.expectClean();
      await watched.close();
    });

    it('works with JavaScript off: a Mac visitor clicks and gets the DMG', async () => {
      const context = await browser.newContext({ javaScriptEnabled: false, userAgent: MAC_UA, acceptDownloads: true, viewport: { width: 1024, height: 760 } });
      const page = await context.newPage();
      await page.goto(`${origin}/apps/shop`);
      await expect(page.locator('section.suggested h2').textContent()).resolves.toBe('macOS');
      const primary = page.locator('a.button.primary');
      await expect(primary.textContent()).resolves.toMatch(/macOS · Apple silicon/);
      await screenshot(page, 'download-page');
      const [download] = await Promise.all([page.waitForEvent('download'), primary.click()]);
      expect(download.suggestedFilename()).toBe('Shop_1.1.0_aarch64.dmg');
      expect(await readFile((await download.path())!, 'utf8')).toBe('the arm dmg');
      await context.close();
    });
  },
);
