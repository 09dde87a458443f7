/**
 * @module analytics/routes
 * `GET /admin/apps/{app}/analytics/{downloads,checks,adoption}`: reads only, so not audited. Each
 * first writes this instance's pending counts (one statement), so what was just counted here shows
 * up; counts pending on other instances appear after their next flush.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { findAppFor } from '../auth/access.ts';
import { type AdminEnv, principalOf, requireAdmin } from '../auth/authenticate.ts';
import { readQuery } from '../http/request.ts';
import { APP_PARAM, defineRoutes } from '../docs/registry.ts';
import { adoptionReport, checksReport, downloadsReport, resolveWindow, versionFilter } from './reports.ts';
import {
  adoptionQuerySchema,
  adoptionReportSchema,
  checksQuerySchema,
  checksReportSchema,
  DEFAULT_ADOPTION_DAYS,
  DEFAULT_WINDOW_DAYS,
  downloadsQuerySchema,
  downloadsReportSchema,
  MAX_WINDOW_DAYS,
} from '../protocol/analytics.ts';

export function analyticsRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db, analytics } = deps;
  const app = new Hono<AdminEnv>();

  const appOf = async (c: Context<AdminEnv>) => {
    const principal = principalOf(c);
    requireAdmin(principal);
    return findAppFor(db, principal, c.req.param('app') ?? '');
  };

  app.get('/downloads', async (c) => {
    const target = await appOf(c);
    const query = readQuery(c, downloadsQuerySchema);
    const window = resolveWindow(query, DEFAULT_WINDOW_DAYS);
    const version = versionFilter(query.version);
    await analytics.flush();
    return c.json(await downloadsReport(db, target, window, version));
  });

  app.get('/checks', async (c) => {
    const target = await appOf(c);
    const query = readQuery(c, checksQuerySchema);
    const window = resolveWindow(query, DEFAULT_WINDOW_DAYS);
    const filters = { version: versionFilter(query.version), platform: query.platform, channel: query.channel };
    await analytics.flush();
    return c.json(await checksReport(db, target, window, filters));
  });

  app.get('/adoption', async (c) => {
    const target = await appOf(c);
    const query = readQuery(c, adoptionQuerySchema);
    const window = resolveWindow(query, DEFAULT_ADOPTION_DAYS);
    await analytics.flush();
    return c.json(await adoptionReport(db, target, window, { platform: query.platform, channel: query.channel }));
  });

  return app;
}

const common = {
  tag: 'Analytics',
  auth: 'api-key' as const,
  access: 'admin scope (global, or scoped to this app)',
  params: APP_PARAM,
};
const errors = {
  400: { description: `a malformed day, version, platform or channel; \`from\` after \`to\`; or a window over ${MAX_WINDOW_DAYS} days` },
  403: { description: 'a CI key' },
  404: { description: 'no such app, or not visible to this key' },
};
const privacy =
  'No IP address, install id or user agent is stored: counts are kept per UTC day, and the country comes only from ' +
  'the hosting platform\'s header (`x-vercel-ip-country`, `cf-ipcountry`). Counts are buffered in memory and written ' +
  'every few seconds, so an instance that crashes loses at most one interval.';

export const analyticsRouteDocs = defineRoutes([
  {
    ...common,
    method: 'get',
    path: '/downloads',
    summary: 'Downloads per version per day',
    description:
      `Requests to \`GET /download/{app}/{version}/{file}\` (counted before the bytes or the redirect; HEAD, ` +
      `revalidations and resumed ranges are not counted). Default window: the last ${DEFAULT_WINDOW_DAYS} days. ` +
      'With `S3_PUBLIC_BASE_URL` set, updater manifests point straight at the bucket, so only downloads through ' +
      `\`/download\` (e.g. website links) are counted. ${privacy}`,
    query: downloadsQuerySchema,
    responses: { 200: { description: 'the report', schema: downloadsReportSchema }, ...errors },
  },
  {
    ...common,
    method: 'get',
    path: '/checks',
    summary: 'Update checks per day, version, platform and channel',
    description:
      `Every update check that named an existing app, by the version the client runs. \`installs\` counts each ` +
      'install id (`X-Install-Id` or `install_id`) once per UTC day on an instance: exact with one instance, an ' +
      `upper bound with several. Default window: the last ${DEFAULT_WINDOW_DAYS} days. ${privacy}`,
    query: checksQuerySchema,
    responses: { 200: { description: 'the report', schema: checksReportSchema }, ...errors },
  },
  {
    ...common,
    method: 'get',
    path: '/adoption',
    summary: 'Share of checking installs on each version',
    description:
      'Per version the client runs: distinct installs per UTC day, plus checks that sent no install id (each counts ' +
      `as one, since they cannot be told apart); shares add up to 1. Default window: the last ${DEFAULT_ADOPTION_DAYS} days. ${privacy}`,
    query: adoptionQuerySchema,
    responses: { 200: { description: 'the report', schema: adoptionReportSchema }, ...errors },
  },
]);
