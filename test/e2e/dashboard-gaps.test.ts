/**
 * Small gaps of the dashboard, in Chromium against the server as `npm start` runs it:
 * - a hand-edited address (`/ui/audit?before=garbage`, a licensing or releases `?status=bogus`, an insight `?days=5`) shows the page without
 *   the bad value and names it, the same way on every page, instead of the API's validation message;
 * - a form's error from a refused submit leaves with the edit that answers it;
 * - release notes longer than the API stores are refused as they are typed, not by a failed save;
 * - a script that never loads leaves a plain message, not a blank page.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { MAX_RELEASE_NOTES_LENGTH } from '../../api/_src/protocol/release-rules.ts';
import { hasChromium, launchBrowser, openWatchedPage, signIn, visit, type WatchedPage } from '../support/browser.ts';
import { expectStatus, jsonBody, type RunningServer, startServer } from '../support/server.ts';

const APP = 'gaps-app';

const notice = (page: Page) => page.locator('.ignored-params');

(hasChromium() ? describe : describe.skip)(`dashboard gaps${hasChromium() ? '' : ' — SKIPPED: /usr/bin/chromium is not installed'}`, () => {
  let server: RunningServer;
  let browser: Browser;
  let admin: WatchedPage;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ env: { RATE_LIMITS: 'off' } }), launchBrowser()]);
    await expectStatus(await server.admin('/admin/apps', jsonBody('POST', { slug: APP, name: 'Gaps App' })), 201);
    await expectStatus(await server.admin(`/admin/apps/${APP}/releases`, jsonBody('POST', { version: '1.0.0' })), 201);
    await expectStatus(await server.admin(`/admin/apps/${APP}/releases`, jsonBody('POST', { version: '1.1.0' })), 201);
    admin = await openWatchedPage(browser, server.url);
    await signIn(admin.page, server);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  it('a hand-edited address shows the page without the bad value and names it, on the audit, licensing, releases and insight pages', async () => {
    const { page } = admin;
    await visit(page, `${server.url}/ui/audit?before=garbage&action=app.create`);
    await expect(notice(page).textContent()).resolves.toContain('before=garbage (expected an entry number');
    // The rest of the address still applies, and the log is there.
    await page.locator('.audit-table td', { hasText: 'app.create' }).first().waitFor();
    await expect(page.getByText(/invalid input|expected number/i).count()).resolves.toBe(0);
    await notice(page).getByRole('button', { name: 'Remove from the address' }).click();
    await expect(notice(page).count()).resolves.toBe(0);
    expect(new URL(page.url()).search).toBe('?action=app.create');

    await visit(page, `${server.url}/ui/apps/${APP}/licensing?status=bogus`);
    await expect(notice(page).textContent()).resolves.toContain('status=bogus (expected active, suspended, revoked)');
    await page.getByText('No licenses yet').waitFor();

    await visit(page, `${server.url}/ui/apps/${APP}?status=bogus&channel=Not%20A%20Channel`);
    const text = await notice(page).textContent();
    expect(text).toContain('status=bogus (expected draft, published or archived)');
    expect(text).toContain('channel=Not A Channel (expected a channel name');
    await page.getByRole('link', { name: '1.1.0' }).waitFor();

    await visit(page, `${server.url}/ui/apps/${APP}/insight?days=5`);
    await expect(notice(page).textContent()).resolves.toContain('days=5 (expected 7, 30, 90)');
    await expect(page.getByLabel('Range').inputValue()).resolves.toBe('30');
    await admin.expectClean();
  });

  it('a form\'s error from a refused submit leaves when the field is edited', async () => {
    const { page } = admin;
    await visit(page, `${server.url}/ui/apps/new`);
    await page.getByLabel('Slug').fill(APP);
    await page.getByLabel('Name', { exact: true }).fill('Another');
    admin.allow(/409 \(Conflict\)/);
    await page.getByRole('button', { name: 'Create app' }).click();
    const refusal = page.locator('.notice-error');
    await refusal.waitFor();
    await page.getByLabel('Slug').fill(`${APP}-two`);
    await expect(refusal.count()).resolves.toBe(0);

    // The draft form: renaming 1.1.0 to the existing 1.0.0 is refused; typing another version ends the refusal.
    await visit(page, `${server.url}/ui/apps/${APP}/releases/1.1.0`);
    await page.getByLabel('Version').fill('1.0.0');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await refusal.waitFor();
    await page.getByLabel('Version').fill('1.2.0');
    await expect(refusal.count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(/\/releases\/1\.2\.0$/);
    await expect(refusal.count()).resolves.toBe(0);
  });

  it('a wrong key at sign-in: the refusal leaves as the key is typed again', async () => {
    const fresh = await openWatchedPage(browser, server.url, { allow: [/401 \(Unauthorized\)/] });
    try {
      const { page } = fresh;
      await visit(page, `${server.url}/ui`);
      await page.getByLabel('Admin API key').fill(`trk_${'x'.repeat(43)}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('unknown API key').waitFor();
      await page.getByLabel('Admin API key').fill(server.adminToken);
      await expect(page.getByText('unknown API key').count()).resolves.toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('notes longer than the API stores are refused as they are typed, on the new-release page and the draft form', async () => {
    const { page } = admin;
    const tooLong = 'n'.repeat(MAX_RELEASE_NOTES_LENGTH + 1);
    await visit(page, `${server.url}/ui/apps/${APP}/releases/new`);
    await page.getByLabel('Version').fill('3.0.0');
    const notes = page.locator('textarea[name="notes"]');
    await notes.fill(tooLong);
    await page.getByText('at most 100,000 characters: these have 100,001 (1 too many)').waitFor();
    await expect(page.getByRole('button', { name: 'Create release' }).isDisabled()).resolves.toBe(true);
    await notes.fill(tooLong.slice(1));
    await expect(page.getByText('too many').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Create release' }).isDisabled()).resolves.toBe(false);

    await visit(page, `${server.url}/ui/apps/${APP}/releases/1.0.0`);
    await notes.fill(`${tooLong}nn`);
    await page.getByText('these have 100,003 (3 too many)').waitFor();
    await expect(page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).resolves.toBe(true);
    await admin.expectClean();
  });

  it('says so in plain text when the script does not load, and the message leaves once the dashboard mounts', async () => {
    const fresh = await openWatchedPage(browser, server.url, { allow: [/requestfailed: .*\/ui\/assets\//] });
    try {
      const { page } = fresh;
      await page.route('**/ui/assets/*.js', (route) => route.abort());
      await page.goto(`${server.url}/ui`);
      await page.getByText('Loading the dashboard… If this stays, its script could not be loaded or run').waitFor();
      await expect(page.getByRole('link', { name: '/docs' }).getAttribute('href')).resolves.toBe('/docs');

      await page.unroute('**/ui/assets/*.js');
      await visit(page, `${server.url}/ui`);
      await page.getByLabel('Admin API key').waitFor();
      await expect(page.getByText('Loading the dashboard…').count()).resolves.toBe(0);
    } finally {
      await fresh.close();
    }
  });
});
