/**
 * The dashboard's rough edges from issue 19 item 16, in Chromium against the server as `npm start` runs it:
 * - the releases list and a release's page count platforms the same way (the platforms the app ships), so neither
 *   lists windows-riscv64 for an app that never shipped it;
 * - a wrong key at sign-in shows only the refusal, not "Your session ended" (which still shows when one did end);
 * - a published release's channel is changed on its page, and the update check follows;
 * - the `/docs` header's code and text have a contrast of at least 4.5:1;
 * - at 375 px every app tab and every release of the table is inside the screen, nothing scrolls sideways;
 * - the "Publishers & keys" workflow snippet names the action set by ACTION_REPOSITORY.
 *
 * UPDATE_SCREENSHOTS=1 also writes docs/screenshots/move-channel.png and access.png (the README's Dashboard section).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describeInChromium, horizontalOverflow, openWatchedPage, screenshot, settled, signIn, startServerAndBrowser, stopServerAndBrowser, visit, type WatchedPage } from '../support/browser.ts';
import { expectStatus, jsonBody, type RunningServer } from '../support/server.ts';
import { generateKeyPair, type KeyPair, sign } from '../support/tauri.ts';

const APP = 'polish-app';
const ACTION_REPOSITORY = 'acme-corp/tauri-release';

/** WCAG 2 contrast of each element's text colour against the opaque background behind it (opacity included). */
function contrastOf(page: Page, selector: string): Promise<{ text: string; ratio: number }[]> {
  return page.evaluate((sel) => {
    type Rgba = [number, number, number, number];
    const parse = (value: string): Rgba => {
      const [r = 0, g = 0, b = 0, a = 1] = (value.match(/[\d.]+/g) ?? []).map(Number);
      return [r, g, b, value.startsWith('rgba') ? a : 1];
    };
    const over = (top: Rgba, bottom: Rgba): Rgba => [0, 1, 2].map((i) => top[i]! * top[3] + bottom[i]! * (1 - top[3])).concat(1) as Rgba;
    const luminance = ([r, g, b]: Rgba) =>
      [r, g, b].map((c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4)).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i]!, 0);
    return Array.from(document.querySelectorAll<HTMLElement>(sel)).map((element) => {
      // Backgrounds from the page down to the element, each painted over the one below it.
      const chain: HTMLElement[] = [];
      let opacity = 1;
      for (let node: HTMLElement | null = element; node; node = node.parentElement) {
        chain.unshift(node);
        opacity *= Number(getComputedStyle(node).opacity);
      }
      let background: Rgba = [255, 255, 255, 1];
      for (const node of chain) background = over(parse(getComputedStyle(node).backgroundColor), background);
      const color = parse(getComputedStyle(element).color);
      const text = over([color[0], color[1], color[2], color[3] * opacity], background);
      const [light, dark] = [luminance(text), luminance(background)].sort((a, b) => b - a) as [number, number];
      return { text: element.textContent ?? '', ratio: (light + 0.05) / (dark + 0.05) };
    });
  }, selector);
}

