/**
 * @module admin/publishers
 * `/admin/apps/{app}/publishers`: the app's trusted publishers, i.e. which GitHub repositories (and
 * within them which workflow, environment, refs and runners) may exchange an Actions OIDC token for a
 * CI credential of this app at `POST /ci/token`. Admin scope only: a CI key or credential that could add
 * a publisher could grant itself more. Every change is audited.
 *
 * Mounted by `admin/routes.ts` at `/apps/:app/publishers`, behind `apiKeyAuth`.
 */
import { type Context, Hono } from 'hono';
import { sql } from 'kysely';
import type { AppDeps } from '../deps.ts';
import { toPublisherBody } from '../ci/publishers.ts';
import { createPublisherBodySchema, publisherListSchema, publisherSchema, updatePublisherBodySchema } from '../protocol/publishers.ts';
import { APP_PARAM, defineRoutes } from '../docs/registry.ts';
import { notFound } from '../http/errors.ts';
import { findAppFor } from '../auth/access.ts';
import { audit } from '../audit/audit.ts';
import { type AdminEnv, principalOf, requireAdmin } from '../auth/authenticate.ts';
import { idParam, readJson } from '../http/request.ts';

const publisherId = (id: string) => idParam(id, 'trusted publisher');

export function publisherRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db } = deps;
  const routes = new Hono<AdminEnv>();

  /** The app named in the path, as this (admin-scoped) caller may see it. */
  async function appFor(c: Context<AdminEnv>) {
    const principal = principalOf(c);
    requireAdmin(principal);
    return { principal, app: await findAppFor(db, principal, c.req.param('app') ?? '') };
  }

  routes.get('/', async (c) => {
    const { app } = await appFor(c);
    const rows = await db.selectFrom('trusted_publishers').selectAll().where('app_id', '=', app.id).orderBy('created_at').orderBy('id').execute();
    return c.json({ publishers: rows.map(toPublisherBody) });
  });

  routes.post('/', async (c) => {
    const { principal, app } = await appFor(c);
    const body = await readJson(c, createPublisherBodySchema);
    const row = await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('trusted_publishers')
        .values({
          app_id: app.id,
          repository: body.repository,
          repository_id: body.repository_id,
          repository_owner_id: body.repository_owner_id,
          workflow: body.workflow ?? null,
          environment: body.environment ?? null,
          allowed_refs: JSON.stringify(body.allowed_refs ?? []),
          allow_self_hosted: body.allow_self_hosted ?? false,
          can_publish: body.can_publish ?? false,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const { id: _id, app_id: _appId, created_at: _created, updated_at: _updated, ...settings } = toPublisherBody(inserted);
      await audit(trx, principal, {
        action: 'publisher.create',
        appId: app.id,
        target: `trusted_publisher:${inserted.id}`,
        details: settings,
      });
      return inserted;
    });
    return c.json(toPublisherBody(row), 201);
  });

  routes.get('/:id', async (c) => {
    const { app } = await appFor(c);
    const id = publisherId(c.req.param('id'));
    const row = await db.selectFrom('trusted_publishers').selectAll().where('id', '=', id).where('app_id', '=', app.id).executeTakeFirst();
    if (!row) throw notFound(`trusted publisher ${id} not found in app ${JSON.stringify(app.slug)}`);
    return c.json(toPublisherBody(row));
  });

  routes.patch('/:id', async (c) => {
    const { principal, app } = await appFor(c);
    const id = publisherId(c.req.param('id'));
    const body = await readJson(c, updatePublisherBodySchema);
    const row = await db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('trusted_publishers')
        .selectAll()
        .where('id', '=', id)
        .where('app_id', '=', app.id)
        .forUpdate()
        .executeTakeFirst();
      if (!before) throw notFound(`trusted publisher ${id} not found in app ${JSON.stringify(app.slug)}`);
      const { allowed_refs, ...rest } = body;
      const updated = await trx
        .updateTable('trusted_publishers')
        .set({ ...rest, ...(allowed_refs !== undefined ? { allowed_refs: JSON.stringify(allowed_refs) } : {}), updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const [old, now] = [toPublisherBody(before), toPublisherBody(updated)];
      const changed = Object.fromEntries(
        (Object.keys(body) as (keyof typeof body)[])
          .filter((field) => JSON.stringify(old[field]) !== JSON.stringify(now[field]))
          .map((field) => [field, { from: old[field], to: now[field] }]),
      );
      await audit(trx, principal, { action: 'publisher.update', appId: app.id, target: `trusted_publisher:${id}`, details: { changed } });
      return updated;
    });
    return c.json(toPublisherBody(row));
  });

  routes.delete('/:id', async (c) => {
    const { principal, app } = await appFor(c);
    const id = publisherId(c.req.param('id'));
    await db.transaction().execute(async (trx) => {
      // Its credentials go with it (on delete cascade): count them for the audit row first.
      const live = await trx
        .selectFrom('ci_credentials')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('publisher_id', '=', id)
        .where('expires_at', '>', sql<Date>`now()`)
        .executeTakeFirstOrThrow();
      const deleted = await trx.deleteFrom('trusted_publishers').where('id', '=', id).where('app_id', '=', app.id).returningAll().executeTakeFirst();
      if (!deleted) throw notFound(`trusted publisher ${id} not found in app ${JSON.stringify(app.slug)}`);
      const { repository, repository_id, repository_owner_id, workflow, environment } = deleted;
      await audit(trx, principal, {
        action: 'publisher.delete',
        appId: app.id,
        target: `trusted_publisher:${id}`,
        details: { repository, repository_id, repository_owner_id, workflow, environment, revoked_credentials: Number(live.count) },
      });
    });
    return c.body(null, 204);
  });

  return routes;
}

