/**
 * @module webhooks/routes
 * `/admin/apps/{app}/webhooks`: an app's webhook endpoints and their delivery log. Admin scope only (a
 * webhook sends data about the app to a URL of the caller's choosing). Every change is audited in its
 * transaction; the audit keeps the URL's origin only and never the secret.
 *
 *   GET    /                      list
 *   POST   /                      create; the answer is the only time the secret is shown
 *   GET    /:id                   one webhook
 *   PATCH  /:id                   url, description, events, format, active (true also closes the circuit)
 *   DELETE /:id                   remove, with its delivery log
 *   POST   /:id/rotate-secret     a new secret, shown once; the old one stops signing at once
 *   POST   /:id/test              send a `webhook.test` event now and return the delivery
 *   GET    /:id/deliveries        the delivery log, newest first
 */
import { type Context, Hono } from 'hono';
import { sql } from 'kysely';
import type { AppDeps } from '../deps.ts';
import { findAppFor } from '../auth/access.ts';
import { audit } from '../audit/audit.ts';
import { type AdminEnv, principalOf, requireAdmin } from '../auth/authenticate.ts';
import { idParam, readJson, readQuery } from '../http/request.ts';
import { badRequest, notFound } from '../http/errors.ts';
import {
  auditUrl,
  createWebhookBodySchema,
  listDeliveriesQuerySchema,
  toDeliveryBody,
  toWebhookBody,
  updateWebhookBodySchema,
} from './schemas.ts';
import { generateWebhookSecret, secretHint } from './signature.ts';
import { findWebhook, listDeliveries } from './store.ts';
import { checkWebhookUrl } from './targets.ts';

export { webhookRouteDocs } from './docs.ts';

const webhookId = (id: string) => idParam(id, 'webhook');

export function webhookRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db, config } = deps;
  const routes = new Hono<AdminEnv>();

  function checkUrl(url: string): string {
    const problem = checkWebhookUrl(url, config.webhooks.allowPrivateTargets);
    if (problem) throw badRequest(problem);
    return url;
  }

  async function appFor(c: Context<AdminEnv>) {
    const principal = principalOf(c);
    requireAdmin(principal);
    return { principal, app: await findAppFor(db, principal, c.req.param('app') ?? '') };
  }

  const missing = (id: string, slug: string) => notFound(`webhook ${id} not found in app ${JSON.stringify(slug)}`);

  routes.get('/', async (c) => {
    const { app } = await appFor(c);
    const rows = await db.selectFrom('webhooks').selectAll().where('app_id', '=', app.id).orderBy('created_at').orderBy('id').execute();
    return c.json({ webhooks: rows.map(toWebhookBody) });
  });

  routes.post('/', async (c) => {
    const { principal, app } = await appFor(c);
    const body = await readJson(c, createWebhookBodySchema);
    const url = checkUrl(body.url);
    const secret = generateWebhookSecret();
    const row = await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('webhooks')
        .values({
          app_id: app.id,
          url,
          description: body.description ?? null,
          secret,
          events: body.events ? JSON.stringify(body.events) : null,
          format: body.format,
          active: body.active,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(trx, principal, {
        action: 'webhook.create',
        appId: app.id,
        target: `webhook:${inserted.id}`,
        details: { url: auditUrl(url), events: body.events ?? null, format: body.format, active: body.active },
      });
      return inserted;
    });
    return c.json({ ...toWebhookBody(row), secret }, 201);
  });

  routes.get('/:id', async (c) => {
    const { app } = await appFor(c);
    const id = webhookId(c.req.param('id'));
    const row = await findWebhook(db, app.id, id);
    if (!row) throw missing(id, app.slug);
    return c.json(toWebhookBody(row));
  });

  routes.patch('/:id', async (c) => {
    const { principal, app } = await appFor(c);
    const id = webhookId(c.req.param('id'));
    const body = await readJson(c, updateWebhookBodySchema);
    if (body.url !== undefined) checkUrl(body.url);
    const row = await db.transaction().execute(async (trx) => {
      const before = await findWebhook(trx, app.id, id, true);
      if (!before) throw missing(id, app.slug);
      const { events, ...rest } = body;
      // Turning a webhook on (again) is the manual reset of its circuit.
      const reset = body.active === true ? { consecutive_failures: 0, circuit_opened_at: null } : {};
      const updated = await trx
        .updateTable('webhooks')
        .set({ ...rest, ...(events !== undefined ? { events: events ? JSON.stringify(events) : null } : {}), ...reset, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const [old, now] = [toWebhookBody(before), toWebhookBody(updated)];
      const changed = Object.fromEntries(
        (Object.keys(body) as (keyof typeof body)[])
          .filter((field) => JSON.stringify(old[field]) !== JSON.stringify(now[field]))
          .map((field) => [field, field === 'url' ? { from: auditUrl(old.url), to: auditUrl(now.url) } : { from: old[field], to: now[field] }]),
      );
      if (before.circuit_opened_at !== null && updated.circuit_opened_at === null) changed.circuit = { from: 'open', to: 'closed' };
      await audit(trx, principal, { action: 'webhook.update', appId: app.id, target: `webhook:${id}`, details: { changed } });
      return updated;
    });
    return c.json(toWebhookBody(row));
  });

  routes.delete('/:id', async (c) => {
    const { principal, app } = await appFor(c);
    const id = webhookId(c.req.param('id'));
    await db.transaction().execute(async (trx) => {
      const deleted = await trx.deleteFrom('webhooks').where('id', '=', id).where('app_id', '=', app.id).returningAll().executeTakeFirst();
      if (!deleted) throw missing(id, app.slug);
      await audit(trx, principal, { action: 'webhook.delete', appId: app.id, target: `webhook:${id}`, details: { url: auditUrl(deleted.url) } });
    });
    return c.body(null, 204);
  });

  routes.post('/:id/rotate-secret', async (c) => {
    const { principal, app } = await appFor(c);
    const id = webhookId(c.req.param('id'));
    const secret = generateWebhookSecret();
    await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('webhooks')
        .set({ secret, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('app_id', '=', app.id)
        .returning('id')
        .executeTakeFirst();
      if (!updated) throw missing(id, app.slug);
      await audit(trx, principal, { action: 'webhook.rotate_secret', appId: app.id, target: `webhook:${id}`, details: { secret_hint: secretHint(secret) } });
    });
    return c.json({ id, secret, secret_hint: secretHint(secret) });
  });

  routes.post('/:id/test', async (c) => {
    const { principal, app } = await appFor(c);
    const id = webhookId(c.req.param('id'));
    const hook = await findWebhook(db, app.id, id);
    if (!hook) throw missing(id, app.slug);
    await audit(db, principal, { action: 'webhook.test', appId: app.id, target: `webhook:${id}`, details: { url: auditUrl(hook.url) } });
    const delivery = await deps.webhooks.sendTest(hook, { id: app.id, slug: app.slug, name: app.name }, principal);
    return c.json(toDeliveryBody(delivery));
  });

  routes.get('/:id/deliveries', async (c) => {
    const { app } = await appFor(c);
    const id = webhookId(c.req.param('id'));
    const query = readQuery(c, listDeliveriesQuerySchema);
    const hook = await findWebhook(db, app.id, id);
    if (!hook) throw missing(id, app.slug);
    const rows = await listDeliveries(db, id, query);
    return c.json({ deliveries: rows.map(toDeliveryBody) });
  });

  return routes;
}
