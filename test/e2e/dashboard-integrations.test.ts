/**
 * The dashboard's payment integrations (Licensing tab) and public download switches (Settings) in Chromium against
 * the real server: an admin connects Stripe with a signing secret and two prices mapped to policies, sees the webhook
 * URL to paste into Stripe (a purchase signed with that secret then creates a license), rotates the secret, drops a
 * price and switches it off, deletes it after a confirmation; the secret is never on the page. Both app switches
 * change what the API holds and what /apps/{slug} answers. At 375 px nothing scrolls sideways. No console error, no
 * failed request.
 *
 * UPDATE_SCREENSHOTS=1 also writes docs/screenshots/integrations.png, mobile-integrations.png and
 * public-downloads.png (the README's Dashboard section).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { newPurchase, purchased, signAs } from '../../api/_src/billing/testing.ts';
import { SIGNATURE_HEADERS } from '../../api/_src/billing/signatures.ts';
import { TEST_SECRETS_KEY } from '../../api/_src/licensing/testing.ts';
import { describeInChromium, horizontalOverflow, openWatchedPage, screenshot, settled, signIn, startServerAndBrowser, stopServerAndBrowser, visit, type WatchedPage } from '../support/browser.ts';
import { expectStatus, jsonBody, type RunningServer } from '../support/server.ts';

const APP = 'shop-app';
const FIRST_SECRET = 'whsec_dashboardFirst0123';
const SECOND_SECRET = 'whsec_dashboardSecond0123';

/** A Stripe purchase of `price` signed with `secret`, as Stripe would post it to `webhookUrl`. */
function deliverPurchase(webhookUrl: string, secret: string, price: string): Promise<Response> {
  const body = purchased(newPurchase('stripe', price), new Date());
  const signature = signAs('stripe', secret, body, Math.floor(Date.now() / 1000));
  return fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADERS.stripe]: signature }, body });
}