const adminOnly = { description: 'a CI key or credential' };
const appNotFound = { description: 'no such app within this key\'s reach' };

export const publisherRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag: 'Trusted publishers',
    summary: 'List an app\'s trusted publishers',
    auth: 'api-key',
    access: 'admin scope',
    params: APP_PARAM,
    responses: { 200: { description: 'oldest first', schema: publisherListSchema }, 403: adminOnly, 404: appNotFound },
  },
  {
    method: 'post',
    path: '/',
    tag: 'Trusted publishers',
    summary: 'Bind a GitHub repository to the app',
    description:
      'Jobs of this repository may then exchange their OIDC token at `POST /ci/token`. Take `repository_id` and ' +
      '`repository_owner_id` from `GET https://api.github.com/repos/{owner}/{repo}` (`id`, `owner.id`), as strings: ' +
      'they pin the repository against deletion and re-creation under the same name. Pin `workflow` and, ideally, an ' +
      '`environment` with required reviewers; `allowed_refs` like `["refs/tags/v*"]` limit which refs may publish.',
    auth: 'api-key',
    access: 'admin scope',
    params: APP_PARAM,
    body: createPublisherBodySchema,
    responses: { 201: { description: 'the trusted publisher', schema: publisherSchema }, 403: adminOnly, 404: appNotFound },
  },
  {
    method: 'get',
    path: '/{id}',
    tag: 'Trusted publishers',
    summary: 'Show a trusted publisher',
    auth: 'api-key',
    access: 'admin scope',
    params: { ...APP_PARAM, id: 'the publisher\'s id' },
    responses: { 200: { description: 'the trusted publisher', schema: publisherSchema }, 403: adminOnly, 404: { description: 'no such app or publisher' } },
  },
  {
    method: 'patch',
    path: '/{id}',
    tag: 'Trusted publishers',
    summary: 'Change a trusted publisher',
    description: 'Only the fields sent change; `null` clears `workflow` or `environment`. Credentials already issued keep their run, but lose publishing at once if `can_publish` becomes false.',
    auth: 'api-key',
    access: 'admin scope',
    params: { ...APP_PARAM, id: 'the publisher\'s id' },
    body: updatePublisherBodySchema,
    responses: { 200: { description: 'the trusted publisher', schema: publisherSchema }, 403: adminOnly, 404: { description: 'no such app or publisher' } },
  },
  {
    method: 'delete',
    path: '/{id}',
    tag: 'Trusted publishers',
    summary: 'Remove a trusted publisher',
    description: 'Also revokes every CI credential it issued.',
    auth: 'api-key',
    access: 'admin scope',
    params: { ...APP_PARAM, id: 'the publisher\'s id' },
    responses: { 204: { description: 'deleted' }, 403: adminOnly, 404: { description: 'no such app or publisher' } },
  },
]);
