/**
 * The dashboard's "Update source" card in Chromium against the real server: an admin switches an app to a (fake,
 * local) GitHub repository's releases with a token, sees the webhook secret once and the sync report (served bundles,
 * and a bundle left out for its missing `.sig`), syncs again after a new release, and a Tauri client is offered it.
 * The token is never shown back. No console error, no failed request.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { publishRelease, signedFile } from '../../api/_src/github/testing.ts';
import { describeInChromium, openWatchedPage, startServerAndBrowser, stopServerAndBrowser, type WatchedPage } from '../support/browser.ts';
import { type FakeGithub, startFakeGithub } from '../support/fake-github.ts';
import type { RunningServer } from '../support/server.ts';
import { checkForUpdate, generateKeyPair, type KeyPair } from '../support/tauri.ts';

const TOKEN = 'github_pat_dashboardTokenNeverShownAgain01';

describeInChromium(`the dashboard's update source card`, () => {
  let server: RunningServer;
  let github: FakeGithub;
  let browser: Browser;
  let dir: string;
  let key: KeyPair;
  let admin: WatchedPage;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dashboard-github-'));
    [github, key] = await Promise.all([startFakeGithub(), generateKeyPair(dir)]);
    ({ server, browser } = await startServerAndBrowser({ env: { GITHUB_API_URL: github.url, RATE_LIMITS: 'off' } }));
    admin = await openWatchedPage(browser, server.url);
    const res = await server.admin('/admin/apps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'octo-app', name: 'Octo App', public_key: key.publicKey }) });
    expect(res.status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await stopServerAndBrowser({ server, browser });
    await github?.close();
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('sets a private GitHub repository as the source, shows the report, and syncs a new release on demand', async () => {
    github.addRepository('octo/app', { private: true, token: TOKEN });
    const appImage = await signedFile(dir, key, 'Octo_1.2.0_amd64.AppImage', '1.2.0');
    const deb = await signedFile(dir, key, 'Octo_1.2.0_amd64.deb', '1.2.0');
    publishRelease(github, 'octo/app', 'v1.2.0', [appImage, deb], { withoutSig: [deb.name] });

    const { page } = admin;
    await page.goto(`${server.url}/ui`);
    await page.getByLabel('Admin API key').fill(server.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto(`${server.url}/ui/apps/octo-app/settings`);
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Update source' }) });
    await card.getByLabel('A GitHub repository\'s releases').check();
    await card.getByRole('textbox', { name: 'Repository owner/repo' }).fill('octo/app');
    await card.getByRole('textbox', { name: /^Tag prefix/ }).fill('v');
    await card.getByRole('textbox', { name: /^Token/ }).fill(TOKEN);
    await card.getByRole('button', { name: 'Save source' }).click();

    await card.getByText('Shown once').waitFor();
    const secret = (await card.locator('dd', { hasText: 'Shown once' }).locator('.mono').textContent())!.trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect(card.getByTestId('sync-outcome').textContent()).resolves.toMatch(/^ok at/);
    await card.getByRole('cell', { name: 'linux-x86_64 appimage' }).waitFor();
    await card.getByText(`no ${deb.name}.sig in the release`).waitFor();
    expect(await page.content()).not.toContain(TOKEN);
    await expect(card.getByRole('textbox', { name: /^Token/ }).inputValue()).resolves.toBe('');
    await card.getByText('A token is stored').waitFor();

    const source = await (await server.admin('/admin/apps/octo-app/source')).json();
    expect(source).toMatchObject({ kind: 'github', repository: 'octo/app', tag_prefix: 'v', private: true });
    expect(source.webhook_secret).toBeUndefined();

    const next = await signedFile(dir, key, 'Octo_1.3.0_amd64.AppImage', '1.3.0');
    publishRelease(github, 'octo/app', 'v1.3.0', [next]);
    await card.getByRole('button', { name: 'Sync now' }).click();
    await card.getByRole('cell', { name: 'v1.3.0' }).waitFor();
    const outcome = await checkForUpdate(`${server.url}/update/octo-app/{{target}}/{{arch}}/{{current_version}}`, { target: 'linux', arch: 'x86_64', currentVersion: '1.2.0', bundleType: 'appimage' });
    expect(outcome.kind === 'update' && outcome.update.version).toBe('1.3.0');
    await admin.expectClean();
  });
});
