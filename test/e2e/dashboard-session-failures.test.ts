/**
 * The dashboard's session when the server does not answer, in Chromium against the server as `npm start` runs it:
 * - signing out while the server is unreachable says it did not happen and stays signed in (the cookie still works,
 *   so showing the sign-in page would leave a live session behind); once the server answers, sign-out ends it;
 * - a page load whose session check fails shows why and a "Try again" button that recovers without a reload.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { describeInChromium, openWatchedPage, signIn, startServerAndBrowser, stopServerAndBrowser, visit } from '../support/browser.ts';
import type { RunningServer } from '../support/server.ts';

describeInChromium(
  `the dashboard's session when the server fails`,
  () => {
    let server: RunningServer;
    let browser: Browser;

    beforeAll(async () => {
      ({ server, browser } = await startServerAndBrowser({ env: { RATE_LIMITS: 'off' } }));
    }, 120_000);

    afterAll(() => stopServerAndBrowser({ server, browser }), 30_000);

    it('a sign-out the server never received says so, keeps the page signed in, and works once the server answers', async () => {
      const watched = await openWatchedPage(browser, server.url, { allow: [/ERR_CONNECTION_REFUSED|net::ERR_FAILED/] });
      try {
        const { page, context } = watched;
        await signIn(page, server);
        await page.route('**/ui/session', (route) => (route.request().method() === 'DELETE' ? route.abort('connectionrefused') : route.continue()));
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByText(/^Not signed out: the server could not be reached/).waitFor();
        await expect(page.getByLabel('Admin API key').count()).resolves.toBe(0);
        // The cookie is still a live session: the server says so.
        const still = await context.request.get(`${server.url}/ui/session`);
        expect(still.status()).toBe(200);

        await page.unroute('**/ui/session');
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByLabel('Admin API key').waitFor();
        expect((await context.request.get(`${server.url}/ui/session`)).status()).toBe(204);
      } finally {
        await watched.close();
      }
    });

    it('a failed session check on load offers "Try again", which signs the page in once the server answers', async () => {
      const watched = await openWatchedPage(browser, server.url, { allow: [/503 \(Service Unavailable\)/] });
      try {
        const { page } = watched;
        await signIn(page, server);
        await page.route('**/ui/session', (route) =>
          route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"db_unavailable","message":"the database is unavailable; try again shortly"}}' }),
        );
        await visit(page, `${server.url}/ui`);
        await page.getByRole('alert').filter({ hasText: 'the database is unavailable' }).waitFor();
        await page.unroute('**/ui/session');
        await page.getByRole('button', { name: 'Try again' }).click();
        await page.getByRole('button', { name: 'Sign out' }).waitFor();
      } finally {
        await watched.close();
      }
    });
  },
);
