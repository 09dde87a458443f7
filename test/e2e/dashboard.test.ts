/**
 * The admin dashboard end to end, in Debian's Chromium (playwright-core) against the server as `npm start` runs it:
 * sign in (keyboard only), create an app with a real Tauri public key, create a release (live semver validation,
 * notes whose `<script>` stays text), upload a `tauri signer`-signed artifact through the file input and see it
 * verified, publish through the confirmation dialog (keyboard), watch a modelled Tauri client receive it, lower the
 * rollout to 0 (a fresh install gets 204), archive, publish again, yank with a replacement, unyank, roll back, sign
 * out (the old cookie is dead). A key scoped to one app sees nothing of another. Every page visited: no console
 * error or warning, no failed request, no request to another host; at 375 px no page scrolls sideways. The /ui
 * answer's security headers are checked too.
 *
 * UPDATE_SCREENSHOTS=1 also writes docs/screenshots/*.png (shown in the README's Dashboard section).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { describeInChromium, horizontalOverflow, openWatchedPage, screenshot, settled, startServerAndBrowser, stopServerAndBrowser, visit, type WatchedPage } from '../support/browser.ts';
import { expectStatus, jsonBody, type RunningServer } from '../support/server.ts';
import { checkForUpdate, type ClientPlatform, download, generateKeyPair, type KeyPair, sign } from '../support/tauri.ts';

const APP = 'desk-app';
const APP_NAME = 'Desk App';
const OTHER_APP = 'secret-app';
const OTHER_APP_NAME = 'Secret Hidden App';
const VERSION = '1.2.0';
const PREVIOUS = '1.1.0';
const FILE_NAME = `Desk-App_${VERSION}_amd64.AppImage`;
const NOTES = 'Faster sync.\n\n<script>window.__xss=1</script>\n\n**bold** move';
const CLIENT: ClientPlatform = { target: 'linux', arch: 'x86_64', currentVersion: '1.0.0', bundleType: 'appimage' };

/** Fails with the response body, so a broken admin call says why. */

