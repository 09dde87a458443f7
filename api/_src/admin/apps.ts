/**
 * @module admin/apps
 * `/admin/apps`: register, list, show, edit and delete apps. Apps are addressed by id or slug.
 *
 * The slug cannot change: every installed client has it baked into its updater endpoint URL, so a
 * renamed app would silently stop updating in the field. Create a new app instead.
 */
import { Hono } from 'hono';
import { sql } from 'kysely';
import type { AppDeps } from '../deps.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import { APP_PARAM, defineRoutes } from '../docs/registry.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import { appListSchema, appSchema, createAppBodySchema, updateAppBodySchema } from '../protocol/schemas.ts';
import { findAppFor } from '../auth/access.ts';
import { appBody, releaseStats, toAppBody } from './app-view.ts';
import { audit } from '../audit/audit.ts';
import { type AdminEnv, principalOf, requireAdmin, requireGlobal } from '../auth/authenticate.ts';
import { readJson } from '../http/request.ts';
import { deleteWithStorageCheckedFirst } from '../releases/store.ts';

export function appRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db } = deps;
  const app = new Hono<AdminEnv>();

  app.get('/', async (c) => {
    const principal = principalOf(c);
    const rows = await db
      .selectFrom('apps')
      .selectAll()
      .$if(principal.appId !== null, (qb) => qb.where('id', '=', principal.appId!))
      .orderBy('slug')
      .execute();
    const stats = await releaseStats(db, rows.map((row) => row.id));
    return c.json({ apps: rows.map((row) => toAppBody(row, stats.get(row.id))) });
  });

  app.post('/', async (c) => {
    const principal = principalOf(c);
    requireAdmin(principal);
    requireGlobal(principal);
    const body = await readJson(c, createAppBodySchema);
    const row = await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('apps')
        .values({ slug: body.slug, name: body.name, description: body.description || null, public_key: body.public_key ?? null })
        .onConflict((oc) => oc.column('slug').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!inserted) throw conflict(`an app with slug ${JSON.stringify(body.slug)} already exists`);
      await audit(trx, principal, {
        action: 'app.create',
        appId: inserted.id,
        target: `app:${inserted.id}`,
        details: { slug: inserted.slug, name: inserted.name, public_key_id: tauriPublicKeyId(inserted.public_key) },
      });
      return inserted;
    });
    deps.releaseCache.invalidate(row.id);
    return c.json(toAppBody(row), 201);
  });

  app.get('/:app', async (c) => {
    const row = await findAppFor(db, principalOf(c), c.req.param('app'));
    return c.json(await appBody(db, row, deps.licenseFileKeys));
  });

  app.patch('/:app', async (c) => {
    const principal = principalOf(c);
    requireAdmin(principal);
    const body = await readJson(c, updateAppBodySchema);
    const current = await findAppFor(db, principal, c.req.param('app'));
    if (body.slug !== undefined && body.slug !== current.slug) {
      throw badRequest(
        `the slug cannot be changed (from ${JSON.stringify(current.slug)}): installed apps have it in their updater ` +
          'endpoint URL and would stop receiving updates; create a new app instead',
      );
    }
    const changes = {
      ...(body.name !== undefined && { name: body.name }),
      ...(body.description !== undefined && { description: body.description || null }),
      ...(body.public_key !== undefined && { public_key: body.public_key }),
      ...(body.download_page !== undefined && { download_page: body.download_page }),
      ...(body.public_installers !== undefined && { public_installers: body.public_installers }),
    };
    if (Object.keys(changes).length === 0) throw badRequest('nothing to change; send name, description, public_key, download_page or public_installers');
    const row = await db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('apps').selectAll().where('id', '=', current.id).forUpdate().executeTakeFirst();
      if (!before) throw notFound(`app ${JSON.stringify(c.req.param('app'))} not found`);
      const updated = await trx
        .updateTable('apps')
        .set({ ...changes, updated_at: sql<Date>`now()` })
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const details: Record<string, unknown> = { fields: Object.keys(changes) };
      if ('public_key' in changes) {
        details.public_key_id = { from: tauriPublicKeyId(before.public_key), to: tauriPublicKeyId(updated.public_key) };
      }
      if ('name' in changes) details.name = { from: before.name, to: updated.name };
      for (const setting of ['download_page', 'public_installers'] as const) {
        if (setting in changes) details[setting] = { from: before[setting], to: updated[setting] };
      }
      await audit(trx, principal, { action: 'app.update', appId: updated.id, target: `app:${updated.id}`, details });
      return updated;
    });
    deps.releaseCache.invalidate(row.id);
    return c.json(await appBody(db, row, deps.licenseFileKeys));
  });

  app.delete('/:app', async (c) => {
    const principal = principalOf(c);
    requireAdmin(principal);
    requireGlobal(principal);
    const target = await findAppFor(db, principal, c.req.param('app'));
    const storageKeys = await deleteWithStorageCheckedFirst(db, deps.storage, async (trx, requireStorageChecked) => {
      const locked = await trx.selectFrom('apps').select('id').where('id', '=', target.id).forUpdate().executeTakeFirst();
      if (!locked) throw notFound(`app ${JSON.stringify(c.req.param('app'))} not found`);
      // Locking the release rows makes a concurrent publish wait for this transaction, then find nothing.
      const releases = await trx.selectFrom('releases').select('status').where('app_id', '=', target.id).forUpdate().execute();
      const published = releases.filter((release) => release.status === 'published').length;
      if (published > 0) {
        throw conflict(
          `app ${JSON.stringify(target.slug)} has ${published} published release${published === 1 ? '' : 's'}; ` +
            'archive or delete them before deleting the app',
        );
      }
      const artifacts = await trx
        .selectFrom('artifacts')
        .innerJoin('releases', 'releases.id', 'artifacts.release_id')
        .select('artifacts.storage_key')
        .where('releases.app_id', '=', target.id)
        .execute();
      if (artifacts.length > 0) requireStorageChecked();
      const keys = await trx.deleteFrom('api_keys').where('app_id', '=', target.id).executeTakeFirst();
      await trx.deleteFrom('apps').where('id', '=', target.id).execute();
      await audit(trx, principal, {
        action: 'app.delete',
        appId: target.id,
        target: `app:${target.id}`,
        details: { slug: target.slug, releases_deleted: releases.length, api_keys_deleted: Number(keys.numDeletedRows) },
      });
      return artifacts.map((artifact) => artifact.storage_key);
    });
    deps.releaseCache.invalidate(target.id);
    // After the commit: a failed object delete leaves an orphan file, never a row pointing at nothing.
    const results = await Promise.allSettled(storageKeys.map((key) => deps.storage.delete(key)));
    const failed = results.filter((result) => result.status === 'rejected').length;
    if (failed > 0) console.error(`app ${target.slug} deleted; ${failed} stored artifact(s) could not be removed`);
    return c.body(null, 204);
  });

  return app;
}


