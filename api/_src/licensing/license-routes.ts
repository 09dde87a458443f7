/**
 * @module licensing/license-routes
 * What a licensed app's installs may ask about their own license, with the header the update check takes
 * (`Authorization: License <key>`, or `Bearer <key>`; never a key in the URL):
 *
 *   GET /license[?channel=]        its state (license-state.ts): expiry, cutoff, the newest version it may have,
 *                                  machines, and what renewing would unlock; reads only
 *   GET /license/file[?channel=]   an offline license file (license-file.ts), bound to the `X-Install-Id` when sent
 *                                  (which then takes one of the license's installs, as a check would)
 *
 * The key names the app. Refusals are the gate's (licensing/gate.ts), with the check's codes: 401
 * `license_required`/`license_invalid`/`license_unknown`, 403 `license_suspended`/`license_revoked`/
 * `license_expired`/`install_id_required`/`machine_limit_reached`. Every answer is `private, no-store`.
 */
import { type Context, Hono } from 'hono';
import * as z from 'zod';
import type { AppDeps } from '../deps.ts';
import { defineRoutes } from '../docs/registry.ts';
import { badRequest, errorResponse, notFound } from '../http/errors.ts';
import { DEFAULT_CHANNEL, invalidQueriedChannel, QUERIED_CHANNEL_PATTERN } from '../protocol/channels.ts';
import { licenseStateSchema } from '../protocol/license-state.ts';
import { peerAddress } from '../rate-limit/limits.ts';
import { LICENSED_CACHE_CONTROL } from '../update/cache-control.ts';
import { INSTALL_ID_HEADER, parseInstallId } from '../update/rollout.ts';
import type { AppSnapshot } from '../update/snapshot.ts';
import type { LicenseGrant } from './gate.ts';
import { licenseFilePayload, signLicenseFile } from './license-file.ts';
import { licenseStateBody } from './license-state.ts';

function channelOf(c: Context): string {
  const channel = c.req.query('channel') || DEFAULT_CHANNEL;
  if (!QUERIED_CHANNEL_PATTERN.test(channel)) {
    throw badRequest(invalidQueriedChannel(channel));
  }
  return channel;
}

export function licenseClientRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const now = () => new Date((deps.now ?? Date.now)());
  // Slugs never change, so each app's is read once.
  const slugs = new Map<string, string>();

  async function snapshotOf(appId: string): Promise<AppSnapshot> {
    let slug = slugs.get(appId);
    if (slug === undefined) {
      const row = await deps.db.selectFrom('apps').select('slug').where('id', '=', appId).executeTakeFirst();
      if (!row) throw notFound('the license’s app no longer exists');
      slugs.set(appId, (slug = row.slug));
    }
    const snapshot = await deps.releaseCache.lookup(slug);
    if (!snapshot) throw notFound('the license’s app no longer exists');
    return snapshot;
  }

  const grant = (c: Context, writes: 'installs' | 'none', installId: string | null): Promise<LicenseGrant> =>
    Promise.resolve(deps.licenses.grant({ appId: null, headers: c.req.raw.headers, installId, peer: peerAddress(c), writes }));

  app.get('/', async function licenseState(c) {
    try {
      const channel = channelOf(c);
      const installId = parseInstallId(c.req.header(INSTALL_ID_HEADER) ?? null, undefined);
      const { state } = await grant(c, 'none', installId);
      const body = licenseStateBody(await snapshotOf(state.appId), state, channel, now());
      return c.json(body, 200, { 'cache-control': LICENSED_CACHE_CONTROL });
    } catch (error) {
      return errorResponse(error, c);
    }
  });

  app.get('/file', async function licenseFile(c) {
    try {
      const channel = channelOf(c);
      const installId = parseInstallId(c.req.header(INSTALL_ID_HEADER) ?? null, undefined);
      const { state } = await grant(c, 'installs', installId);
      const snapshot = await snapshotOf(state.appId);
      const file = await deps.licenseFileKeys.signWithCurrent(state.appId, (key) =>
        signLicenseFile(licenseFilePayload(snapshot, state, key.kid, channel, installId, now()), key),
      );
      return c.body(file, 200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': LICENSED_CACHE_CONTROL });
    } catch (error) {
      return errorResponse(error, c);
    }
  });

  app.all('*', (c) => errorResponse(notFound(`no route for ${c.req.method} ${c.req.path}; expected GET /license or GET /license/file`), c));
  return app;
}

const refusals = {
  400: { description: 'the channel or the X-Install-Id is malformed' },
  401: { description: 'no license key (`license_required`), a malformed one (`license_invalid`) or an unknown one (`license_unknown`); send `Authorization: License <key>`' },
  403: { description: '`license_suspended`, `license_revoked`, `license_expired` (`revoke` after its grace days), `install_id_required` or `machine_limit_reached`' },
  404: { description: 'no such channel' },
  429: { description: 'this address used up its requests (or failed license keys) for the minute' },
  503: { description: 'the database is unreachable, or the server has no SECRETS_KEY (`secrets_key_missing`)' },
};

const channelQuery = z.object({
  channel: z.string().optional().meta({ description: 'the channel the versions are for; default stable' }),
});

export const licenseClientRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag: 'Licenses (apps)',
    auth: 'none',
    access: 'the license key: `Authorization: License <key>` (also `Bearer <key>`); a key in the URL is ignored',
    summary: 'The state of the license presented',
    description:
      'What the Tauri updater cannot show: the license’s expiry and cutoff, the newest version of the channel it may have, ' +
      'what renewing now would unlock, and its installs used and allowed. Under a machine limit, send the install’s `X-Install-Id` ' +
      '(it is not counted here). `Cache-Control: private, no-store`.',
    query: channelQuery,
    responses: { 200: { description: 'the license’s state', schema: licenseStateSchema, headers: { 'Cache-Control': '`private, no-store`' } }, ...refusals },
  },
  {
    method: 'get',
    path: '/file',
    tag: 'Licenses (apps)',
    auth: 'none',
    access: 'the license key: `Authorization: License <key>` (also `Bearer <key>`); a key in the URL is ignored',
    summary: 'An offline license file',
    description:
      'The payload JSON in base64url, a `.`, and the Ed25519 signature over the payload bytes in base64url, signed with the app’s own license-file key ' +
      '(`license_file_key` of the app; never the updater key). The payload holds `kid`, `lic` (license id), `app`, `expires_at`, `cutoff`, ' +
      '`entitlements`, `newest_eligible_version`, `machine` (the `X-Install-Id` sent, which then takes one of the license’s installs), ' +
      '`issued_at` and `valid_until` (30 days, never past the end of a `revoke` license’s grace).',
    query: channelQuery,
    responses: {
      200: { description: 'the license file', contentType: 'text/plain', headers: { 'Cache-Control': '`private, no-store`' } },
      ...refusals,
      503: {
        description:
          'the database is unreachable, the server has no SECRETS_KEY (`secrets_key_missing`), or the app’s license-file key was rotated ' +
          'while the file was being signed, three times in a row (`unavailable`); retry after `Retry-After`',
      },
    },
  },
]);