/** Waits until no "Loading…" status is on the page (every page shows one while its data is on the way). */
/** Client-side navigation is what a user does; a fresh load also works, and is what a bookmark does. */
/** Presses Tab until the focused element is `target` (keyboard only: no clicks), up to `max` presses. */
async function tabTo(page: Page, target: Locator, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()} in ${max} presses`);
}

describeInChromium(
  'the dashboard in Chromium',
  () => {
    let server: RunningServer;
    let browser: Browser;
    let dir: string;
    let keys: KeyPair;
    let artifact: string;
    let signature: string;
    let endpoint: string;
    /** The admin's browser, carried through the scenario's steps in order. */
    let admin: WatchedPage;
    let sessionCookie: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'dashboard-e2e-'));
      [{ server, browser }, keys] = await Promise.all([startServerAndBrowser(), generateKeyPair(dir)]);
      endpoint = `${server.url}/update/${APP}/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`;
      artifact = join(dir, FILE_NAME);
      await writeFile(artifact, randomBytes(200 * 1024));
      signature = await sign(artifact, keys, VERSION);
      admin = await openWatchedPage(browser, server.url);
    }, 120_000);

    afterAll(async () => {
      await stopServerAndBrowser({ server, browser });
      if (dir) await rm(dir, { recursive: true, force: true });
    }, 30_000);

    it('serves /ui with a CSP that allows only its own scripts and styles, and refuses framing', async () => {
      const res = await fetch(`${server.url}/ui`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(' ')]));
      expect(directives).toMatchObject({
        'default-src': "'none'",
        'script-src': "'self'",
        'style-src': "'self'",
        'connect-src': "'self'",
        'frame-ancestors': "'none'",
        'base-uri': "'none'",
      });
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await res.text();
      // No inline script or style for the CSP to have to allow.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|style="/);
    });

    it('the sign-in page logs no console error (asking for the session while signed out is not a 4xx)', async () => {
      const fresh = await openWatchedPage(browser, server.url);
      try {
        await visit(fresh.page, `${server.url}/ui`);
        await fresh.page.getByLabel('Admin API key').waitFor();
        await fresh.expectClean();
      } finally {
        await fresh.close();
      }
    });

    it('over plain http outside localhost the Secure cookie is dropped, and sign-in says HTTPS is needed', async () => {
      // The machine's own non-loopback address: the server listens on every interface.
      const lan = Object.values(networkInterfaces()).flat().find((net) => net && net.family === 'IPv4' && !net.internal)?.address;
      if (!lan) throw new Error('this machine has no non-loopback IPv4 address to reach the server by');
      const url = server.url.replace('127.0.0.1', lan);
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${url}/ui`);
        await page.getByLabel('Admin API key').fill(server.adminToken);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('alert').filter({ hasText: /HTTPS/ }).waitFor();
        expect(await context.cookies()).toEqual([]);
        await expect(page.getByRole('button', { name: 'Sign out' }).count()).resolves.toBe(0);
      } finally {
        await context.close();
      }
    });

    it('signs in by keyboard alone; the session cookie is HttpOnly, SameSite=Strict and expires', async () => {
      const { page, context } = admin;
      await visit(page, `${server.url}/ui`);
      const keyField = page.getByLabel('Admin API key');
      await keyField.waitFor();
      await screenshot(page, 'sign-in');

      await tabTo(page, keyField);
      await page.keyboard.type(server.adminToken);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await settled(page);

      const cookies = await context.cookies(server.url);
      expect(cookies).toHaveLength(1);
      const [cookie] = cookies;
      expect(cookie).toMatchObject({ name: 'tr_session', httpOnly: true, sameSite: 'Strict', path: '/' });
      expect(cookie!.value).not.toContain(server.adminToken);
      // Not a browser-session cookie: it expires, within a day.
      expect(cookie!.expires * 1000).toBeGreaterThan(Date.now());
      expect(cookie!.expires * 1000).toBeLessThan(Date.now() + 24 * 3600_000);
      // Not readable by the page's scripts.
      expect(await page.evaluate(() => document.cookie)).not.toContain('tr_session');
      sessionCookie = `${cookie!.name}=${cookie!.value}`;
      await admin.expectClean();
    });

    it('creates an app with a real Tauri updater public key', async () => {
      const { page } = admin;
      // A published release already on the server, so the new one has something to replace (seeded by the admin API).
      await page.getByRole('link', { name: 'New app' }).first().click();
      await page.getByLabel('Slug').fill(APP);
      await page.getByLabel('Name').fill(APP_NAME);
      await page.getByLabel('Description').fill('The release desk e2e app');
      await page.getByLabel('Updater public key').fill(keys.publicKey.trim());
      await page.getByRole('button', { name: 'Create app' }).click();
      await page.waitForURL((url) => url.pathname.startsWith(`/ui/apps/${APP}`));
      await settled(page);

      const body = await expectStatus(await server.admin(`/admin/apps/${APP}`), 200);
      expect(body).toMatchObject({ slug: APP, name: APP_NAME });
      expect(body.public_key.trim()).toBe(keys.publicKey.trim());
      await admin.expectClean();
    });

    it('seeds a previous release and a second app through the admin API (what the dashboard will show next to it)', async () => {
      await expectStatus(await server.admin(`/admin/apps/${APP}/releases`, jsonBody('POST', { version: PREVIOUS, notes: 'Offline mode.' })), 201);
      const old = join(dir, `Desk-App_${PREVIOUS}_amd64.AppImage`);
      await writeFile(old, randomBytes(150 * 1024));
      const form = new FormData();
      form.append('platform', 'linux-x86_64');
      form.append('bundle', 'appimage');
      form.append('signature', await sign(old, keys, PREVIOUS));
      form.append('file', new Blob([new Uint8Array(await readFile(old))]), `Desk-App_${PREVIOUS}_amd64.AppImage`);
      await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${PREVIOUS}/artifacts`, { method: 'POST', body: form }), 201);
      await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${PREVIOUS}/publish`, { method: 'POST' }), 200);
      await expectStatus(await server.admin(`/admin/apps/${APP}/releases`, jsonBody('POST', { version: '1.3.0-beta.1', channel: 'beta', notes: 'Next.' })), 201);
      await expectStatus(await server.admin('/admin/apps', jsonBody('POST', { slug: OTHER_APP, name: OTHER_APP_NAME })), 201);
      // A few installs checking and downloading, so Insight has something to draw.
      for (const currentVersion of ['1.0.0', '1.0.0', '1.0.0', '1.0.1', '1.0.1', '1.1.0']) {
        const outcome = await checkForUpdate(`${endpoint}&install_id=${randomUUID()}`, { ...CLIENT, currentVersion });
        if (outcome.kind === 'update') await download(outcome.update);
      }
    }, 60_000);

    it('creates a release: live semver validation, and notes whose <script> is shown as text', async () => {
      const { page } = admin;
      await visit(page, `${server.url}/ui/apps/${APP}`);
      await page.getByRole('link', { name: 'New release' }).click();
      const version = page.getByLabel('Version');
      await version.fill('1.2');
      // The same rule as the server's, as you type: no round trip.
      await expect(page.locator('.field-invalid').filter({ has: version }).getByRole('alert').textContent()).resolves.toMatch(/\S/);
      await version.fill(VERSION);
      await expect(page.locator('.field-invalid').filter({ has: version }).count()).resolves.toBe(0);

      await page.getByLabel('Notes', { exact: true }).fill(NOTES);
      const preview = page.getByRole('region', { name: 'Notes preview' });
      await preview.locator('strong').waitFor();
      expect(await preview.locator('strong').textContent()).toBe('bold');
      expect(await preview.textContent()).toContain('<script>window.__xss=1</script>');
      expect(await preview.locator('script').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

      await page.getByRole('button', { name: 'Create release' }).click();
      await page.waitForURL(`${server.url}/ui/apps/${APP}/releases/${VERSION}`);
      await settled(page);
      expect(await page.getByText('Draft').first().isVisible()).toBe(true);
      const release = await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${VERSION}`), 200);
      expect(release).toMatchObject({ version: VERSION, status: 'draft', notes: NOTES });
      await admin.expectClean();
    });

    it('uploads a signed artifact through the file input and shows it verified', async () => {
      const { page } = admin;
      const panel = page.getByRole('region', { name: 'Artifacts' });
      await writeFile(`${artifact}.sig`, signature);
      await panel.getByLabel('Choose files').setInputFiles([artifact, `${artifact}.sig`]);
      await panel.getByRole('button', { name: 'Upload', exact: true }).click();
      const row = panel.getByRole('row').filter({ hasText: FILE_NAME });
      await row.getByText(/Verified/).waitFor({ timeout: 30_000 });
      expect(await row.textContent()).not.toMatch(/Not verified/);

      const { artifacts } = await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${VERSION}/artifacts`), 200);
      expect(artifacts).toEqual([expect.objectContaining({ platform: 'linux-x86_64', bundle: 'appimage', file_name: FILE_NAME })]);
      // The preview is still safe after a reload of the release (notes come back from the server).
      await visit(page, page.url());
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      await screenshot(page, 'release-editor');
      await admin.expectClean();
    });

    it('publishes through a confirmation that names the version and platforms, confirmed by keyboard', async () => {
      const { page } = admin;
      await page.getByRole('button', { name: 'Publish', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      const said = (await dialog.textContent()) ?? '';
      expect(said).toContain(VERSION);
      expect(said).toContain('linux-x86_64');
      await screenshot(page, 'publish-dialog', { fullPage: false });

      const confirm = dialog.getByRole('button', { name: 'Publish now' });
      await tabTo(page, confirm);
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'hidden' });
      await page.getByText('Published').first().waitFor();
      await settled(page);
      const release = await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${VERSION}`), 200);
      expect(release.status).toBe('published');
      await admin.expectClean();
    });

    it('a Tauri client on 1.0.0 now receives the new version with the signature made by `tauri signer`', async () => {
      const outcome = await checkForUpdate(endpoint, CLIENT);
      if (outcome.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(outcome)}`);
      expect(outcome.update.version).toBe(VERSION);
      expect(outcome.update.signature).toBe(signature);
      expect(outcome.update.url).toContain(FILE_NAME);
    });

    it('shows the releases table, insight and audit log of what just happened', async () => {
      const { page } = admin;
      await visit(page, `${server.url}/ui/apps/${APP}`);
      const table = page.getByRole('table');
      for (const version of [VERSION, PREVIOUS, '1.3.0-beta.1']) await table.getByRole('link', { name: version }).waitFor();
      await screenshot(page, 'releases');

      await visit(page, `${server.url}/ui`);
      await page.getByRole('main').getByRole('link', { name: APP_NAME }).waitFor();
      await screenshot(page, 'apps');

      await visit(page, `${server.url}/ui/apps/${APP}/insight`);
      await page.getByRole('heading', { name: 'Downloads per day' }).waitFor();
      await page.getByRole('heading', { name: 'Adoption by version' }).waitFor();
      await screenshot(page, 'insight');

      await visit(page, `${server.url}/ui/audit`);
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      await page.getByText(/publish/i).first().waitFor();
      await screenshot(page, 'audit-log');
      await admin.expectClean();
    });

    it('lowers the rollout to 0: an install the cohort has not reached gets no update', async () => {
      const { page } = admin;
      await visit(page, `${server.url}/ui/apps/${APP}/releases/${VERSION}`);
      await page.getByLabel('Rollout percentage').first().fill('0');
      await page.getByRole('button', { name: 'Save rollout' }).click();
      for (let i = 0; i < 50; i++) {
        const release = await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${VERSION}`), 200);
        if (release.rollout_percent === 0) break;
        if (i === 49) throw new Error(`rollout_percent is still ${release.rollout_percent}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // A fresh install id, on the previous version: 1.2.0 is paused for it and nothing newer than 1.1.0 is eligible.
      const fresh = `${endpoint}&install_id=${randomUUID()}`;
      const outcome = await checkForUpdate(fresh, { ...CLIENT, currentVersion: PREVIOUS });
      expect(outcome).toMatchObject({ kind: 'no-update', reason: 'no-content' });
      await admin.expectClean();
    });

    it('archives the release', async () => {
      const { page } = admin;
      await page.getByRole('button', { name: 'Archive', exact: true }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Archive now' }).click();
      await page.getByText('Archived').first().waitFor();
      const release = await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${VERSION}`), 200);
      expect(release.status).toBe('archived');
      // Clients fall back to the previous release.
      const outcome = await checkForUpdate(endpoint, CLIENT);
      expect(outcome).toMatchObject({ kind: 'update', update: { version: PREVIOUS } });
      await admin.expectClean();
    });

    /** Polls the admin API until the release satisfies `done` (the page saves asynchronously). */
    async function releaseBecomes(done: (release: any) => boolean): Promise<any> {
      for (let i = 0; ; i++) {
        const release = await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${VERSION}`), 200);
        if (done(release)) return release;
        if (i === 100) throw new Error(`release ${VERSION} never reached the expected state: ${JSON.stringify(release)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    it('publishes again at 100 %, yanks with the previous release as the replacement, unyanks and republishes, then rolls back', async () => {
      const { page } = admin;
      await page.getByRole('button', { name: 'Publish again' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Publish now' }).click();
      await releaseBecomes((release) => release.status === 'published');
      await page.getByLabel('Rollout percentage').first().fill('100');
      await page.getByRole('button', { name: 'Save rollout' }).click();
      await releaseBecomes((release) => release.rollout_percent === 100);
      expect(await checkForUpdate(endpoint, CLIENT)).toMatchObject({ kind: 'update', update: { version: VERSION } });

      await page.getByRole('button', { name: 'Yank', exact: true }).click();
      const yankDialog = page.getByRole('dialog');
      const replacement = yankDialog.getByLabel('Replacement');
      const choice = replacement.locator('option', { hasText: PREVIOUS });
      await choice.waitFor({ state: 'attached' });
      await replacement.selectOption({ label: (await choice.textContent())! });
      await yankDialog.getByLabel('Reason').fill('crash on start');
      await yankDialog.getByRole('button', { name: 'Yank now' }).click();
      const yanked = await releaseBecomes((release) => release.yanked_at !== null);
      expect(yanked.replacement_release_id).not.toBeNull();
      await page.getByText('Yanked').first().waitFor();
      // Installs on the yanked version are offered the replacement, lower though it is; others never see 1.2.0.
      const onYanked = await fetch(`${server.url}/update/${APP}/linux/x86_64/${VERSION}?bundle_type=appimage`);
      expect(onYanked.status).toBe(200);
      expect(await onYanked.json()).toMatchObject({ version: PREVIOUS, replaces_yanked: VERSION });
      expect(await checkForUpdate(endpoint, CLIENT)).toMatchObject({ kind: 'update', update: { version: PREVIOUS } });

      await page.getByRole('button', { name: 'Unyank' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Unyank now' }).click();
      // A yank archives the release; unyanking clears the yank and leaves it archived until it is published again.
      const unyanked = await releaseBecomes((release) => release.yanked_at === null);
      expect(unyanked.status).toBe('archived');
      await page.getByRole('button', { name: 'Publish again' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Publish now' }).click();
      await releaseBecomes((release) => release.status === 'published');
      expect(await checkForUpdate(endpoint, CLIENT)).toMatchObject({ kind: 'update', update: { version: VERSION } });

      await page.getByRole('button', { name: 'Roll back', exact: true }).click();
      const rollbackDialog = page.getByRole('dialog');
      await expect(rollbackDialog.textContent()).resolves.toContain(PREVIOUS);
      await rollbackDialog.getByRole('button', { name: 'Roll back now' }).click();
      await releaseBecomes((release) => release.status === 'archived');
      expect(await checkForUpdate(endpoint, CLIENT)).toMatchObject({ kind: 'update', update: { version: PREVIOUS } });
      await admin.expectClean();
    });

    it('every main page fits a 375 px screen without sideways scrolling', async () => {
      const mobile = await openWatchedPage(browser, server.url, { viewport: { width: 375, height: 812 } });
      try {
        const { page } = mobile;
        await visit(page, `${server.url}/ui`);
        await page.getByLabel('Admin API key').fill(server.adminToken);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('button', { name: 'Sign out' }).waitFor();
        const pages = [
          '/ui', '/ui/apps/new', `/ui/apps/${APP}`, `/ui/apps/${APP}/releases/${PREVIOUS}`, `/ui/apps/${APP}/releases/1.3.0-beta.1`,
          `/ui/apps/${APP}/insight`, `/ui/apps/${APP}/access`, `/ui/apps/${APP}/settings`, '/ui/keys', '/ui/audit',
        ];
        const overflowing: string[] = [];
        for (const path of pages) {
          await visit(page, `${server.url}${path}`);
          const { scrollWidth, innerWidth, widest } = await horizontalOverflow(page);
          if (scrollWidth > innerWidth) overflowing.push(`${path}: scrollWidth ${scrollWidth} > ${innerWidth} (${widest.join(', ')})`);
          if (path === `/ui/apps/${APP}`) await screenshot(page, 'mobile-releases');
          if (path === `/ui/apps/${APP}/releases/1.3.0-beta.1`) await screenshot(page, 'mobile-release-editor');
        }
        expect(overflowing).toEqual([]);
        await mobile.expectClean();
      } finally {
        await mobile.close();
      }
    }, 90_000);

    it('signs out: back to sign-in, and the old cookie no longer works', async () => {
      const { page, context } = admin;
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Admin API key').waitFor();
      expect(await context.cookies(server.url)).toEqual([]);
      const res = await fetch(`${server.url}/admin/apps`, { headers: { Cookie: sessionCookie } });
      expect(res.status).toBe(401);
      await admin.expectClean();
      await admin.close();
    });

    it('a key scoped to one app never shows another app, even by its address', async () => {
      const created = await expectStatus(await server.admin('/admin/keys', jsonBody('POST', { name: 'desk only', scope: 'admin', app: APP })), 201);
      const scoped = await openWatchedPage(browser, server.url);
      try {
        const { page } = scoped;
        await visit(page, `${server.url}/ui`);
        await page.getByLabel('Admin API key').fill(created.key);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('button', { name: 'Sign out' }).waitFor();
        await settled(page);
        expect(await page.textContent('body')).not.toContain(OTHER_APP_NAME);

        await visit(page, `${server.url}/ui`);
        await page.getByRole('main').getByRole('link', { name: APP_NAME }).waitFor();
        expect(await page.textContent('body')).not.toContain(OTHER_APP_NAME);
        const switcherOptions = await page.locator('select option').allTextContents();
        expect(switcherOptions.join('\n')).not.toContain(OTHER_APP_NAME);

        await visit(page, `${server.url}/ui/apps/${OTHER_APP}`);
        await page.getByText(/not found/i).first().waitFor();
        expect(await page.textContent('body')).not.toContain(OTHER_APP_NAME);
        // The page learnt it from the API's 404s (Chromium logs each one); nothing else went wrong.
        await scoped.idle();
        const problems = scoped.problems();
        expect(problems.length).toBeGreaterThan(0);
        for (const problem of problems) {
          expect(problem).toMatch(new RegExp(`^console\\.error: Failed to load resource: the server responded with a status of 404 \\(Not Found\\) \\(${server.url}/admin/apps/${OTHER_APP}[/?)]`));
        }
        scoped.reset();
        // Nor does the switcher offer it from inside an app page.
        await visit(page, `${server.url}/ui/apps/${APP}`);
        expect((await page.locator('select option').allTextContents()).join('\n')).not.toContain(OTHER_APP_NAME);
        await scoped.expectClean();
      } finally {
        await scoped.close();
      }
    });
  },
);
