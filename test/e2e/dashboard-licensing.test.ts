/**
 * The dashboard's Licensing pages in Chromium against the real server (issue 17, item 11): an admin switches an app
 * to licensed, creates a policy, creates a license whose key is shown once (and is nowhere on the page after), sees
 * "Eligible up to 2.3.1", renews, suspends, reinstates and revokes it, each through a confirmation; the update check
 * answers as each step says. Search finds licenses by key prefix, external id and status; an install that checked
 * appears under Machines and is deactivated; rotating shows the new key once and the old one stops working. Settings'
 * updater snippet lists the update check alone for the licensed app, and latest.json second for an open one. At 375 px
 * no page scrolls sideways. No console error, no failed request.
 *
 * UPDATE_SCREENSHOTS=1 also writes docs/screenshots/licensing*.png and license*.png (the README's Dashboard section).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { TEST_SECRETS_KEY } from '../../api/_src/licensing/testing.ts';
import { describeInChromium, horizontalOverflow, openWatchedPage, screenshot, settled, signIn, startServerAndBrowser, stopServerAndBrowser, visit, type WatchedPage } from '../support/browser.ts';
import { expectStatus, jsonBody, type RunningServer } from '../support/server.ts';
import { generateKeyPair, type KeyPair, sign } from '../support/tauri.ts';

const APP = 'pro-app';
const OPEN_APP = 'free-app';
const VERSION = '2.3.1';
const FILE_NAME = `Pro-App_${VERSION}_amd64.AppImage`;
const INSTALL_ID = '6c1f2a4e-0d7b-4c55-9a3e-2f1b8e7d9c10';

/** Waits until the table's rows are exactly one per expected text (in any order): a new search replaces the old rows. */
async function rowsShow(rows: Locator, expected: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const texts = await rows.allTextContents();
    if (texts.length === expected.length && expected.every((text) => texts.some((row) => row.includes(text)))) return;
    if (Date.now() > deadline) throw new Error(`the licenses shown, ${JSON.stringify(texts)}, never became ${JSON.stringify(expected)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Presses Tab until the focused element is `target` (keyboard only: no clicks), up to `max` presses. */
async function tabTo(page: Page, target: Locator, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()} in ${max} presses`);
}

