/**
 * The rollout percentage field of a draft, in Chromium against the server as `npm start` runs it: a cleared field is
 * not 0% (Number('') is 0: clearing the field to retype snapped it to "offered to no one", saved as such), and a number
 * above 100 shows the 100 that is kept rather than the 150 typed.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { describeInChromium, openWatchedPage, settled, signIn, startServerAndBrowser, stopServerAndBrowser, visit } from '../support/browser.ts';
import { expectStatus, jsonBody, type RunningServer } from '../support/server.ts';

const APP = 'rollout-app';

describeInChromium(
  `the dashboard's rollout field`,
  () => {
    let server: RunningServer;
    let browser: Browser;

    beforeAll(async () => {
      ({ server, browser } = await startServerAndBrowser({ env: { RATE_LIMITS: 'off' } }));
      await expectStatus(await server.admin('/admin/apps', jsonBody('POST', { slug: APP, name: 'Rollout App' })), 201);
      await expectStatus(await server.admin(`/admin/apps/${APP}/releases`, jsonBody('POST', { version: '1.0.0' })), 201);
    }, 120_000);

    afterAll(() => stopServerAndBrowser({ server, browser }), 30_000);

    it('a cleared field keeps the rollout it had, and 150 shows as the 100 that is saved', async () => {
      const watched = await openWatchedPage(browser, server.url);
      try {
        const { page } = watched;
        await signIn(page, server);
        await visit(page, `${server.url}/ui/apps/${APP}/releases/1.0.0`);
        await settled(page);
        const field = page.getByRole('spinbutton', { name: /Rollout percentage/ });
        await field.fill('40');
        await field.fill('');
        await field.blur();
        await expect(field.inputValue()).resolves.toBe('40');
        await page.getByRole('button', { name: 'Save' }).click();
        // The form is mounted again from the saved draft once the save answers: typing before that is typed into the
        // form that goes away (the page may look settled before the save has even started).
        await page.getByText('Draft 1.0.0 saved').waitFor();
        await settled(page);
        const saved = await expectStatus(await server.admin(`/admin/apps/${APP}/releases/1.0.0`), 200);
        expect(saved.rollout_percent).toBe(40);

        await field.fill('150');
        await expect(field.inputValue()).resolves.toBe('100');
        await watched.expectClean();
      } finally {
        await watched.close();
      }
    });
  },
);
