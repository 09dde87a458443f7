/**
 * @module admin/release-policy
 * Yanking, mounted next to `releases.ts` at `/admin/apps/:app/releases`:
 *
 *   POST   /:release/yank   {replacement?, reason?}   published|archived → archived + yanked   admin
 *   DELETE /:release/yank                              clears the yank (stays archived)       admin
 *
 * A yanked release is archived, so nothing offers it any more (the update check, the static manifest),
 * and installs already running it are offered the replacement, a published release of the same app,
 * even when its version is lower. Tauri installs a lower version only when the app allows downgrades
 * (`allowDowngrades`, or a version comparator): see the README. Yanking again changes the replacement.
 * Publishing a yanked release again (POST …/publish) serves it as usual; it stays marked until
 * DELETE …/yank.
 *
 * Rollout, critical and minimum-version changes go through `PATCH /:release` (releases.ts);
 * `checkMinimumVersion` is its rule for the latter.
 */
import { type Context, Hono } from 'hono';
import type { AppRow, ReleaseRow } from '../../../db/schema.ts';
import type { AppDeps } from '../deps.ts';
import { APP_PARAM, defineRoutes, NEEDS_ADMIN_SCOPE, RELEASE_PARAM } from '../docs/registry.ts';
import { badRequest, conflict } from '../http/errors.ts';
import { releaseSchema, yankReleaseBodySchema } from '../protocol/schemas.ts';
import { compareVersions, parseVersion } from '../protocol/semver.ts';
import { findAppFor } from '../auth/access.ts';
import { audit } from '../audit/audit.ts';
import { type AdminEnv, type Principal, principalOf, requireAdmin } from '../auth/authenticate.ts';
import { releaseEvent } from '../releases/events.ts';
import type { Db } from '../../../db/schema.ts';
import { findRelease } from '../releases/store.ts';
import { releaseBody } from '../releases/wire.ts';
import { readOptionalJson } from '../http/request.ts';

/** A minimum supported version above the release's own would leave even its updated installs "below minimum". */
export function checkMinimumVersion(releaseVersion: string, minimum: string | null): void {
  if (minimum === null) return;
  if (compareVersions(parseVersion(minimum), parseVersion(releaseVersion)) > 0) {
    throw badRequest(`min_supported_version ${minimum} is higher than the release's own version ${releaseVersion}`);
  }
}

async function findReplacement(trx: Db, app: AppRow, yanked: ReleaseRow, idOrVersion: string): Promise<ReleaseRow> {
  const replacement = await findRelease(trx, app, idOrVersion);
  if (replacement.id === yanked.id) throw conflict(`release ${yanked.version} cannot replace itself`);
  if (replacement.status !== 'published') {
    throw conflict(
      `the replacement ${replacement.version} is ${replacement.status}; only a published release can be offered (publish it first)`,
    );
  }
  return replacement;
}

export function releasePolicyRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db, releaseCache, events } = deps;
  const routes = new Hono<AdminEnv>();
  const appOf = (c: Context<AdminEnv>, principal: Principal) => findAppFor(db, principal, c.req.param('app') ?? '');

  routes.post('/:release/yank', async (c) => {
    const principal = principalOf(c);
    const app = await appOf(c, principal);
    requireAdmin(principal);
    const body = await readOptionalJson(c, yankReleaseBodySchema); // POST …/yank may come without a body
    const { release, before, replacement } = await db.transaction().execute(async (trx) => {
      const current = await findRelease(trx, app, c.req.param('release'), true);
      if (current.status === 'draft') {
        throw conflict(`release ${current.version} is a draft and was never offered; delete it instead (DELETE …/releases/{id})`);
      }
      const replacement = body.replacement === undefined ? null : await findReplacement(trx, app, current, body.replacement);
      const updated = await trx
        .updateTable('releases')
        .set({
          status: 'archived',
          yanked_at: current.yanked_at ?? new Date(),
          replacement_release_id: replacement?.id ?? null,
          updated_at: new Date(),
        })
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(trx, principal, {
        action: 'release.yank',
        appId: app.id,
        target: `release:${current.id}`,
        details: {
          version: current.version,
          from: current.status,
          replacement: replacement && { id: replacement.id, version: replacement.version },
          ...(body.reason ? { reason: body.reason } : {}),
        },
      });
      return { release: updated, before: current, replacement };
    });
    releaseCache.invalidate(app.id);
    await events.emit(
      releaseEvent('release.yanked', app, release, principal, {
        previous_status: before.status,
        replacement_release_id: replacement?.id ?? null,
        replacement_version: replacement?.version ?? null,
        ...(body.reason ? { reason: body.reason } : {}),
      }),
    );
    return c.json(await releaseBody(db, app, release));
  });

  routes.delete('/:release/yank', async (c) => {
    const principal = principalOf(c);
    const app = await appOf(c, principal);
    requireAdmin(principal);
    const release = await db.transaction().execute(async (trx) => {
      const current = await findRelease(trx, app, c.req.param('release'), true);
      if (current.yanked_at === null) throw conflict(`release ${current.version} is not yanked`);
      const updated = await trx
        .updateTable('releases')
        .set({ yanked_at: null, replacement_release_id: null, updated_at: new Date() })
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(trx, principal, {
        action: 'release.unyank',
        appId: app.id,
        target: `release:${current.id}`,
        details: { version: current.version, status: current.status, replacement_release_id: current.replacement_release_id },
      });
      return updated;
    });
    // Installs on it are no longer steered to the replacement; nothing else a client sees changes, so no event.
    releaseCache.invalidate(app.id);
    return c.json(await releaseBody(db, app, release));
  });

  return routes;
}

const params = { ...APP_PARAM, ...RELEASE_PARAM };

export const releasePolicyRouteDocs = defineRoutes([
  {
    method: 'post',
    path: '/{release}/yank',
    tag: 'Releases',
    summary: 'Yank a release',
    description:
      'published or archived → archived and yanked: no longer offered to anyone, at once on this instance and within the ' +
      'update cache TTL on others. Installs already running it are offered `replacement` (a published release of this app), ' +
      'even when its version is lower — the app must allow downgrades (Tauri `allowDowngrades` or a version comparator). ' +
      'Without a replacement, they simply get the newest release they are eligible for once there is one. Yanking again ' +
      'changes the replacement. The body may be omitted. Emits `release.yanked`.',
    auth: 'api-key',
    access: 'admin scope',
    params,
    body: yankReleaseBodySchema,
    responses: {
      200: { description: 'the yanked release', schema: releaseSchema },
      403: NEEDS_ADMIN_SCOPE,
      404: { description: 'no such app, release or replacement' },
      409: { description: 'a draft, or a replacement that is not published or is the release itself' },
    },
  },
  {
    method: 'delete',
    path: '/{release}/yank',
    tag: 'Releases',
    summary: 'Clear a yank',
    description: 'Installs on the release are no longer steered to the replacement. The release stays archived; publish it to serve it again.',
    auth: 'api-key',
    access: 'admin scope',
    params,
    responses: {
      200: { description: 'the release', schema: releaseSchema },
      403: NEEDS_ADMIN_SCOPE,
      404: { description: 'no such app or release' },
      409: { description: 'the release is not yanked' },
    },
  },
]);