describeInChromium(`the dashboard's licensing pages`, () => {
  let server: RunningServer;
  let browser: Browser;
  let dir: string;
  let admin: WatchedPage;
  /** The license the scenario drives, by its page's address. */
  let licenseUrl = '';
  let licenseKey = '';

  /** The licensed update check as an installed 1.0.0 copy makes it. */
  const check = (key: string | null, installId = INSTALL_ID) =>
    fetch(`${server.url}/update/${APP}/linux/x86_64/1.0.0?bundle_type=appimage`, {
      headers: { ...(key ? { Authorization: `License ${key}` } : {}), 'X-Install-Id': installId },
    });
  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dashboard-licensing-'));
    let keys: KeyPair;
    // A generous start: the suite may share a busy machine.
    [{ server, browser }, keys] = await Promise.all([
      startServerAndBrowser({ env: { SECRETS_KEY: TEST_SECRETS_KEY, RATE_LIMITS: 'off' }, startTimeoutMs: 180_000 }),
      generateKeyPair(dir),
    ]);
    await expectStatus(await server.admin('/admin/apps', jsonBody('POST', { slug: APP, name: 'Pro App', public_key: keys.publicKey })), 201);
    await expectStatus(await server.admin(`/admin/apps/${APP}/releases`, jsonBody('POST', { version: VERSION, notes: 'Pro features.' })), 201);
    const file = join(dir, FILE_NAME);
    const bytes = randomBytes(64 * 1024);
    await writeFile(file, bytes);
    const form = new FormData();
    form.append('platform', 'linux-x86_64');
    form.append('bundle', 'appimage');
    form.append('signature', await sign(file, keys, VERSION));
    form.append('file', new Blob([new Uint8Array(bytes)]), FILE_NAME);
    await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${VERSION}/artifacts`, { method: 'POST', body: form }), 201);
    await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${VERSION}/publish`, { method: 'POST' }), 200);
    admin = await openWatchedPage(browser, server.url);
    await signIn(admin.page, server);
  }, 300_000);

  afterAll(async () => {
    await stopServerAndBrowser({ server, browser });
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('switches the app to licensed after saying what that means, and creates and edits a yearly fallback policy', async () => {
    const { page } = admin;
    await visit(page, `${server.url}/ui/apps/${APP}`);
    await page.getByRole('navigation', { name: 'App sections' }).getByRole('link', { name: 'Licensing' }).click();
    await settled(page);
    await page.getByRole('button', { name: 'Require a license' }).click();
    const dialog = page.getByRole('dialog', { name: 'Require a license for updates?' });
    await expect(dialog.textContent()).resolves.toContain('latest.json');
    await dialog.getByRole('button', { name: 'Require a license' }).click();
    await page.getByText('Licensed', { exact: true }).waitFor();
    expect(await codeOf(await check(null))).toMatch(/^license_/);

    await page.getByRole('button', { name: 'New policy' }).click();
    const form = page.getByRole('form', { name: 'New policy' });
    await form.getByLabel('Policy name').fill('Yearly');
    await form.getByLabel('Duration (days)').fill('365');
    await form.getByRole('combobox', { name: /^After expiry/ }).selectOption('fallback');
    await expect(form.getByText(/perpetual fallback/).count()).resolves.toBe(1);
    await form.getByLabel('Max machines').fill('0');
    await form.getByRole('button', { name: 'Create policy' }).click();
    await form.getByText('Max machines must be at least 1.').waitFor();
    await form.getByLabel('Max machines').fill('2');
    await form.getByLabel('Entitlements').fill('pro');
    await form.getByRole('button', { name: 'Create policy' }).click();
    await page.getByRole('cell', { name: 'Yearly', exact: true }).waitFor();

    await page.getByRole('button', { name: 'Edit policy Yearly' }).click();
    const edit = page.getByRole('form', { name: 'Edit policy Yearly' });
    await expect(edit.getByLabel('Max machines').inputValue()).resolves.toBe('2');
    await edit.getByLabel('Grace days').fill('14');
    await edit.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('+14 d grace').waitFor();
    const { policies } = await expectStatus(await server.admin(`/admin/apps/${APP}/licensing/policies`), 200);
    expect(policies).toEqual([expect.objectContaining({ name: 'Yearly', duration_days: 365, expiry_strategy: 'fallback', grace_days: 14, max_machines: 2, entitlements: ['pro'] })]);
    await admin.expectClean();
  });

  it('creates a license whose key is shown once, then renews, suspends and reinstates it', async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'New license' }).click();
    const form = page.getByRole('form', { name: 'New license' });
    await form.getByLabel('External id (optional)').fill('order-1001');
    await form.getByRole('button', { name: 'Create license' }).click();
    const box = page.getByRole('region', { name: /License trl_.* created/ });
    await box.getByText('it will not be shown again').waitFor();
    licenseKey = (await box.getByLabel('New license key').textContent())!.trim();
    expect(licenseKey).toMatch(/^trl_[0-9A-Z]{33}$/);
    await expect(box.getByRole('button', { name: 'Copy key to clipboard' }).count()).resolves.toBe(1);
    await screenshot(page, 'licensing');
    expect((await check(licenseKey)).status).toBe(200);

    await box.getByRole('button', { name: 'I have stored it' }).click();
    await box.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(licenseKey);

    await page.getByRole('link', { name: licenseKey.slice(0, 8) + '…' }).click();
    await settled(page);
    licenseUrl = page.url();
    await page.getByRole('heading', { name: `Eligible up to ${VERSION}` }).waitFor();
    expect(await page.content()).not.toContain(licenseKey);
    const expiry = page.locator('dl.kv dt:text-is("Expires") + dd');
    const expiryBefore = (await expiry.textContent())!;

    await page.getByRole('button', { name: 'Renew' }).click();
    await page.getByRole('dialog', { name: 'Renew this license?' }).getByRole('button', { name: 'Renew' }).click();
    await page.getByRole('dialog', { name: 'Renew this license?' }).waitFor({ state: 'hidden' });
    await expiry.filter({ hasNotText: expiryBefore }).waitFor();
    const expiryAfter = await expiry.textContent();
    expect(Date.parse(expiryAfter!) - Date.parse(expiryBefore!)).toBe(365 * 86_400_000);

    await page.getByRole('button', { name: 'Suspend' }).click();
    await page.getByRole('dialog', { name: 'Suspend this license?' }).getByRole('button', { name: 'Suspend' }).click();
    await page.getByRole('button', { name: 'Reinstate' }).waitFor();
    await page.locator('.badge', { hasText: 'Suspended' }).waitFor();
    const suspended = await check(licenseKey);
    expect(suspended.status).toBe(403);
    expect(await codeOf(suspended)).toBe('license_suspended');

    await page.getByRole('button', { name: 'Reinstate' }).click();
    await page.getByRole('dialog', { name: 'Reinstate this license?' }).getByRole('button', { name: 'Reinstate' }).click();
    await page.getByRole('button', { name: 'Suspend' }).waitFor();
    expect((await check(licenseKey)).status).toBe(200);
    await admin.expectClean();
  });

  it('lists the installs that checked, and deactivates one', async () => {
    const { page } = admin;
    await visit(page, licenseUrl);
    const machines = page.locator('section', { has: page.getByRole('heading', { name: 'Machines' }) });
    await machines.getByText('Counted').waitFor();
    await page.getByText('1 of 2').waitFor();
    await screenshot(page, 'license');
    await machines.getByRole('button', { name: /^Deactivate install/ }).click();
    await page.getByRole('dialog', { name: 'Deactivate this install?' }).getByRole('button', { name: 'Deactivate' }).click();
    await machines.getByText(/^Deactivated/).waitFor();
    await page.getByText('0 of 2').waitFor();
    await admin.expectClean();
  });

  it('rotates the key: the new one is shown once and the old one stops working', async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByRole('dialog', { name: /Rotate this license/ }).getByRole('button', { name: 'Rotate key' }).click();
    const box = page.getByRole('region', { name: 'New key for this license' });
    await box.getByText('it will not be shown again').waitFor();
    const rotated = (await box.getByLabel('New license key').textContent())!.trim();
    expect(rotated).not.toBe(licenseKey);
    expect((await check(licenseKey)).status).toBe(401);
    expect((await check(rotated)).status).toBe(200);
    await box.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.content()).not.toContain(rotated);
    licenseKey = rotated;
    await admin.expectClean();
  });

  it('finds licenses by key prefix, external id and status', async () => {
    const policies = await expectStatus(await server.admin(`/admin/apps/${APP}/licensing/policies`), 200);
    const policyId = policies.policies[0].id;
    for (const order of ['order-2002', 'order-2003']) {
      await expectStatus(await server.admin(`/admin/apps/${APP}/licenses`, jsonBody('POST', { policy_id: policyId, external_source: 'import', external_id: order })), 201);
    }
    const { page } = admin;
    await visit(page, `${server.url}/ui/apps/${APP}/licensing`);
    const rows = page.getByRole('region', { name: 'Licenses' }).locator('tbody tr');
    await rowsShow(rows, ['order-1001', 'order-2002', 'order-2003']);

    const search = page.getByRole('search', { name: 'Search licenses' });
    await search.getByLabel('Search').fill('order-2003');
    await search.getByLabel('Search').press('Enter');
    await page.waitForURL(/q=order-2003/);
    await rowsShow(rows, ['order-2003']);

    await search.getByLabel('Search').fill(licenseKey.slice(0, 8));
    await search.getByLabel('Search').press('Enter');
    await page.waitForURL(new RegExp(`q=${licenseKey.slice(0, 8)}`));
    await rowsShow(rows, ['order-1001']);

    await search.getByLabel('Search').fill('');
    await search.getByLabel('Search').press('Enter');
    await search.getByLabel('Status').selectOption('suspended');
    await page.getByText('No license matches this search.').waitFor();
    await admin.expectClean();
  });

  it('revokes by keyboard alone, after a confirmation that says it is for good', async () => {
    const { page } = admin;
    await visit(page, licenseUrl);
    await tabTo(page, page.getByRole('button', { name: 'Revoke', exact: true }));
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Revoke this license?' });
    await expect(dialog.textContent()).resolves.toContain('cannot be reinstated');
    // The dialog takes the focus; Escape would leave it, Tab reaches its buttons.
    await tabTo(page, dialog.getByRole('button', { name: 'Revoke license' }), 5);
    await page.keyboard.press('Enter');
    await page.getByText('This license is revoked').waitFor();
    const revoked = await check(licenseKey);
    expect(revoked.status).toBe(403);
    expect(await codeOf(revoked)).toBe('license_revoked');
    await admin.expectClean();
  });

  it('a new API key is shown once in the same box as a license key (components.tsx ShownOnce)', async () => {
    const { page } = admin;
    await visit(page, `${server.url}/ui/apps/${APP}/access`);
    await page.getByLabel('Key name').fill('Support desk');
    await page.getByRole('combobox', { name: /^Scope/ }).selectOption('admin');
    await page.getByRole('button', { name: 'Create key' }).click();
    const box = page.getByRole('region', { name: 'Key “Support desk” created' });
    await box.getByText('This key is shown once.').waitFor();
    const apiKey = (await box.getByLabel('New API key').textContent())!.trim();
    expect((await fetch(`${server.url}/admin/apps/${APP}`, { headers: { Authorization: `Bearer ${apiKey}` } })).status).toBe(200);
    await box.getByRole('button', { name: 'I have stored it' }).click();
    await box.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(apiKey);
    await admin.expectClean();
  });

  it('Settings\' updater snippet: the licensed app lists its update check alone (which asks for a license), an open app latest.json second', async () => {
    await expectStatus(await server.admin('/admin/apps', jsonBody('POST', { slug: OPEN_APP, name: 'Free App' })), 201);
    const { page } = admin;
    const settingsOf = async (slug: string) => {
      await visit(page, `${server.url}/ui/apps/${slug}/settings`);
      const card = page.getByRole('region', { name: 'Updater configuration' });
      const snippet = (await card.getByLabel('tauri.conf.json').textContent())!;
      const { endpoints } = (JSON.parse(snippet) as { plugins: { updater: { endpoints: string[] } } }).plugins.updater;
      return { snippet, endpoints, text: (await card.textContent())! };
    };
    const updateCheck = (slug: string) => `${server.url}/update/${slug}/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`;

    const licensed = await settingsOf(APP);
    expect(licensed.endpoints).toEqual([updateCheck(APP)]);
    expect(licensed.snippet).not.toContain('latest.json');
    expect(licensed.text).toContain('In the app: sending the key');
    const filled = licensed.endpoints[0]!.replace('{{target}}', 'linux').replace('{{arch}}', 'x86_64').replace('{{current_version}}', '1.0.0').replace('{{bundle_type}}', 'appimage');
    expect(await codeOf(await fetch(filled))).toBe('license_required');

    const open = await settingsOf(OPEN_APP);
    expect(open.endpoints).toEqual([updateCheck(OPEN_APP), `${server.url}/${OPEN_APP}/latest.json`]);
    await admin.expectClean();
  });

  it('the licensing pages fit a 375 px screen without sideways scrolling', async () => {
    const mobile = await openWatchedPage(browser, server.url, { viewport: { width: 375, height: 812 } });
    try {
      const { page } = mobile;
      await signIn(page, server);
      const overflowing: string[] = [];
      for (const [url, name] of [[`${server.url}/ui/apps/${APP}/licensing`, 'mobile-licensing'], [licenseUrl, 'mobile-license']] as const) {
        await visit(page, url);
        const { scrollWidth, innerWidth, widest } = await horizontalOverflow(page);
        if (scrollWidth > innerWidth) overflowing.push(`${url}: scrollWidth ${scrollWidth} > ${innerWidth} (${widest.join(', ')})`);
        await screenshot(page, name);
      }
      expect(overflowing).toEqual([]);
      await mobile.expectClean();
    } finally {
      await mobile.close();
    }
  }, 60_000);
});