export const appRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag: 'Apps',
    summary: 'List apps',
    description: 'Apps this key can see (an app-scoped key sees only its own), each with its release count and latest published version.',
    auth: 'api-key',
    access: 'any key',
    responses: { 200: { description: 'the apps, by slug', schema: appListSchema } },
  },
  {
    method: 'post',
    path: '/',
    tag: 'Apps',
    summary: 'Register an app',
    description:
      'The slug becomes part of the updater URL and cannot change later. `public_key` is the updater key exactly as in ' +
      'tauri.conf.json (base64 of the whole .pub file); the raw "RW…" line is refused.',
    auth: 'api-key',
    access: 'admin scope, global key',
    body: createAppBodySchema,
    responses: {
      201: { description: 'the new app', schema: appSchema },
      403: { description: 'not a global admin key' },
      409: { description: 'the slug is taken' },
    },
  },
  {
    method: 'get',
    path: '/{app}',
    tag: 'Apps',
    summary: 'Show an app',
    auth: 'api-key',
    access: 'any key for this app',
    params: APP_PARAM,
    responses: { 200: { description: 'the app', schema: appSchema }, 404: { description: 'no such app, or not visible to this key' } },
  },
  {
    method: 'patch',
    path: '/{app}',
    tag: 'Apps',
    summary: 'Edit an app',
    description: 'Changes name, description or public_key. The slug cannot change (installed apps have it in their updater URL).',
    auth: 'api-key',
    access: 'admin scope',
    params: APP_PARAM,
    body: updateAppBodySchema,
    responses: {
      200: { description: 'the app after the change', schema: appSchema },
      403: { description: 'a CI key' },
      404: { description: 'no such app, or not visible to this key' },
    },
  },
  {
    method: 'delete',
    path: '/{app}',
    tag: 'Apps',
    summary: 'Delete an app',
    description: 'Deletes the app with its draft and archived releases, their artifacts and its API keys. Refused while any release is published.',
    auth: 'api-key',
    access: 'admin scope, global key',
    params: APP_PARAM,
    responses: {
      204: { description: 'deleted' },
      403: { description: 'not a global admin key' },
      404: { description: 'no such app' },
      409: { description: 'the app has published releases' },
    },
  },
]);
