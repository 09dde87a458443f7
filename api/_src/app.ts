/**
 * @module app
 * Builds the Hono application from its dependencies. Nothing here opens connections or reads the
 * environment: `local.ts` (npm start), `index.ts` (Vercel) and the tests each pass their own.
 *
 *   GET  /update/{app}/{target}/{arch}/{current_version}   Tauri updater (hot path)
 *   GET  /{app}/update/{os}-{arch}/{current_version}       the same, seed URL form
 *   GET  /{app}/latest.json[?channel=]                     static manifest (also written to storage on release events)
 *   GET  /download/{app}/{version}/{file}                  artifact bytes (fs) or a redirect (S3)
 *   GET  /license, /license/file                           a licensed app's license: its state, an offline license file
 *   GET  /.well-known/tauri-release/{app}/license-keys.json  the public keys its offline license files are signed with
 *   GET  /download/{app}/latest/{platform}                 302 to the newest stable installer
 *   GET  /apps/{app}                                       the public download page (opt-in)
 *   /admin/*                                               admin API (Bearer key)
 *   POST /ci/token                                         GitHub Actions OIDC token → CI credential
 *   POST /github/webhook?app=                              GitHub `release` events (HMAC-signed) → sync that app now
 *   POST /billing/{integration}/webhook                    Stripe, Lemon Squeezy, Paddle events → licenses (billing/)
 *   GET|POST /claim/{token}                                a new license's key, revealed once to its buyer
 *   /ci/apps/{app}/releases/…, PUT /ci/uploads/{upload}    CI API: drafts, uploads, verification, publish
 *   /ui, /ui/session, /ui/assets/…                         admin dashboard (session cookie over the admin API)
 *   GET  /openapi.json, /docs                              API description
 *   GET  /, /healthz, /readyz, /health                     front door, liveness, readiness (service/routes.ts)
 *
 * Update checks whose app is cached are answered on node:http before this app sees them (listener.ts and
 * update/node-listener.ts, the same check.ts as the update routes): middleware added here does not run for them.
 */
import { Hono } from 'hono';
import { adminRouteDocs, adminRoutes } from './admin/routes.ts';
import { billingWebhookRouteDocs, billingWebhookRoutes, claimRouteDocs, claimRoutes } from './billing/routes.ts';
import { ciRouteDocs, ciRoutes } from './ci/routes.ts';
import { docsRouteDocs, docsRoutes } from './docs/routes.ts';
import { publicRouteDocs } from './docs/public-routes.ts';
import { type RouteDoc, withPrefix } from './docs/registry.ts';
import { downloadRoutes } from './download/routes.ts';
import { allowedMethods } from './http/allowed-methods.ts';
import { downloadPageRoutes } from './download/page.ts';
import { errorJson, errorResponse } from './http/errors.ts';
import { answerRefusedUploads } from './http/refused-upload.ts';
import { storablePath } from './http/storable-text.ts';
import { githubWebhookRouteDocs, githubWebhookRoutes } from './github/routes.ts';
import { licenseKeyListRouteDocs, licenseKeyListRoutes } from './licensing/key-list-routes.ts';
import { licenseClientRouteDocs, licenseClientRoutes } from './licensing/license-routes.ts';
import { manifestRouteDocs, manifestRoutes } from './manifest/routes.ts';
import { serviceRouteDocs, serviceRoutes } from './service/routes.ts';
import { authFailureLimit, publicRateLimit } from './rate-limit/middleware.ts';
import { uiRouteDocs, uiRoutes } from './ui/routes.ts';
import { updateRoutes } from './update/routes.ts';
import type { AppDeps } from './deps.ts';

const LICENSE_KEYS_PREFIX = '/.well-known/tauri-release';

/** Every mounted route, as /openapi.json and /docs describe it (docs/openapi.test.ts fails for a route without one). */
export const allRouteDocs: readonly RouteDoc[] = [
  ...publicRouteDocs,
  ...manifestRouteDocs,
  ...withPrefix('/license', licenseClientRouteDocs),
  ...withPrefix(LICENSE_KEYS_PREFIX, licenseKeyListRouteDocs),
  ...adminRouteDocs,
  ...withPrefix('/ci', ciRouteDocs),
  ...withPrefix('/github', githubWebhookRouteDocs),
  ...withPrefix('/billing', billingWebhookRouteDocs),
  ...withPrefix('/claim', claimRouteDocs),
  ...withPrefix('/ui', uiRouteDocs),
  ...serviceRouteDocs,
  ...docsRouteDocs,
];

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(errorResponse);
  const methodsOf = allowedMethods(allRouteDocs);
  app.notFound((c) => {
    const allow = methodsOf(c.req.path);
    if (allow.length === 0) return errorJson(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`);
    c.header('Allow', allow.join(', '));
    return errorJson(c, 405, 'method_not_allowed', `${c.req.path} answers ${allow.join(', ')}, not ${c.req.method}`);
  });
  // First, so that every refusal of an upload, a bad key or path included, lets the client finish sending and read it.
  for (const path of ['/admin/apps/:app/releases/:release/artifacts', '/ci/uploads/:upload']) app.use(path, answerRefusedUploads);
  // Path parameters never reach a query with text the database cannot store (bodies and queries: http/request.ts).
  app.use('*', storablePath(allRouteDocs.map((route) => route.path)));

  // Update checks count themselves (update/check.ts), since most never reach Hono.
  const perAddress = publicRateLimit(deps.rateLimits);
  for (const path of ['/', '/:app/latest.json', '/download/*', '/apps/*', '/license', '/license/*', `${LICENSE_KEYS_PREFIX}/*`, '/docs', '/openapi.json', '/ci/token', '/ui/session', '/github/*', '/billing/*', '/claim/*']) app.use(path, perAddress);
  // Unknown API keys, refused OIDC tokens and failed sign-ins count against the address and the key's prefix.
  app.use('/ci/token', authFailureLimit(deps.rateLimits, [401, 403]));
  for (const path of ['/admin/*', '/ci/apps/*', '/ci/uploads/*', '/ui/session']) app.use(path, authFailureLimit(deps.rateLimits));

  app.route('/', serviceRoutes(deps));
  app.route('/', updateRoutes(deps));
  app.route('/', manifestRoutes(deps));
  app.route('/download', downloadRoutes(deps));
  app.route('/license', licenseClientRoutes(deps));
  app.route(LICENSE_KEYS_PREFIX, licenseKeyListRoutes(deps));
  app.route('/apps', downloadPageRoutes(deps));
  app.route('/admin', adminRoutes(deps));
  app.route('/ci', ciRoutes(deps));
  app.route('/github', githubWebhookRoutes(deps));
  app.route('/billing', billingWebhookRoutes(deps));
  app.route('/claim', claimRoutes(deps));
  app.route('/ui', uiRoutes(deps));
  app.route('/', docsRoutes(allRouteDocs));
  return app;
}
