/**
 * @module browser
 * Debian's Chromium driven through playwright-core, for the dashboard's end-to-end tests: one headless browser per
 * test file, a fresh context (its own cookies and storage, no profile on disk) per test, and a page that watches
 * everything a user would not see but a test should: console errors and warnings, uncaught page errors, failed
 * requests, and any request to a host other than the server. `expectClean()` fails with the list.
 *
 * Screenshots for docs/screenshots/ are taken only with UPDATE_SCREENSHOTS=1, so ordinary runs leave the tree alone.
 */
import { accessSync, constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from '@jest/globals';
import { type Browser, type BrowserContext, chromium, type ConsoleMessage, type Page, type Request } from 'playwright-core';
import { type RunningServer, startServer, type StartServerOptions } from './server.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

/** Whether Debian's Chromium is installed (.ci/apt-packages.txt lists it); the dashboard tests skip, loudly, without it. */
export function hasChromium(): boolean {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `describe` for a file's browser tests; without Chromium, `describe.skip` with a title that says why and what to install. */
export function describeInChromium(title: string, tests: () => void): void {
  if (hasChromium()) describe(title, tests);
  else describe.skip(`${title} — SKIPPED: ${CHROMIUM_PATH} is not installed (Debian package chromium, see .ci/apt-packages.txt)`, tests);
}

export interface ServerAndBrowser {
  server: RunningServer;
  browser: Browser;
}

/**
 * The server as `npm start` runs it (`startServer(options)`) and Chromium, started side by side for a file's
 * `beforeAll`: both or neither, so a failed start leaves no browser or server process behind for jest to wait on.
 */
export async function startServerAndBrowser(options: StartServerOptions = {}): Promise<ServerAndBrowser> {
  const [server, browser] = await Promise.allSettled([startServer(options), launchBrowser()]);
  if (server.status === 'fulfilled' && browser.status === 'fulfilled') return { server: server.value, browser: browser.value };
  await stopServerAndBrowser({
    server: server.status === 'fulfilled' ? server.value : undefined,
    browser: browser.status === 'fulfilled' ? browser.value : undefined,
  });
  throw server.status === 'rejected' ? server.reason : (browser as PromiseRejectedResult).reason;
}

/** Stops what `startServerAndBrowser` started (the browser first, so no page is left asking a stopped server); either may be missing. */
export async function stopServerAndBrowser(started: Partial<ServerAndBrowser>): Promise<void> {
  await started.browser?.close();
  await started.server?.stop();
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      // Nothing but the page under test may talk to the network: no updates, sync, safe browsing or field trials.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-extensions',
      '--disable-domain-reliability',
      '--disable-client-side-phishing-detection',
      '--no-first-run',
      '--no-default-browser-check',
      '--metrics-recording-only',
      '--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions',
    ],
  });
}

export interface WatchOptions {
  viewport?: { width: number; height: number };
  /** Problems matching one of these are expected (e.g. a deliberate 401 after sign-out) and not reported. */
  allow?: RegExp[];
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Everything recorded so far, one line each: `console.error: …`, `pageerror: …`, `requestfailed: …`, `foreign: …`. */
  problems(): string[];
  /** Resolves once no request of the page has been in flight for `quietMs` (answers still arriving get recorded). */
  idle(quietMs?: number): Promise<void>;
  /** Waits until idle, then throws with every recorded problem (and the page's URL it happened on) unless there were none. */
  expectClean(): Promise<void>;
  /** Forgets what was recorded (after a step that was expected to produce one, checked by the test itself). */
  reset(): void;
  allow(pattern: RegExp): void;
  close(): Promise<void>;
}

/**
 * A new context (fresh cookies and storage) and page, watched. `origin` is the server's: requests to any other
 * origin are recorded (data: and blob: URLs are the page's own bytes and are fine).
 */
