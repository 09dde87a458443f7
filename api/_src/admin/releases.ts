/**
 * @module admin/releases
 * Releases of one app, mounted at `/admin/apps/:app/releases`.
 *
 *   GET    /                  list (filter, search, page), newest first by semver
 *   POST   /                  create a draft                         admin or ci
 *   GET    /:release          one release with its artifacts          (`:release` is an id or a version)
 *   PATCH  /:release          notes, channel, rollout, critical,      ci only on drafts, without status
 *                             min_supported_version, status
 *   POST   /:release/yank     see release-policy.ts
 *   DELETE /:release          drafts only, with their stored objects  admin
 *   POST   /:release/publish  draft|archived → published              admin
 *   POST   /:release/archive  published → archived                   admin
 *
 * Every mutation writes its audit row in the same transaction, then drops the app's cached releases, then
 * tells `deps.events` what clients will see change (publish, archive, a live release's rollout or channel).
 */
import { type Context, Hono } from 'hono';
import { sql } from 'kysely';
import type { AppRow, ReleaseRow, ReleaseStatus, ReleaseUpdate } from '../../../db/schema.ts';
import type { AppDeps } from '../deps.ts';
import { conflict } from '../http/errors.ts';
import {
  createReleaseBodySchema,
  listReleasesQuerySchema,
  updateReleaseBodySchema,
  type UpdateReleaseBody,
} from '../protocol/schemas.ts';
import { findAppFor } from '../auth/access.ts';
import { audit } from '../audit/audit.ts';
import { type AdminEnv, type Principal, principalOf, requireAdmin } from '../auth/authenticate.ts';
import type { Db } from '../../../db/schema.ts';
import { artifactsOf, byVersionDescending, deleteUnreferencedObjects, deleteWithStorageCheckedFirst, findRelease } from '../releases/store.ts';
import { changeStatus, checkTransition, statusAction, statusChange, withPublishChecks } from '../releases/status.ts';
import { patchEvent, releaseEvent } from '../releases/events.ts';
import { releaseBody, toReleaseSummary } from '../releases/wire.ts';
import { checkMinimumVersion } from './release-policy.ts';
import { loggedError } from '../http/logged-error.ts';
import { readJson, readQuery } from '../http/request.ts';

export { releaseRouteDocs } from './release-docs.ts';

