/**
 * @module admin/routes
 * The admin API, mounted at `/admin`; every route needs `Authorization: Bearer <api key>`.
 *
 *   /apps                                        apps.ts
 *   /apps/:app/releases                          releases.ts (+ release-policy.ts: yank)
 *   /apps/:app/channels                          channels.ts (release channels and what each follows)
 *   /apps/:app/releases/:release/artifacts       artifacts.ts
 *   /apps/:app/publishers                        publishers.ts (trusted publishing, GitHub OIDC)
 *   /apps/:app/webhooks                          ../webhooks/routes.ts (release event webhooks)
 *   /apps/:app/analytics                         ../analytics/routes.ts (downloads, checks, adoption)
 *   /apps/:app/source                            ../github/routes.ts (storage or GitHub Releases, sync report)
 *   /apps/:app/licensing                         licensing.ts (mode, policies, what releases/channels require, file-key rotation)
 *   /apps/:app/licenses                          licenses.ts (licenses, keys, machines)
 *   /apps/:app/integrations                      ../billing/routes.ts (payment providers → licenses)
 *   /keys                                        api-keys.ts
 *   /audit                                       audit-routes.ts
 *
 * For every router mounted here:
 * - read JSON bodies with `readJson(c, schema)` and query strings with `readQuery(c, schema)` from
 *   `./request.ts` (strict Content-Type, 1 MiB limit, malformed JSON → 400), never `c.req.json()`;
 * - export its `RouteDoc`s (`defineRoutes` in `../docs/registry.ts`) and add them to `adminRouteDocs`
 *   below: `api/_src/docs/openapi.test.ts` fails for any mounted route without docs.
 */
import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { analyticsRouteDocs, analyticsRoutes } from '../analytics/routes.ts';
import { type RouteDoc, withPrefix } from '../docs/registry.ts';
import { apiKeyRouteDocs, apiKeyRoutes } from './api-keys.ts';
import { appRouteDocs, appRoutes } from './apps.ts';
import { artifactRouteDocs, artifactRoutes } from './artifacts.ts';
import { auditRouteDocs, auditRoutes } from './audit-routes.ts';
import { type AdminEnv, apiKeyAuth } from '../auth/authenticate.ts';
import { publisherRouteDocs, publisherRoutes } from './publishers.ts';
import { releaseRouteDocs, releaseRoutes } from './releases.ts';
import { channelRouteDocs, channelRoutes } from './channels.ts';
import { releasePolicyRouteDocs, releasePolicyRoutes } from './release-policy.ts';
import { webhookRouteDocs, webhookRoutes } from '../webhooks/routes.ts';
import { sourceRouteDocs, sourceRoutes } from '../github/routes.ts';
import { licensingRouteDocs, licensingRoutes } from './licensing.ts';
import { licenseRouteDocs, licenseRoutes } from './licenses.ts';
import { integrationRouteDocs, integrationRoutes } from '../billing/routes.ts';

export const ADMIN_PREFIX = '/admin';

export function adminRoutes(deps: AppDeps): Hono<AdminEnv> {
  const admin = new Hono<AdminEnv>();
  admin.use('*', apiKeyAuth(deps.db, deps.config));
  admin.route('/apps', appRoutes(deps));
  admin.route('/apps/:app/releases/:release/artifacts', artifactRoutes(deps));
  admin.route('/apps/:app/releases', releasePolicyRoutes(deps));
  admin.route('/apps/:app/releases', releaseRoutes(deps));
  admin.route('/apps/:app/channels', channelRoutes(deps));
  admin.route('/apps/:app/publishers', publisherRoutes(deps));
  admin.route('/apps/:app/webhooks', webhookRoutes(deps));
  admin.route('/apps/:app/analytics', analyticsRoutes(deps));
  admin.route('/apps/:app/source', sourceRoutes(deps));
  admin.route('/apps/:app/licensing', licensingRoutes(deps));
  admin.route('/apps/:app/licenses', licenseRoutes(deps));
  admin.route('/apps/:app/integrations', integrationRoutes(deps));
  admin.route('/keys', apiKeyRoutes(deps));
  admin.route('/audit', auditRoutes(deps));
  return admin;
}

/** Every admin route's docs, with full paths, in the order `/docs` lists them. */
export const adminRouteDocs: readonly RouteDoc[] = [
  ...withPrefix(`${ADMIN_PREFIX}/apps`, appRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/apps/{app}/releases`, releaseRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/apps/{app}/releases`, releasePolicyRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/apps/{app}/channels`, channelRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/apps/{app}/releases/{release}/artifacts`, artifactRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/apps/{app}/publishers`, publisherRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/apps/{app}/webhooks`, webhookRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/apps/{app}/analytics`, analyticsRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/apps/{app}/source`, sourceRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/apps/{app}/licensing`, licensingRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/apps/{app}/licenses`, licenseRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/apps/{app}/integrations`, integrationRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/keys`, apiKeyRouteDocs),
  ...withPrefix(`${ADMIN_PREFIX}/audit`, auditRouteDocs),
];
