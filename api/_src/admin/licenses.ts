/**
 * @module admin/licenses
 * An app's licenses, mounted at `/admin/apps/:app/licenses`; every route needs an admin-scoped key for the app:
 *
 *   GET    /                                    search: ?q= (key, key prefix, external id) &status= &policy_id=
 *   POST   /                                    create: the key is in this answer only (201; 200 for an existing external id)
 *   GET    /:license                            one, with `eligible_up_to` and its machines
 *   POST   /:license/renew                      {expires_at?}
 *   POST   /:license/suspend|reinstate|revoke   {reason?}
 *   POST   /:license/rotate                     a new key, in this answer only; the old one stops working
 *   GET    /:license/machines                   its installs
 *   POST   /:license/machines/:machine/deactivate
 *
 * Bodies of the POST actions may be left out. The domain is api/_src/licensing/store.ts.
 */
import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { APP_PARAM, defineRoutes, type ResponseDoc, type RouteDoc } from '../docs/registry.ts';
import type { AdminEnv } from '../auth/authenticate.ts';
import { readJson, readOptionalJson, readQuery } from '../http/request.ts';
import * as store from '../licensing/store.ts';
import {
  createdLicenseSchema,
  createLicenseBodySchema,
  licenseActionBodySchema,
  licenseDetailSchema,
  licenseListSchema,
  listLicensesQuerySchema,
  machineListSchema,
  machineSchema,
  renewLicenseBodySchema,
  rotatedLicenseSchema,
} from '../protocol/licensing.ts';
import { licensingApp } from './licensing.ts';

// Answers that carry a key must not be kept by any cache or browser history.
const NO_STORE = { 'Cache-Control': 'no-store' };

export function licenseRoutes(deps: AppDeps): Hono<AdminEnv> {
  const routes = new Hono<AdminEnv>();

  routes.get('/', async (c) => {
    const { app } = await licensingApp(deps, c);
    return c.json(await store.listLicenses(deps, app.id, readQuery(c, listLicensesQuerySchema)));
  });

  routes.post('/', async (c) => {
    const { principal, app } = await licensingApp(deps, c);
    const body = await readJson(c, createLicenseBodySchema);
    const created = await store.createLicense(deps, principal, app.id, body);
    return c.json({ ...created.license, key: created.key, created: created.created }, created.created ? 201 : 200, NO_STORE);
  });

  routes.get('/:license', async (c) => {
    const { app } = await licensingApp(deps, c);
    return c.json(await store.getLicense(deps, app.id, c.req.param('license')));
  });

  routes.post('/:license/renew', async (c) => {
    const { principal, app } = await licensingApp(deps, c);
    const body = await readOptionalJson(c, renewLicenseBodySchema);
    return c.json(await store.renewLicense(deps, principal, app.id, c.req.param('license'), body));
  });

  const statusActions = { suspend: store.suspendLicense, reinstate: store.reinstateLicense, revoke: store.revokeLicense } as const;
  for (const [action, change] of Object.entries(statusActions)) {
    routes.post(`/:license/${action}`, async (c) => {
      const { principal, app } = await licensingApp(deps, c);
      const body = await readOptionalJson(c, licenseActionBodySchema);
      return c.json(await change(deps, principal, app.id, c.req.param('license'), body));
    });
  }

  routes.post('/:license/rotate', async (c) => {
    const { principal, app } = await licensingApp(deps, c);
    const rotated = await store.rotateLicenseKey(deps, principal, app.id, c.req.param('license'));
    return c.json({ ...rotated.license, key: rotated.key }, 200, NO_STORE);
  });

  routes.get('/:license/machines', async (c) => {
    const { app } = await licensingApp(deps, c);
    return c.json({ machines: await store.listMachines(deps, app.id, c.req.param('license')) });
  });

  routes.post('/:license/machines/:machine/deactivate', async (c) => {
    const { principal, app } = await licensingApp(deps, c);
    return c.json(await store.deactivateMachine(deps, principal, app.id, c.req.param('license'), c.req.param('machine')));
  });

  return routes;
}

const ACCESS = 'admin scope, key for this app';
const params = { ...APP_PARAM, license: 'license id (UUID)' };
const denied = { 403: { description: 'a CI key (licensing needs admin scope)' } };
const missing = { 404: { description: 'no such app or license (or the license is another app\'s)' } };