describeInChromium('dashboard polish', () => {
  let server: RunningServer;
  let browser: Browser;
  let dir: string;
  let keys: KeyPair;
  let admin: WatchedPage;

  async function upload(version: string, platform: string, fileName: string): Promise<void> {
    const file = join(dir, fileName);
    await writeFile(file, randomBytes(64 * 1024));
    const form = new FormData();
    form.append('platform', platform);
    form.append('signature', await sign(file, keys, version));
    form.append('file', new Blob([new Uint8Array(await readFile(file))]), fileName);
    await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${version}/artifacts`, { method: 'POST', body: form }), 201);
  }

  /** What a linux-x86_64 AppImage install on 0.1.0 is offered, on `channel` (default stable). */
  async function offered(channel?: string): Promise<string | null> {
    const res = await fetch(`${server.url}/update/${APP}/linux/x86_64/0.1.0?bundle_type=appimage${channel ? `&channel=${channel}` : ''}`);
    if (res.status === 204) return null;
    return (await expectStatus(res, 200)).version;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dashboard-polish-'));
    [{ server, browser }, keys] = await Promise.all([startServerAndBrowser({ env: { ACTION_REPOSITORY, RATE_LIMITS: 'off' } }), generateKeyPair(dir)]);
    await expectStatus(await server.admin('/admin/apps', jsonBody('POST', { slug: APP, name: 'Polish App', public_key: keys.publicKey })), 201);
    // 0.9.0 shipped linux-armv7 once, so the app ships seven platforms: the usual six and that one.
    await expectStatus(await server.admin(`/admin/apps/${APP}/releases`, jsonBody('POST', { version: '0.9.0' })), 201);
    await upload('0.9.0', 'linux-armv7', 'Polish_0.9.0_armhf.AppImage');
    await expectStatus(await server.admin(`/admin/apps/${APP}/releases/0.9.0/publish`, { method: 'POST' }), 200);
    await expectStatus(await server.admin(`/admin/apps/${APP}/releases`, jsonBody('POST', { version: '1.0.0' })), 201);
    await upload('1.0.0', 'linux-x86_64', 'Polish_1.0.0_amd64.AppImage');
    await upload('1.0.0', 'linux-aarch64', 'Polish_1.0.0_arm64.AppImage');
    await expectStatus(await server.admin(`/admin/apps/${APP}/releases/1.0.0/publish`, { method: 'POST' }), 200);
    admin = await openWatchedPage(browser, server.url);
    await signIn(admin.page, server);
  }, 120_000);

  afterAll(async () => {
    await stopServerAndBrowser({ server, browser });
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('a wrong key at sign-in shows only why; a session that really ended says so until the next attempt', async () => {
    const fresh = await openWatchedPage(browser, server.url, { allow: [/401 \(Unauthorized\)/] });
    try {
      const { page, context } = fresh;
      await visit(page, `${server.url}/ui`);
      await page.getByLabel('Admin API key').fill(`trk_${'x'.repeat(43)}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('unknown API key').waitFor();
      await expect(page.getByText('Your session ended').count()).resolves.toBe(0);

      await page.getByLabel('Admin API key').fill(server.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      // The session ends under the page (the cookie is gone): its next request is a 401.
      await context.clearCookies();
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByText('Your session ended. Sign in again to continue.').waitFor();
      await page.getByLabel('Admin API key').fill(`trk_${'y'.repeat(43)}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('unknown API key').waitFor();
      await expect(page.getByText('Your session ended').count()).resolves.toBe(0);
      await fresh.expectClean();
    } finally {
      await fresh.close();
    }
  });

  it('the releases list and the release page count the same platforms: the six usual ones and linux-armv7, which the app shipped', async () => {
    const { page } = admin;
    await visit(page, `${server.url}/ui/apps/${APP}`);
    const row = (version: string) => page.locator('.releases-table tbody tr', { has: page.getByRole('link', { name: version, exact: true }) });
    // The count appears once every published release is in (it measures against them).
    await page.locator('td[data-label="Platforms"]', { hasText: 'platforms' }).first().waitFor();
    await expect(row('1.0.0').locator('td[data-label="Platforms"]').textContent()).resolves.toContain('2/7 platforms');
    await expect(row('0.9.0').locator('td[data-label="Platforms"]').textContent()).resolves.toContain('1/7 platforms');

    await row('1.0.0').getByRole('link', { name: '1.0.0' }).click();
    await settled(page);
    const checklist = page.getByRole('region', { name: 'Platform checklist' });
    await expect(checklist.textContent()).resolves.toContain('2/7 platforms have an artifact');
    const platforms = await checklist.locator('tbody th[scope="row"]').allTextContents();
    expect(platforms.map((text) => text.trim())).toEqual([
      'linux-x86_64', 'linux-aarch64', 'linux-armv7', 'darwin-x86_64', 'darwin-aarch64', 'windows-x86_64', 'windows-aarch64',
    ]);
    await admin.expectClean();
  });

  it('moves the live release to another channel from its page, after a confirmation; the update check follows', async () => {
    expect(await offered()).toBe('1.0.0');
    const { page } = admin;
    await visit(page, `${server.url}/ui/apps/${APP}/releases/1.0.0`);
    const form = page.getByRole('form', { name: 'Channel' });
    await expect(form.getByRole('button', { name: 'Move to channel' }).isDisabled()).resolves.toBe(true);
    await form.getByLabel('Channel').fill('Bad Channel');
    await expect(form.getByRole('button', { name: 'Move to channel' }).isDisabled()).resolves.toBe(true);
    await form.getByLabel('Channel').fill('beta');
    await form.getByRole('button', { name: 'Move to channel' }).click();

    const dialog = page.getByRole('dialog', { name: 'Move 1.0.0 to beta?' });
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain('It is no longer offered on stable: 0.9.0 becomes the live release there again.');
    await expect(dialog.textContent()).resolves.toContain('It becomes the first live release of beta');
    await screenshot(page, 'move-channel', { fullPage: false });
    await dialog.getByRole('button', { name: 'Move now' }).click();
    await page.getByText('Release 1.0.0 moved to beta').waitFor();
    // The page reloads the release after the toast.
    await page.waitForFunction(() => document.querySelector('dl.kv')?.textContent?.includes('Channelbeta'), undefined, { timeout: 10_000 });

    expect((await expectStatus(await server.admin(`/admin/apps/${APP}/releases/1.0.0`), 200)).channel).toBe('beta');
    // Stable's live release is 0.9.0 again, which has no linux-x86_64 artifact; beta offers 1.0.0.
    expect(await offered()).toBeNull();
    expect(await offered('beta')).toBe('1.0.0');
    const audit = await expectStatus(await server.admin(`/admin/audit?app=${APP}&action=release.update`), 200);
    expect(JSON.stringify(audit)).toContain('"channel":"beta"');
    await admin.expectClean();
  });

  it('/docs: the header code and text have a contrast of at least 4.5:1', async () => {
    const { page } = admin;
    await page.goto(`${server.url}/docs`);
    const codes = await contrastOf(page, 'header code');
    expect(codes.length).toBeGreaterThan(0);
    const text = await contrastOf(page, 'header p, header a, header h1');
    for (const { text: what, ratio } of [...codes, ...text]) expect({ what, ratio: ratio >= 4.5 ? '≥ 4.5' : ratio.toFixed(2) }).toEqual({ what, ratio: '≥ 4.5' });
  });

  it('at 375 px every app tab and every release is on screen, and nothing scrolls sideways', async () => {
    const mobile = await openWatchedPage(browser, server.url, { viewport: { width: 375, height: 812 } });
    try {
      const { page } = mobile;
      await signIn(page, server);
      for (const path of [`/ui/apps/${APP}`, `/ui/apps/${APP}/settings`, `/ui/apps/${APP}/releases/1.0.0`, `/ui/apps/${APP}/access`]) {
        await visit(page, `${server.url}${path}`);
        const overflow = await horizontalOverflow(page);
        expect({ path, ...overflow }).toEqual({ path, scrollWidth: 375, innerWidth: 375, widest: [] });
        const offscreen = await page.evaluate(() => {
          const out: string[] = [];
          const inside = (el: Element) => {
            const rect = el.getBoundingClientRect();
            return rect.left >= 0 && rect.right <= window.innerWidth + 0.5;
          };
          for (const tab of Array.from(document.querySelectorAll('.tabs a'))) if (!inside(tab)) out.push(`tab ${tab.textContent}`);
          for (const cell of Array.from(document.querySelectorAll('.releases-table th, .releases-table td'))) {
            if (!cell.closest('thead') && !inside(cell)) out.push(`cell ${cell.textContent}`);
          }
          for (const wrap of Array.from(document.querySelectorAll('.releases-table'))) {
            const box = wrap.parentElement!;
            if (box.scrollWidth > box.clientWidth) out.push(`the releases table scrolls sideways (${box.scrollWidth} > ${box.clientWidth})`);
          }
          return out;
        });
        expect({ path, offscreen }).toEqual({ path, offscreen: [] });
      }
      await visit(page, `${server.url}/ui/apps/${APP}`);
      await expect(page.locator('.tabs a').count()).resolves.toBeGreaterThanOrEqual(4);
      await expect(page.locator('.releases-table tbody tr').count()).resolves.toBe(2);
      await mobile.expectClean();
    } finally {
      await mobile.close();
    }
  }, 90_000);

  it('"Publishers & keys" shows the action this server names (ACTION_REPOSITORY), not a placeholder', async () => {
    const { page } = admin;
    await visit(page, `${server.url}/ui/apps/${APP}/access`);
    const snippet = (await page.getByLabel('Workflow step', { exact: true }).textContent()) ?? '';
    expect(snippet).toContain(`- uses: ${ACTION_REPOSITORY}@v1`);
    expect(snippet).toContain(`server-url: ${server.url}`);
    expect(snippet).not.toContain('org/tauri-release');
    await screenshot(page, 'access');
    await expect(page.getByText('does not know which repository its actions live in').count()).resolves.toBe(0);
    await admin.expectClean();
  });
});