/** `%`, `_` and `\` match themselves in the search. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function releaseRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db, storage, releaseCache, events } = deps;
  const routes = new Hono<AdminEnv>();
  const appOf = (c: Context<AdminEnv>, principal: Principal) => findAppFor(db, principal, c.req.param('app') ?? '');

  routes.get('/', async (c) => {
    const app = await appOf(c, principalOf(c));
    const query = readQuery(c, listReleasesQuerySchema);
    let select = db.selectFrom('releases').select(['id', 'version']).where('app_id', '=', app.id);
    if (query.status !== 'all') select = select.where('status', '=', query.status);
    if (query.channel) select = select.where('channel', '=', query.channel);
    if (query.q) {
      const pattern = likePattern(query.q);
      select = select.where((eb) => eb.or([eb('version', 'ilike', pattern), eb(sql`coalesce(notes, '')`, 'ilike', pattern)]));
    }
    // Semver order cannot be expressed in SQL, so ids and versions are sorted here and one page is loaded.
    const matching = (await select.execute()).sort(byVersionDescending);
    const pageIds = matching.slice(query.offset, query.offset + query.limit).map((row) => row.id);
    const rows = pageIds.length ? await db.selectFrom('releases').selectAll().where('id', 'in', pageIds).execute() : [];
    const artifacts = await artifactsOf(db, pageIds);
    const releases = rows.sort(byVersionDescending).map((row) => toReleaseSummary(row, artifacts.filter((a) => a.release_id === row.id)));
    return c.json({ releases, total: matching.length });
  });

  routes.post('/', async (c) => {
    const principal = principalOf(c);
    const app = await appOf(c, principal);
    const body = await readJson(c, createReleaseBodySchema);
    const release = await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('releases')
        .values({ app_id: app.id, version: body.version, notes: body.notes ?? null, channel: body.channel, rollout_percent: body.rollout_percent })
        .onConflict((oc) => oc.constraint('releases_app_version_unique').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!row) throw conflict(`release ${body.version} already exists in app ${app.slug}; versions are unique per app`);
      await audit(trx, principal, {
        action: 'release.create',
        appId: app.id,
        target: `release:${row.id}`,
        details: { version: row.version, channel: row.channel, rollout_percent: row.rollout_percent },
      });
      return row;
    });
    releaseCache.invalidate(app.id);
    return c.json(await releaseBody(db, app, release), 201);
  });

  routes.get('/:release', async (c) => {
    const app = await appOf(c, principalOf(c));
    const release = await findRelease(db, app, c.req.param('release'));
    return c.json(await releaseBody(db, app, release));
  });

  routes.patch('/:release', async (c) => {
    const principal = principalOf(c);
    const app = await appOf(c, principal);
    const body = await readJson(c, updateReleaseBodySchema);
    const { before, release } = await withPublishChecks(db, storage, async (trx, checkPublishable) => {
      const current = await findRelease(trx, app, c.req.param('release'), true);
      // CI may fix up the draft it is building; live releases and status changes are an admin's call.
      if (current.status !== 'draft' || body.status !== undefined) requireAdmin(principal);
      const changes = await plannedChanges(trx, current, body);
      if (body.status === 'published' && current.status !== 'published') await checkPublishable(current);
      if (Object.keys(changes).length === 0) return { before: current, release: current };
      const updated = await trx
        .updateTable('releases')
        .set({ ...changes, updated_at: new Date() })
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const statusChanged = body.status !== undefined && body.status !== current.status;
      await audit(trx, principal, {
        action: statusChanged ? statusAction(body.status!) : 'release.update',
        appId: app.id,
        target: `release:${current.id}`,
        details: { version: updated.version, changes },
      });
      return { before: current, release: updated };
    });
    releaseCache.invalidate(app.id);
    const event = patchEvent(app, before, release, principal);
    if (event) await events.emit(event);
    // Notes, critical or the minimum version of a live release: no event, but its latest.json must say it too.
    else if (release !== before && release.status === 'published') await syncStaticManifests(deps, app);
    return c.json(await releaseBody(db, app, release));
  });

  routes.delete('/:release', async (c) => {
    const principal = principalOf(c);
    const app = await appOf(c, principal);
    requireAdmin(principal);
    const keys = await deleteWithStorageCheckedFirst(db, storage, async (trx, requireStorageChecked) => {
      const release = await findRelease(trx, app, c.req.param('release'), true);
      if (release.status !== 'draft') {
        throw conflict(
          `cannot delete release ${release.version}: it is ${release.status}, and only drafts can be deleted` +
            (release.status === 'published' ? '; archive it instead (POST …/archive)' : ''),
        );
      }
      const artifacts = await artifactsOf(trx, [release.id]);
      if (artifacts.length > 0) requireStorageChecked();
      // A CI upload a re-run superseded before it was completed has staged bytes no artifact row names.
      const uploads = await trx.selectFrom('artifact_uploads').select('storage_key').where('release_id', '=', release.id).execute();
      await trx.deleteFrom('releases').where('id', '=', release.id).execute(); // artifacts and uploads cascade
      await audit(trx, principal, {
        action: 'release.delete',
        appId: app.id,
        target: `release:${release.id}`,
        details: { version: release.version, artifacts: artifacts.map((a) => a.file_name) },
      });
      return [...artifacts.map((a) => a.storage_key), ...uploads.map((u) => u.storage_key)];
    });
    releaseCache.invalidate(app.id);
    await deleteUnreferencedObjects(db, storage, keys);
    return c.body(null, 204);
  });

  const statusRoute = (to: ReleaseStatus, endpoint: 'publish' | 'archive') =>
    routes.post(`/:release/${endpoint}`, async (c) => {
      const principal = principalOf(c);
      const app = await appOf(c, principal);
      requireAdmin(principal);
      const release = await withPublishChecks(db, storage, async (trx, checkPublishable) => {
        const current = await findRelease(trx, app, c.req.param('release'), true);
        checkTransition(current, to, endpoint);
        if (to === 'published') await checkPublishable(current);
        return changeStatus(trx, principal, app, current, to);
      });
      releaseCache.invalidate(app.id);
      await events.emit(releaseEvent(to === 'published' ? 'release.published' : 'release.archived', app, release, principal));
      return c.json(await releaseBody(db, app, release));
    });
  statusRoute('published', 'publish');
  statusRoute('archived', 'archive');

  return routes;
}

/** A failure is logged, as a listener's is: the change is committed, and the previous file stays. */
async function syncStaticManifests(deps: AppDeps, app: AppRow): Promise<void> {
  await deps.staticManifests.sync(app.id, app.slug).catch((error: unknown) => {
    console.error(`static manifests of ${app.slug} not rewritten: ${loggedError(error)}`);
  });
}

/** The columns a PATCH changes, after checking the status transition and version immutability. */
async function plannedChanges(trx: Db, current: ReleaseRow, body: UpdateReleaseBody): Promise<ReleaseUpdate> {
  const changes: ReleaseUpdate = {};
  if (body.version !== undefined && body.version !== current.version) {
    if (current.status !== 'draft') {
      throw conflict(`the version of release ${current.version} cannot change: it has been published; create a new release instead`);
    }
    // Stored objects and download paths are named after the version.
    if ((await artifactsOf(trx, [current.id])).length > 0) {
      throw conflict(`the version of draft ${current.version} cannot change while it has artifacts; delete them first or create a new release`);
    }
    const taken = await trx.selectFrom('releases').select('id').where('app_id', '=', current.app_id).where('version', '=', body.version).executeTakeFirst();
    if (taken) throw conflict(`release ${body.version} already exists in this app; versions are unique per app`);
    changes.version = body.version;
  }
  if (body.notes !== undefined && body.notes !== current.notes) changes.notes = body.notes;
  if (body.channel !== undefined && body.channel !== current.channel) changes.channel = body.channel;
  if (body.rollout_percent !== undefined && body.rollout_percent !== current.rollout_percent) changes.rollout_percent = body.rollout_percent;
  if (body.critical !== undefined && body.critical !== current.critical) changes.critical = body.critical;
  if (body.min_supported_version !== undefined && body.min_supported_version !== current.min_supported_version) {
    checkMinimumVersion(current.version, body.min_supported_version);
    changes.min_supported_version = body.min_supported_version;
  }
  if (body.status !== undefined && body.status !== current.status) {
    checkTransition(current, body.status, 'patch');
    Object.assign(changes, statusChange(current, body.status));
  }
  return changes;
}