describeInChromium(`the dashboard's payment integrations and download switches`, () => {
  let server: RunningServer;
  let browser: Browser;
  let admin: WatchedPage;
  const policyIds: Record<string, string> = {};
  let webhookUrl = '';

  const integrations = async () => (await expectStatus(await server.admin(`/admin/apps/${APP}/integrations`), 200)).integrations as Record<string, unknown>[];
  const appView = async () => expectStatus(await server.admin(`/admin/apps/${APP}`), 200);

  beforeAll(async () => {
    // A generous start: the suite may share a busy machine.
    ({ server, browser } = await startServerAndBrowser({ env: { SECRETS_KEY: TEST_SECRETS_KEY, RATE_LIMITS: 'off' }, startTimeoutMs: 180_000 }));
    await expectStatus(await server.admin('/admin/apps', jsonBody('POST', { slug: APP, name: 'Shop App' })), 201);
    for (const [name, days] of [['Yearly', 365], ['Monthly', 31]] as const) {
      const policy = await expectStatus(await server.admin(`/admin/apps/${APP}/licensing/policies`, jsonBody('POST', { name, duration_days: days })), 201);
      policyIds[name] = policy.id;
    }
    admin = await openWatchedPage(browser, server.url);
    await signIn(admin.page, server);
  }, 300_000);

  afterAll(() => stopServerAndBrowser({ server, browser }), 30_000);

  it('connects Stripe: the form checks the secret, then shows the webhook URL, and a purchase signed with the secret creates a license', async () => {
    const { page } = admin;
    await visit(page, `${server.url}/ui/apps/${APP}`);
    await page.getByRole('navigation', { name: 'App sections' }).getByRole('link', { name: 'Licensing' }).click();
    await settled(page);
    const card = page.getByRole('region', { name: 'Payment integrations' });
    await card.getByText('No payment provider is connected').waitFor();
    await card.getByRole('button', { name: 'Connect a provider' }).click();

    const form = page.getByRole('form', { name: 'New payment integration' });
    await form.getByRole('combobox', { name: 'Provider' }).selectOption('stripe');
    const secret = form.getByLabel('Signing secret');
    expect(await secret.getAttribute('type')).toBe('password');
    await secret.fill('whsec');
    await form.getByRole('group', { name: 'Price 1' }).getByLabel('Price id').fill('price_yearly');
    await form.getByRole('group', { name: 'Price 1' }).getByRole('combobox', { name: 'Policy' }).selectOption({ label: 'Yearly' });
    await form.getByRole('button', { name: 'Add a price' }).click();
    await form.getByRole('group', { name: 'Price 2' }).getByLabel('Price id').fill('price_monthly');
    await form.getByRole('button', { name: 'Connect provider' }).click();
    await form.getByText(/at least 6 characters/).waitFor();
    await form.getByText('Choose the policy a purchase of price_monthly gets.').waitFor();
    expect(await integrations()).toEqual([]);

    await secret.fill(FIRST_SECRET);
    await form.getByRole('group', { name: 'Price 2' }).getByRole('combobox', { name: 'Policy' }).selectOption({ label: 'Monthly' });
    await form.getByLabel('Description').fill('Live mode');
    await form.getByRole('button', { name: 'Connect provider' }).click();
    await card.getByText('Stripe is connected.').waitFor();

    const [created] = await integrations();
    expect(created).toMatchObject({ provider: 'stripe', description: 'Live mode', active: true, prices: { price_yearly: policyIds.Yearly, price_monthly: policyIds.Monthly } });
    webhookUrl = created!.webhook_url as string;
    expect(webhookUrl).toBe(`${server.url}/billing/${created!.id}/webhook`);
    const item = card.getByRole('listitem', { name: 'Stripe · Live mode' });
    await item.getByText(webhookUrl).waitFor();
    await item.getByText('price_monthly').waitFor();
    await expect(item.textContent()).resolves.toContain('→ Monthly');
    await expect(card.getByRole('status').getByText(webhookUrl).count()).resolves.toBe(1);
    expect(await page.content()).not.toContain(FIRST_SECRET);
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'integrations', { fullPage: false });

    expect(await expectStatus(await deliverPurchase(webhookUrl, FIRST_SECRET, 'price_yearly'), 200)).toMatchObject({ outcome: 'created' });
    await admin.expectClean();
  });

  it('edits it: rotates the secret, drops a price, changes the description, then switches it off', async () => {
    const { page } = admin;
    const card = page.getByRole('region', { name: 'Payment integrations' });
    await card.getByRole('button', { name: 'Edit Stripe · Live mode' }).click();
    const form = page.getByRole('form', { name: 'Edit Stripe integration' });
    await expect(form.getByLabel('New signing secret').inputValue()).resolves.toBe('');
    await expect(form.getByRole('group', { name: 'Price 2' }).getByLabel('Price id').inputValue()).resolves.toBe('price_monthly');
    await form.getByLabel('New signing secret').fill(SECOND_SECRET);
    await form.getByRole('button', { name: 'Remove price 2' }).click();
    await form.getByLabel('Description').fill('Live mode, yearly only');
    await form.getByRole('button', { name: 'Save integration' }).click();
    const item = card.getByRole('listitem', { name: 'Stripe · Live mode, yearly only' });
    await item.waitFor();
    await expect(item.getByText('price_monthly').count()).resolves.toBe(0);
    const [edited] = await integrations();
    expect(edited).toMatchObject({ description: 'Live mode, yearly only', prices: { price_yearly: policyIds.Yearly }, active: true });
    expect(Object.keys(edited!.prices as object)).toEqual(['price_yearly']);
    expect((await deliverPurchase(webhookUrl, FIRST_SECRET, 'price_yearly')).status).toBe(401);
    expect(await expectStatus(await deliverPurchase(webhookUrl, SECOND_SECRET, 'price_yearly'), 200)).toMatchObject({ outcome: 'created' });

    await item.getByRole('button', { name: 'Edit Stripe · Live mode, yearly only' }).click();
    await form.getByLabel('Active').uncheck();
    await form.getByRole('button', { name: 'Save integration' }).click();
    await item.getByText('Inactive').waitFor();
    expect((await integrations())[0]).toMatchObject({ active: false });
    expect((await deliverPurchase(webhookUrl, SECOND_SECRET, 'price_yearly')).status).toBe(404);
    expect(await page.content()).not.toContain(SECOND_SECRET);
    await admin.expectClean();
  });

  it('deletes it after a confirmation', async () => {
    const { page } = admin;
    const card = page.getByRole('region', { name: 'Payment integrations' });
    await card.getByRole('button', { name: 'Delete Stripe · Live mode, yearly only' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Stripe · Live mode, yearly only?' });
    await expect(dialog.textContent()).resolves.toContain('Licenses it created stay');
    await dialog.getByRole('button', { name: 'Delete integration' }).click();
    await card.getByText('No payment provider is connected').waitFor();
    expect(await integrations()).toEqual([]);
    await admin.expectClean();
  });

  it('switches the public download page and open installers in Settings, as the API then holds them', async () => {
    const { page } = admin;
    await visit(page, `${server.url}/ui/apps/${APP}/settings`);
    const card = page.getByRole('region', { name: 'Public downloads' });
    const downloadPage = card.getByRole('switch', { name: 'Public download page' });
    const installers = card.getByRole('switch', { name: 'Installers open to everyone' });
    expect(await downloadPage.isChecked()).toBe(false);
    await card.getByText('This app is open, so its installers are public either way.').waitFor();

    await downloadPage.check();
    const link = card.getByRole('link', { name: `${server.url}/apps/${APP}` });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(`${server.url}/apps/${APP}`);
    expect(await appView()).toMatchObject({ download_page: true, public_installers: false });
    expect((await fetch(`${server.url}/apps/${APP}`)).status).toBe(200);

    await installers.check();
    await page.waitForFunction(() => document.querySelectorAll('[aria-busy="true"], input[role="switch"]:disabled').length === 0);
    expect(await appView()).toMatchObject({ download_page: true, public_installers: true });
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'public-downloads', { fullPage: false });

    await downloadPage.uncheck();
    await link.waitFor({ state: 'detached' });
    expect(await appView()).toMatchObject({ download_page: false, public_installers: true });
    expect((await fetch(`${server.url}/apps/${APP}`)).status).toBe(404);
    await visit(page, `${server.url}/ui/apps/${APP}/settings`);
    expect(await page.getByRole('switch', { name: 'Installers open to everyone' }).isChecked()).toBe(true);
    expect(await page.getByRole('switch', { name: 'Public download page' }).isChecked()).toBe(false);
    await admin.expectClean();
  });

  it('the integrations view fits a 375 px screen without sideways scrolling', async () => {
    await expectStatus(
      await server.admin(`/admin/apps/${APP}/integrations`, jsonBody('POST', { provider: 'paddle', signing_secret: 'pdl_ntfset_mobile0123', prices: { pri_01hv8yearly: policyIds.Yearly }, description: 'Live account' })),
      201,
    );
    const mobile = await openWatchedPage(browser, server.url, { viewport: { width: 375, height: 812 } });
    try {
      const { page } = mobile;
      await signIn(page, server);
      await visit(page, `${server.url}/ui/apps/${APP}/licensing`);
      const card = page.getByRole('region', { name: 'Payment integrations' });
      await card.getByRole('listitem', { name: 'Paddle Billing · Live account' }).waitFor();
      const overflowing: string[] = [];
      const measure = async (where: string) => {
        const { scrollWidth, innerWidth, widest } = await horizontalOverflow(page);
        if (scrollWidth > innerWidth) overflowing.push(`${where}: scrollWidth ${scrollWidth} > ${innerWidth} (${widest.join(', ')})`);
      };
      await measure('the integrations list');
      await card.scrollIntoViewIfNeeded();
      await screenshot(page, 'mobile-integrations', { fullPage: false });
      await card.getByRole('button', { name: 'Connect a provider' }).click();
      await page.getByRole('form', { name: 'New payment integration' }).getByRole('button', { name: 'Add a price' }).click();
      await measure('the connect form');
      await visit(page, `${server.url}/ui/apps/${APP}/settings`);
      await measure('settings');
      expect(overflowing).toEqual([]);
      await mobile.expectClean();
    } finally {
      await mobile.close();
    }
  }, 120_000);
});