export async function openWatchedPage(browser: Browser, origin: string, options: WatchOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 860 },
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const own = new URL(origin).origin;
  const allowed = [...(options.allow ?? [])];
  let recorded: string[] = [];
  const record = (line: string) => {
    if (!allowed.some((pattern) => pattern.test(line))) recorded.push(line);
  };

  let inflight = 0;
  let lastActivity = Date.now();
  const started = () => { inflight++; lastActivity = Date.now(); };
  const ended = () => { inflight = Math.max(0, inflight - 1); lastActivity = Date.now(); };
  page.on('request', started);
  page.on('requestfinished', ended);
  page.on('requestfailed', ended);
  const idle = async (quietMs = 300) => {
    const deadline = Date.now() + 20_000;
    while (inflight > 0 || Date.now() - lastActivity < quietMs) {
      if (Date.now() > deadline) throw new Error(`the page still had ${inflight} request(s) in flight after 20 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  page.on('console', (message: ConsoleMessage) => {
    const type = message.type();
    if (type === 'error' || type === 'warning') {
      const at = message.location().url;
      record(`console.${type}: ${message.text()}${at ? ` (${at})` : ''} on ${page.url()}`);
    }
  });
  page.on('pageerror', (error: Error) => record(`pageerror: ${error.message} on ${page.url()}`));
  page.on('requestfailed', (request: Request) => {
    // A fetch still in flight when the test loads another URL is cancelled by the navigation, not failed.
    if (request.failure()?.errorText === 'net::ERR_ABORTED' && request.resourceType() !== 'document') return;
    record(`requestfailed: ${request.method()} ${request.url()}: ${request.failure()?.errorText ?? 'failed'} on ${page.url()}`);
  });
  // Context-wide, so service workers or popups could not slip a request past it either.
  context.on('request', (request: Request) => {
    const url = request.url();
    if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return;
    let requestOrigin: string;
    try {
      requestOrigin = new URL(url).origin;
    } catch {
      requestOrigin = url;
    }
    if (requestOrigin !== own) record(`foreign: ${request.method()} ${url} (the server is ${own}) on ${page.url()}`);
  });

  return {
    page,
    context,
    problems: () => [...recorded],
    idle,
    async expectClean() {
      await idle();
      if (recorded.length > 0) {
        throw new Error(`the dashboard was not clean (${recorded.length} problem${recorded.length === 1 ? '' : 's'}):\n  ${recorded.join('\n  ')}`);
      }
    },
    reset() {
      recorded = [];
    },
    allow(pattern: RegExp) {
      allowed.push(pattern);
    },
    close: () => context.close(),
  };
}

/** `UPDATE_SCREENSHOTS=1 npm test -- test/e2e/dashboard` refreshes docs/screenshots/*.png. */
export const updatingScreenshots = process.env.UPDATE_SCREENSHOTS === '1';

/** Saves docs/screenshots/<name>.png (the whole page) when refreshing screenshots; otherwise does nothing. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  if (!updatingScreenshots) return;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  // Fonts and the last render settle before the picture; animations are off (reducedMotion) and the caret hidden.
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: options.fullPage ?? true, animations: 'disabled', caret: 'hide' });
}

/** Whether the document scrolls sideways (a 375 px layout must not). */
export async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number; widest: string[] }> {
  return page.evaluate(() => {
    const innerWidth = window.innerWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    // Names the elements that stick out, so a failure says where to look.
    const widest: string[] = [];
    if (scrollWidth > innerWidth) {
      for (const element of Array.from(document.body.querySelectorAll('*'))) {
        const rect = element.getBoundingClientRect();
        if (rect.right > innerWidth + 0.5 && widest.length < 8) {
          const el = element as HTMLElement;
          widest.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} right=${Math.round(rect.right)}`);
        }
      }
    }
    return { scrollWidth, innerWidth, widest };
  });
}

/** Waits until the dashboard page has rendered and nothing on it is loading. */
export async function settled(page: Page): Promise<void> {
  await page.locator('main').first().waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.loading, [aria-busy="true"]').length === 0, undefined, { timeout: 20_000 });
}

/** Opens `url` and waits until it has settled. */
export async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await settled(page);
}

/** Signs in to the dashboard at `server.url` with its admin key, and waits for the signed-in page. */
export async function signIn(page: Page, server: { url: string; adminToken: string }): Promise<void> {
  await visit(page, `${server.url}/ui`);
  await page.getByLabel('Admin API key').fill(server.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
