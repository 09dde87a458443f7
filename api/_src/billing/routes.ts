/**
 * @module billing/routes
 * `/admin/apps/{app}/integrations`: an app's payment integrations (admin scope). Every change is audited in its
 * transaction; neither answers nor the audit log ever hold the signing secret (only whether it changed).
 *
 *   GET    /        list
 *   POST   /        create: provider, signing_secret, prices (price/variant id → policy id)
 *   GET    /:id     one integration, with the webhook URL to give the provider
 *   PATCH  /:id     signing_secret, prices, description, active
 *   DELETE /:id     remove (licenses it created stay)
 *
 * and the public side, mounted by app.ts:
 *
 *   POST /billing/{integration}/webhook   the provider's signed deliveries (service.ts)
 *   GET  /claim/{token}                   a page offering the new license's key (does not use the claim)
 *   POST /claim/{token}                   reveals the key once and deletes the claim (HTML, or JSON with Accept)
 */
import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { sql } from 'kysely';
import type { AppDeps } from '../deps.ts';
import { findAppFor } from '../auth/access.ts';
import { audit } from '../audit/audit.ts';
import { type AdminEnv, principalOf, requireAdmin } from '../auth/authenticate.ts';
import { idParam, readBytes, readJson } from '../http/request.ts';
import { badRequest, errorJson, notFound } from '../http/errors.ts';
import { type ClaimedLicense, createIntegrationBodySchema, updateIntegrationBodySchema } from '../protocol/billing.ts';
import { CLAIM_HEADERS, goneHtml, keyPage, offerPage } from './claim-page.ts';
import { claimWaiting, takeClaim } from './claims.ts';
import { findIntegration, sealSigningSecret, toIntegrationView, unknownPolicies } from './integrations.ts';

export { billingWebhookRouteDocs, claimRouteDocs, integrationRouteDocs } from './docs.ts';

const integrationId = (id: string) => idParam(id, 'integration');

export function integrationRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db, config, billing } = deps;
  const routes = new Hono<AdminEnv>();
  const view = (row: Parameters<typeof toIntegrationView>[0]) => toIntegrationView(row, config.publicUrl);

  async function appFor(c: Context<AdminEnv>) {
    const principal = principalOf(c);
    requireAdmin(principal);
    return { principal, app: await findAppFor(db, principal, c.req.param('app') ?? '') };
  }

  async function checkPolicies(appId: string, slug: string, prices: Record<string, string>): Promise<void> {
    const unknown = await unknownPolicies(db, appId, prices);
    if (unknown.length > 0) throw badRequest(`prices: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a policy' : 'are not policies'} of app ${JSON.stringify(slug)}`);
  }

  const missing = (id: string, slug: string) => notFound(`integration ${id} not found in app ${JSON.stringify(slug)}`);

  routes.get('/', async (c) => {
    const { app } = await appFor(c);
    const rows = await db.selectFrom('payment_integrations').selectAll().where('app_id', '=', app.id).orderBy('created_at').orderBy('id').execute();
    return c.json({ integrations: rows.map(view) });
  });

  routes.post('/', async (c) => {
    const { principal, app } = await appFor(c);
    const body = await readJson(c, createIntegrationBodySchema);
    const box = billing.secrets();
    await checkPolicies(app.id, app.slug, body.prices);
    const id = randomUUID();
    const row = await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('payment_integrations')
        .values({
          id,
          app_id: app.id,
          provider: body.provider,
          description: body.description ?? null,
          signing_secret_sealed: sealSigningSecret(box, id, body.signing_secret),
          prices: JSON.stringify(body.prices),
          active: body.active,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(trx, principal, {
        action: 'integration.create',
        appId: app.id,
        target: `integration:${id}`,
        details: { provider: body.provider, prices: body.prices, active: body.active },
      });
      return inserted;
    });
    return c.json(view(row), 201);
  });

  routes.get('/:id', async (c) => {
    const { app } = await appFor(c);
    const id = integrationId(c.req.param('id'));
    const row = await findIntegration(db, app.id, id);
    if (!row) throw missing(id, app.slug);
    return c.json(view(row));
  });

  routes.patch('/:id', async (c) => {
    const { principal, app } = await appFor(c);
    const id = integrationId(c.req.param('id'));
    const body = await readJson(c, updateIntegrationBodySchema);
    const box = body.signing_secret === undefined ? null : billing.secrets();
    if (body.prices) await checkPolicies(app.id, app.slug, body.prices);
    const row = await db.transaction().execute(async (trx) => {
      const before = await findIntegration(trx, app.id, id, true);
      if (!before) throw missing(id, app.slug);
      const updated = await trx
        .updateTable('payment_integrations')
        .set({
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.active !== undefined ? { active: body.active } : {}),
          ...(body.prices !== undefined ? { prices: JSON.stringify(body.prices) } : {}),
          ...(box && body.signing_secret !== undefined ? { signing_secret_sealed: sealSigningSecret(box, id, body.signing_secret) } : {}),
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const changed: Record<string, unknown> = {};
      if (body.prices !== undefined && JSON.stringify(before.prices) !== JSON.stringify(updated.prices)) changed.prices = { from: before.prices, to: updated.prices };
      if (body.active !== undefined && before.active !== updated.active) changed.active = { from: before.active, to: updated.active };
      if (body.description !== undefined && before.description !== updated.description) changed.description = { from: before.description, to: updated.description };
      if (body.signing_secret !== undefined) changed.signing_secret = 'replaced';
      await audit(trx, principal, { action: 'integration.update', appId: app.id, target: `integration:${id}`, details: { changed } });
      return updated;
    });
    return c.json(view(row));
  });

  routes.delete('/:id', async (c) => {
    const { principal, app } = await appFor(c);
    const id = integrationId(c.req.param('id'));
    await db.transaction().execute(async (trx) => {
      const deleted = await trx.deleteFrom('payment_integrations').where('id', '=', id).where('app_id', '=', app.id).returning(['id', 'provider']).executeTakeFirst();
      if (!deleted) throw missing(id, app.slug);
      await audit(trx, principal, { action: 'integration.delete', appId: app.id, target: `integration:${id}`, details: { provider: deleted.provider } });
    });
    return c.body(null, 204);
  });

  return routes;
}