const conflictDoc = (description?: string): Record<number, ResponseDoc> => (description === undefined ? {} : { 409: { description } });

const action = (path: string, summary: string, description: string, conflict?: string): RouteDoc => ({
  method: 'post',
  path: `/{license}/${path}`,
  tag: 'Licenses',
  summary,
  description: `${description} The body may be omitted.`,
  auth: 'api-key',
  access: ACCESS,
  params,
  body: path === 'renew' ? renewLicenseBodySchema : licenseActionBodySchema,
  responses: {
    200: { description: 'the license after the change', schema: licenseDetailSchema },
    ...denied,
    ...missing,
    ...conflictDoc(conflict),
  },
});

export const licenseRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag: 'Licenses',
    summary: 'List and search licenses',
    description: 'Newest first. `q` finds a whole key (by its digest), a key prefix (`trl_AB…`), or an exact external id.',
    auth: 'api-key',
    access: ACCESS,
    params: { app: params.app },
    query: listLicensesQuerySchema,
    responses: { 200: { description: 'a page of licenses and the total', schema: licenseListSchema }, ...denied, 404: { description: 'no such app' } },
  },
  {
    method: 'post',
    path: '/',
    tag: 'Licenses',
    summary: 'Create a license',
    description:
      'The answer carries the key, once: it is stored only as an HMAC digest and cannot be shown again (rotate to issue a new one). ' +
      'With `external_source`/`external_id`, creating again returns the existing license (200, `created: false`, `key: null`). Needs SECRETS_KEY.',
    auth: 'api-key',
    access: ACCESS,
    params: { app: params.app },
    body: createLicenseBodySchema,
    responses: {
      201: { description: 'the new license and its key', schema: createdLicenseSchema },
      200: { description: 'the license that already has this external id (no key)', schema: createdLicenseSchema },
      400: { description: 'bad input, or the policy is not this app\'s' },
      ...denied,
      404: { description: 'no such app' },
      409: { description: '`secrets_key_missing`: the server has no SECRETS_KEY' },
    },
  },
  {
    method: 'get',
    path: '/{license}',
    tag: 'Licenses',
    summary: 'Show a license',
    description: '`eligible_up_to` is the newest published version this license may install today.',
    auth: 'api-key',
    access: ACCESS,
    params,
    responses: { 200: { description: 'the license and its machines', schema: licenseDetailSchema }, ...denied, ...missing },
  },
  action('renew', 'Renew a license', 'One policy period from the expiry, or from now when it has already expired; or to `expires_at`.', 'the license is revoked, or its policy is perpetual'),
  action('suspend', 'Suspend a license', 'Checks and downloads answer 403 `license_suspended` until it is reinstated.', 'the license is revoked'),
  action('reinstate', 'Reinstate a suspended license', 'The license is active again.', 'the license is revoked (final)'),
  action('revoke', 'Revoke a license', 'Final: checks and downloads answer 403 `license_revoked`. Revoking again changes nothing.'),
  {
    method: 'post',
    path: '/{license}/rotate',
    tag: 'Licenses',
    summary: "Rotate a license's key",
    description: 'The answer carries the new key, once; the old key stops working (at once on this instance, within the update cache TTL on others).',
    auth: 'api-key',
    access: ACCESS,
    params,
    responses: {
      200: { description: 'the license and its new key', schema: rotatedLicenseSchema },
      ...denied,
      ...missing,
      409: { description: 'the license is revoked, or the server has no SECRETS_KEY' },
    },
  },
  {
    method: 'get',
    path: '/{license}/machines',
    tag: 'Licenses',
    summary: "List a license's machines (installs)",
    auth: 'api-key',
    access: ACCESS,
    params,
    responses: { 200: { description: 'active installs first', schema: machineListSchema }, ...denied, ...missing },
  },
  {
    method: 'post',
    path: '/{license}/machines/{machine}/deactivate',
    tag: 'Licenses',
    summary: 'Deactivate a machine',
    description: 'It no longer counts against the machine limit; the install takes a place again on its next check, if there is room.',
    auth: 'api-key',
    access: ACCESS,
    params: { ...params, machine: 'machine id (UUID)' },
    responses: { 200: { description: 'the machine', schema: machineSchema }, ...denied, 404: { description: 'no such app, license or machine' } },
  },
]);
