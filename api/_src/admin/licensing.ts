/**
 * @module admin/licensing
 * An app's licensing mode and policies, and what its releases and channels require, mounted at
 * `/admin/apps/:app/licensing` (licenses: licenses.ts). All of it needs an admin-scoped key for the app:
 *
 *   GET    /                                mode, counts, whether the server has SECRETS_KEY
 *   PUT    /                                {mode}: open | licensed (licensing/mode.ts has the rules)
 *   GET    /policies                        the app's policies
 *   POST   /policies                        create
 *   GET    /policies/:policy                one
 *   PATCH  /policies/:policy                change (applies to its licenses at once)
 *   DELETE /policies/:policy                delete one no license uses
 *   PUT    /releases/:release/entitlement   {entitlement_date?, required_entitlements?}: back-date, requirements
 *   PUT    /channels/:channel/entitlement   {required_entitlement}
 *   POST   /file-key/rotate                 {remove_previous?}: a new offline license-file key (licensing/file-keys.ts)
 *
 * The domain is api/_src/licensing/store.ts (shared with the billing webhooks); these are its HTTP adapter.
 */
import { type Context, Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { APP_PARAM, defineRoutes, RELEASE_PARAM } from '../docs/registry.ts';
import { findAppFor } from '../auth/access.ts';
import { type AdminEnv, principalOf, requireAdmin } from '../auth/authenticate.ts';
import { conflict } from '../http/api-error.ts';
import { readJson, readOptionalJson } from '../http/request.ts';
import * as store from '../licensing/store.ts';
import { setChannelEntitlement, setReleaseEntitlement } from '../licensing/release-entitlements.ts';
import {
  channelEntitlementBodySchema,
  channelEntitlementSchema,
  createPolicyBodySchema,
  licenseFileKeyListSchema,
  licensingSchema,
  policyListSchema,
  policySchema,
  putLicensingBodySchema,
  releaseEntitlementBodySchema,
  releaseEntitlementSchema,
  rotateFileKeyBodySchema,
  updatePolicyBodySchema,
} from '../protocol/licensing.ts';

/** The app, for an admin-scoped key that may see it (404 otherwise, 403 for a CI key). */
export async function licensingApp(deps: AppDeps, c: Context<AdminEnv>) {
  const principal = principalOf(c);
  const app = await findAppFor(deps.db, principal, c.req.param('app') ?? '');
  requireAdmin(principal);
  return { principal, app };
}

export function licensingRoutes(deps: AppDeps): Hono<AdminEnv> {
  const routes = new Hono<AdminEnv>();

  routes.get('/', async (c) => {
    const { app } = await licensingApp(deps, c);
    return c.json(await store.getLicensing(deps, app.id));
  });

  routes.put('/', async (c) => {
    const { principal, app } = await licensingApp(deps, c);
    const body = await readJson(c, putLicensingBodySchema);
    return c.json(await store.setLicensingMode(deps, principal, app.id, body.mode));
  });

  routes.get('/policies', async (c) => {
    const { app } = await licensingApp(deps, c);
    return c.json({ policies: await store.listPolicies(deps, app.id) });
  });

  routes.post('/policies', async (c) => {
    const { principal, app } = await licensingApp(deps, c);
    const body = await readJson(c, createPolicyBodySchema);
    return c.json(await store.createPolicy(deps, principal, app.id, body), 201);
  });

  routes.get('/policies/:policy', async (c) => {
    const { app } = await licensingApp(deps, c);
    return c.json(await store.getPolicy(deps, app.id, c.req.param('policy')));
  });

  routes.patch('/policies/:policy', async (c) => {
    const { principal, app } = await licensingApp(deps, c);
    const body = await readJson(c, updatePolicyBodySchema);
    return c.json(await store.updatePolicy(deps, principal, app.id, c.req.param('policy'), body));
  });

  routes.delete('/policies/:policy', async (c) => {
    const { principal, app } = await licensingApp(deps, c);
    await store.deletePolicy(deps, principal, app.id, c.req.param('policy'));
    return c.body(null, 204);
  });

  routes.put('/releases/:release/entitlement', async (c) => {
    const { principal, app } = await licensingApp(deps, c);
    const body = await readJson(c, releaseEntitlementBodySchema);
    return c.json(await setReleaseEntitlement(deps, principal, app, c.req.param('release'), body));
  });

  routes.put('/channels/:channel/entitlement', async (c) => {
    const { principal, app } = await licensingApp(deps, c);
    const body = await readJson(c, channelEntitlementBodySchema);
    return c.json(await setChannelEntitlement(deps, principal, app.id, c.req.param('channel'), body));
  });

  routes.post('/file-key/rotate', async (c) => {
    const { principal, app } = await licensingApp(deps, c);
    const body = await readOptionalJson(c, rotateFileKeyBodySchema);
    if (app.licensing !== 'licensed') throw conflict(`app ${app.slug} is not licensed: it signs no license files; switch it to licensed first`);
    await deps.licenseFileKeys.rotate(principal, app.id, body.remove_previous);
    return c.json({ app: app.slug, keys: await deps.licenseFileKeys.list(app.id) });
  });

  return routes;
}

const ACCESS = 'admin scope, key for this app';
const policyParams = { ...APP_PARAM, policy: 'policy id (UUID)' };
const denied = { 403: { description: 'a CI key (licensing needs admin scope)' } };

export const licensingRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag: 'Licensing',
    summary: "Show the app's licensing mode",
    auth: 'api-key',
    access: ACCESS,
    params: APP_PARAM,
    responses: { 200: { description: 'the mode and counts', schema: licensingSchema }, ...denied, 404: { description: 'no such app' } },
  },
  {
    method: 'put',
    path: '/',
    tag: 'Licensing',
    summary: 'Switch the app between open and licensed',
    description:
      '`licensed`: every update check and download needs `Authorization: License <key>`. Switching deletes the app\'s static ' +
      'failover `latest.json` files (a public copy would bypass the license); `/{app}/latest.json` answers 404 `app_licensed`. ' +
      'Needs SECRETS_KEY, and refuses an app served from a public GitHub repository. The same mode again changes nothing.',
    auth: 'api-key',
    access: ACCESS,
    params: APP_PARAM,
    body: putLicensingBodySchema,
    responses: {
      200: { description: 'the mode after the change', schema: licensingSchema },
      ...denied,
      404: { description: 'no such app' },
      409: { description: '`secrets_key_missing`: set SECRETS_KEY first; `conflict`: the app is served from a public GitHub repository' },
    },
  },
  {
    method: 'get',
    path: '/policies',
    tag: 'Licensing',
    summary: 'List license policies',
    auth: 'api-key',
    access: ACCESS,
    params: APP_PARAM,
    responses: { 200: { description: 'the policies, by name', schema: policyListSchema }, ...denied, 404: { description: 'no such app' } },
  },
  {
    method: 'post',
    path: '/policies',
    tag: 'Licensing',
    summary: 'Create a license policy',
    description: 'Defaults: 365 days, `fallback`, from creation, no grace days, any number of installs, no entitlements.',
    auth: 'api-key',
    access: ACCESS,
    params: APP_PARAM,
    body: createPolicyBodySchema,
    responses: { 201: { description: 'the policy', schema: policySchema }, ...denied, 404: { description: 'no such app' }, 409: { description: 'the name is taken' } },
  },
  {
    method: 'get',
    path: '/policies/{policy}',
    tag: 'Licensing',
    summary: 'Show a license policy',
    auth: 'api-key',
    access: ACCESS,
    params: policyParams,
    responses: { 200: { description: 'the policy', schema: policySchema }, ...denied, 404: { description: 'no such app or policy' } },
  },
  {
    method: 'patch',
    path: '/policies/{policy}',
    tag: 'Licensing',
    summary: 'Change a license policy',
    description: 'Applies to every license of the policy: at once on this instance, within the update cache TTL on others. A license created under the `created` basis keeps the expiry it was sold with.',
    auth: 'api-key',
    access: ACCESS,
    params: policyParams,
    body: updatePolicyBodySchema,
    responses: { 200: { description: 'the policy', schema: policySchema }, ...denied, 404: { description: 'no such app or policy' }, 409: { description: 'the name is taken' } },
  },
  {
    method: 'delete',
    path: '/policies/{policy}',
    tag: 'Licensing',
    summary: 'Delete a license policy',
    auth: 'api-key',
    access: ACCESS,
    params: policyParams,
    responses: { 204: { description: 'deleted' }, ...denied, 404: { description: 'no such app or policy' }, 409: { description: 'licenses use it' } },
  },
  {
    method: 'put',
    path: '/releases/{release}/entitlement',
    tag: 'Licensing',
    summary: "Back-date a release's entitlement date, or set what it requires",
    description:
      "A license's cutoff is compared with the release's first publication; `entitlement_date` (never later than that) " +
      'replaces it, so a patch published after some licenses expired still reaches them under `fallback`. null removes the back-date.',
    auth: 'api-key',
    access: ACCESS,
    params: { ...APP_PARAM, ...RELEASE_PARAM },
    body: releaseEntitlementBodySchema,
    responses: {
      200: { description: "the release's licensing dates and requirements", schema: releaseEntitlementSchema },
      400: { description: 'a date after the first publication, or bad input' },
      ...denied,
      404: { description: 'no such app or release' },
      409: { description: 'the release was never published' },
    },
  },
  {
    method: 'put',
    path: '/channels/{channel}/entitlement',
    tag: 'Licensing',
    summary: 'Set the entitlement a channel requires',
    auth: 'api-key',
    access: ACCESS,
    params: { ...APP_PARAM, channel: 'channel name' },
    body: channelEntitlementBodySchema,
    responses: {
      200: { description: 'the channel', schema: channelEntitlementSchema },
      ...denied,
      404: { description: 'no such app' },
    },
  },
  {
    method: 'post',
    path: '/file-key/rotate',
    tag: 'Licensing',
    summary: "Rotate the app's offline license-file key",
    description:
      'A new Ed25519 key signs every license file from now on, on every instance at once. ' +
      'The old key is retired: it never signs again (its private half is erased) and stays listed in ' +
      '`/.well-known/tauri-release/{app}/license-keys.json` for 30 days, while files it signed may still be valid, then it is deleted. ' +
      'After a leak, `remove_previous: true` deletes it instead, so it is no longer listed at all. Two rotations at once run one after the other.',
    auth: 'api-key',
    access: ACCESS,
    params: APP_PARAM,
    body: rotateFileKeyBodySchema,
    responses: {
      200: { description: 'the keys now listed, the new current key first', schema: licenseFileKeyListSchema },
      ...denied,
      404: { description: 'no such app' },
      409: { description: 'the app is not licensed' },
      503: { description: '`secrets_key_missing`: the server has no SECRETS_KEY to seal the key with' },
    },
  },
]);