const MAX_WEBHOOK_BYTES = 1024 * 1024;

/** `POST /billing/{integration}/webhook`: a payment provider's delivery (service.ts). */
export function billingWebhookRoutes(deps: AppDeps): Hono {
  const routes = new Hono();
  routes.post('/:integration/webhook', async (c) => {
    const body = await readBytes(c.req.raw, MAX_WEBHOOK_BYTES);
    c.header('Cache-Control', 'no-store');
    return c.json(await deps.billing.receive(c.req.param('integration'), c.req.raw.headers, body));
  });
  return routes;
}

/** `/claim/{token}`: GET offers the key, POST reveals it once (HTML; JSON with `Accept: application/json`). */
export function claimRoutes(deps: AppDeps): Hono {
  const { db, billing } = deps;
  const routes = new Hono();
  const wantsJson = (c: Context) => /\bapplication\/json\b/i.test(c.req.header('accept') ?? '');
  const gone = (c: Context) => {
    if (wantsJson(c)) return errorJson(c, 404, 'not_found', 'no license key behind this link: it was claimed already, it expired (7 days), or it is mistyped');
    return c.html(goneHtml(), 404, CLAIM_HEADERS);
  };

  routes.get('/:token', async (c) => {
    const waiting = await claimWaiting(db, c.req.param('token'), billing.now());
    if (!waiting) return gone(c);
    const app = await db.selectFrom('apps').select('name').where('id', '=', waiting.appId).executeTakeFirstOrThrow();
    if (wantsJson(c)) return c.json({ claimable: true, app: app.name, claim: 'POST this URL to reveal the key (once)' }, 200, CLAIM_HEADERS);
    return c.html(offerPage(app.name), 200, CLAIM_HEADERS);
  });

  routes.post('/:token', async (c) => {
    const taken = await db.transaction().execute(async (trx) => {
      const claim = await takeClaim(trx, billing.secrets(), c.req.param('token'), billing.now());
      if (!claim) return null;
      const license = await trx
        .selectFrom('licenses')
        .innerJoin('apps', 'apps.id', 'licenses.app_id')
        .select(['licenses.expires_at', 'apps.slug', 'apps.name'])
        .where('licenses.id', '=', claim.licenseId)
        .executeTakeFirstOrThrow();
      await audit(trx, 'system', { action: 'license.claim', appId: claim.appId, target: `license:${claim.licenseId}`, details: null });
      return { claim, license };
    });
    if (!taken) return gone(c);
    const { claim, license } = taken;
    if (wantsJson(c)) {
      const answer: ClaimedLicense = { license_id: claim.licenseId, key: claim.key, app: { slug: license.slug, name: license.name }, expires_at: license.expires_at?.toISOString() ?? null };
      return c.json(answer, 200, CLAIM_HEADERS);
    }
    return c.html(keyPage(license.name, claim.key, license.expires_at), 200, CLAIM_HEADERS);
  });
  return routes;
}
