/**
 * @module ui/routes
 * The admin dashboard, mounted at `/ui` in the control plane's own process (and its Vercel function):
 *
 *   POST/GET/DELETE /ui/session   sign in with an admin API key → session cookie + CSRF token (session.ts)
 *   GET /ui/assets/{file}         the bundled script and stylesheet (content-hashed names, cached for a year)
 *   GET /ui, /ui/{path}           the page shell; the client (./client) routes under /ui with the History API
 *
 * The page talks only to the admin and CI APIs, with the same authorisation as a key would have. Every /ui answer
 * carries a strict Content-Security-Policy: scripts and styles from this origin only, no framing, and connections only
 * to this origin (plus the S3/R2 bucket when uploads go straight to it).
 */
import { gzipSync } from 'node:zlib';
import { type Context, Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import type { Config } from '../config.ts';
import { defineRoutes, withPrefix } from '../docs/registry.ts';
import { errorJson } from '../http/errors.ts';
import { sessionRouteDocs, sessionRoutes } from './session.ts';

/** Where presigned uploads go: the bucket's origin as the S3 client addresses it. */
export function bucketOrigin(storage: Config['storage']): string | null {
  if (storage.driver !== 's3') return null;
  const endpoint = new URL(storage.endpoint);
  return storage.forcePathStyle ? endpoint.origin : `${endpoint.protocol}//${storage.bucket}.${endpoint.host}`;
}

export function contentSecurityPolicy(config: Readonly<Config>): string {
  const connect = ["'self'", bucketOrigin(config.storage)].filter(Boolean).join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The built script and stylesheet (~400 KB of source text), loaded on the first dashboard request, not at start. */
type Assets = typeof import('./dist/assets.ts');
let assets: Promise<Assets> | undefined;
const loadAssets = (): Promise<Assets> => (assets ??= import('./dist/assets.ts'));

/**
 * What the page says until the script renders the dashboard over it (rendering replaces #root's children): the only
 * text a user sees when the script never runs (a blocked or failed download, an old browser), instead of a blank page.
 */
export const BOOT_MESSAGE =
  'Loading the dashboard… If this stays, its script could not be loaded or run: reload the page, or use another browser. ' +
  'The admin API (<a href="/docs">/docs</a>) works without it.';

const shellHtml = ({ UI_SCRIPT, UI_STYLE }: Assets) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>tauri-release</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${UI_STYLE}">
<script type="module" src="${UI_SCRIPT}"></script>
</head>
<body>
<div id="root"><p class="boot-message">${BOOT_MESSAGE}</p></div>
<noscript><p>The tauri-release dashboard needs JavaScript. The admin API (<a href="/docs">/docs</a>) works without it.</p></noscript>
</body>
</html>
`;

export function uiRoutes(deps: AppDeps): Hono {
  const ui = new Hono();
  const csp = contentSecurityPolicy(deps.config);

  ui.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', csp);
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
  });
  ui.route('/session', sessionRoutes(deps));
  // Compressed once per instance, on first request: the script is ~300 KiB, ~90 KiB gzipped.
  const gzipped = new Map<string, Uint8Array<ArrayBuffer>>();
  ui.get('/assets/:file', async (c) => {
    const file = c.req.param('file');
    const asset = (await loadAssets()).UI_ASSETS[file];
    if (!asset) return errorJson(c, 404, 'not_found', 'no such dashboard asset; reload the page to get the current version');
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('Content-Type', asset.contentType);
    c.header('Vary', 'Accept-Encoding');
    if (!/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) return c.body(asset.body, 200);
    let body = gzipped.get(file);
    if (!body) {
      body = new Uint8Array(gzipSync(asset.body, { level: 9 }));
      gzipped.set(file, body);
    }
    c.header('Content-Encoding', 'gzip');
    return c.body(body, 200);
  });
  let shellText: string | undefined;
  const shell = async (c: Context) => {
    c.header('Cache-Control', 'no-store');
    return c.html((shellText ??= shellHtml(await loadAssets())));
  };
  ui.get('/', shell);
  ui.get('/:path{.+}', shell);
  return ui;
}

export const uiRouteDocs = defineRoutes([
  ...withPrefix('/session', sessionRouteDocs),
  {
    method: 'get',
    path: '/assets/{file}',
    tag: 'Dashboard',
    summary: 'A dashboard script or stylesheet',
    auth: 'none',
    access: 'public',
    params: { file: 'content-hashed file name, as the page links it' },
    responses: {
      200: { description: 'the asset, cacheable for a year', contentType: 'text/javascript' },
      404: { description: 'no such asset (an old page after a deploy: reload)' },
    },
  },
  {
    method: 'get',
    path: '/',
    tag: 'Dashboard',
    summary: 'The admin dashboard',
    description: 'Sign in with an admin API key; the page then uses the admin API with a session cookie.',
    auth: 'none',
    access: 'public (the data behind it needs a session)',
    responses: { 200: { description: 'the dashboard page', contentType: 'text/html' } },
  },
  {
    method: 'get',
    path: '/{path}',
    tag: 'Dashboard',
    summary: 'A dashboard page (client-side routes such as /ui/apps/{app})',
    auth: 'none',
    access: 'public (the data behind it needs a session)',
    params: { path: 'any page path under /ui' },
    responses: { 200: { description: 'the dashboard page', contentType: 'text/html' } },
  },
]);
