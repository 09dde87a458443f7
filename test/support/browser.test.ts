/**
 * The watched page must actually see what the dashboard test relies on it to catch: console errors, uncaught errors,
 * failed requests and requests to another origin. Nothing leaves the machine: the "server" is a closed loopback port
 * and the "other host" another loopback address. Also the start of a browser test file: server and browser, both or neither.
 */
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { type Browser, chromium } from 'playwright-core';
import { describeInChromium, horizontalOverflow, launchBrowser, openWatchedPage, startServerAndBrowser } from './browser.ts';

const OWN = 'http://127.0.0.1:9';

describeInChromium(
  'the watched Chromium page',
  () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('records console errors and warnings, page errors, failed requests and foreign requests', async () => {
      const watched = await openWatchedPage(browser, OWN);
      try {
        await watched.page.setContent(`<p>hello</p><img src="${OWN}/own.png"><img src="http://127.0.0.2:9/foreign.png">`);
        await watched.page.evaluate(() => {
          console.log('fine');
          console.warn('careful');
          console.error('boom');
          setTimeout(() => {
            throw new Error('uncaught');
          });
        });
        await watched.page.waitForTimeout(500);
        const problems = watched.problems();
        expect(problems).toEqual(expect.arrayContaining([
          expect.stringMatching(/^console\.warning: careful/),
          expect.stringMatching(/^console\.error: boom/),
          expect.stringMatching(/^pageerror: uncaught/),
          expect.stringMatching(/^requestfailed: GET http:\/\/127\.0\.0\.1:9\/own\.png/),
          expect.stringMatching(/^foreign: GET http:\/\/127\.0\.0\.2:9\/foreign\.png/),
        ]));
        expect(problems.join('\n')).not.toContain('fine');
        await expect(watched.expectClean()).rejects.toThrow(/not clean/);
        watched.reset();
        await expect(watched.expectClean()).resolves.toBeUndefined();
      } finally {
        await watched.close();
      }
    });

    it('measures sideways overflow at 375 px and names what sticks out', async () => {
      const watched = await openWatchedPage(browser, OWN, { viewport: { width: 375, height: 600 } });
      try {
        await watched.page.setContent('<meta name="viewport" content="width=device-width"><div id="wide">x</div>');
        expect((await horizontalOverflow(watched.page)).scrollWidth).toBeLessThanOrEqual(375);
        await watched.page.addStyleTag({ content: '#wide { width: 600px }' });
        const overflow = await horizontalOverflow(watched.page);
        expect(overflow.scrollWidth).toBeGreaterThan(overflow.innerWidth);
        expect(overflow.widest.join(' ')).toContain('div#wide');
        await watched.expectClean();
      } finally {
        await watched.close();
      }
    });

    it('starts the server and the browser both or neither: a server that fails to start leaves no browser running', async () => {
      const launch = chromium.launch.bind(chromium);
      let launched: Browser | undefined;
      const spy = jest.spyOn(chromium, 'launch').mockImplementation(async (options) => (launched = await launch(options)));
      try {
        await expect(startServerAndBrowser({ env: { ADMIN_TOKEN: 'short' } })).rejects.toThrow(/config error: ADMIN_TOKEN/);
        expect(launched).toBeDefined();
        expect(launched!.isConnected()).toBe(false);
      } finally {
        spy.mockRestore();
      }
    }, 60_000);
  },
);
