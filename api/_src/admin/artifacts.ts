/**
 * @module admin/artifacts
 * Artifacts of one release, mounted at `/admin/apps/:app/releases/:release/artifacts`.
 *
 *   GET    /             the release's artifacts
 *   POST   /             multipart upload (fields, then the file part); upsert   admin or ci, drafts only
 *   DELETE /:artifact    remove one, with its stored object                      admin, drafts only
 *
 * An artifact is one (platform, bundle) of a release. Uploading the same pair again replaces the row
 * and, once committed, the old object. File names are unique within a release, because both the
 * storage key and the download path are built from them.
 */
import { type Context, Hono } from 'hono';
import type { AppRow, ArtifactRow, ReleaseRow } from '../../../db/schema.ts';
import type { AppDeps } from '../deps.ts';
import { conflict, notFound } from '../http/errors.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import { artifactKey } from '../protocol/storage-keys.ts';
import { findAppFor, isUuid } from '../auth/access.ts';
import { planUpload, signatureInspector } from './artifact-checks.ts';
import { receiveUpload } from './artifact-upload.ts';
import { audit } from '../audit/audit.ts';
import { type AdminEnv, principalOf, requireAdmin } from '../auth/authenticate.ts';
import { artifactsOf, assertDraft, deleteUnreferencedObjects, findRelease, storeReadyArtifact, toArtifactBody } from './release-store.ts';

export { artifactRouteDocs } from './release-docs.ts';

export const sameSlot = (row: ArtifactRow, platform: string, bundle: string | null) => row.platform === platform && row.bundle === bundle;

/** The file name must not belong to another (platform, bundle) of this release. */
export function checkFileNameFree(existing: readonly ArtifactRow[], fileName: string, platform: string, bundle: string): void {
  const clash = existing.find((row) => row.file_name === fileName && !sameSlot(row, platform, bundle));
  if (clash) {
    throw conflict(
      `file name ${JSON.stringify(fileName)} is already used by the ${clash.platform}${clash.bundle ? ` ${clash.bundle}` : ''} artifact of this release; ` +
        'file names are unique per release, so rename one (e.g. add the architecture: My App_aarch64.app.tar.gz)',
    );
  }
}

export function artifactRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db, storage, releaseCache } = deps;
  const routes = new Hono<AdminEnv>();
  const load = async (c: Context<AdminEnv>): Promise<{ app: AppRow; release: ReleaseRow }> => {
    const app = await findAppFor(db, principalOf(c), c.req.param('app') ?? '');
    return { app, release: await findRelease(db, app, c.req.param('release') ?? '') };
  };
  const discard = (key: string) => deleteUnreferencedObjects(db, storage, [key]);

  routes.get('/', async (c) => {
    const { app, release } = await load(c);
    const rows = await artifactsOf(db, [release.id]);
    return c.json({ artifacts: rows.map((row) => toArtifactBody(app, release, row)) });
  });

  routes.post('/', async (c) => {
    const principal = principalOf(c);
    const { app, release } = await load(c);
    assertDraft(release, 'upload an artifact');
    const existing = await artifactsOf(db, [release.id]);
    const received = await receiveUpload(c.req.raw, {
      storage,
      discard,
      plan(fields, fileName) {
        const plan = planUpload(fields, fileName);
        checkFileNameFree(existing, fileName, plan.platform, plan.bundle);
        const inspector = signatureInspector(app, release.version, plan.signature);
        return { key: artifactKey(app.slug, release.version, fileName), plan, inspector };
      },
    });
    const { platform, bundle, signature, isDefault } = received.plan;
    let result: { row: ArtifactRow; previous: ArtifactRow | undefined };
    try {
      result = await db.transaction().execute(async (trx) => {
        // Re-checked under the release's lock: it may have been published or renamed while the bytes streamed.
        const locked = await findRelease(trx, app, release.id, true);
        assertDraft(locked, 'upload an artifact');
        if (locked.version !== release.version) throw conflict(`release ${release.version} was renamed to ${locked.version} during the upload; upload again`);
        const current = await artifactsOf(trx, [release.id]);
        checkFileNameFree(current, received.fileName, platform, bundle);
        const previous = current.find((row) => sameSlot(row, platform, bundle));
        if (isDefault) {
          // One default per platform (artifacts_release_platform_default_unique).
          await trx.updateTable('artifacts').set({ is_default: false }).where('release_id', '=', release.id).where('platform', '=', platform).where('is_default', '=', true).execute();
        }
        // signatureInspector verified the bytes against the app's key whenever it had one.
        const values = { platform, bundle, signature, storageKey: received.key, fileName: received.fileName, size: received.size, sha256: received.sha256 };
        const row = await storeReadyArtifact(trx, release.id, values, tauriPublicKeyId(app.public_key), isDefault);
        await audit(trx, principal, {
          action: previous ? 'artifact.replace' : 'artifact.upload',
          appId: app.id,
          target: `artifact:${row.id}`,
          details: { version: release.version, platform, bundle, file_name: row.file_name, size: row.size, sha256: row.sha256, is_default: row.is_default },
        });
        return { row, previous };
      });
    } catch (error) {
      // Kept if a row still points at it (a same-name replace); publish then checks the stored size.
      await discard(received.key);
      throw error;
    }
    releaseCache.invalidate(app.id);
    if (result.previous && result.previous.storage_key !== received.key) await discard(result.previous.storage_key);
    return c.json(toArtifactBody(app, release, result.row), result.previous ? 200 : 201);
  });

  routes.delete('/:artifact', async (c) => {
    const principal = principalOf(c);
    const app = await findAppFor(db, principal, c.req.param('app') ?? '');
    requireAdmin(principal);
    const artifactId = c.req.param('artifact');
    const removed = await db.transaction().execute(async (trx) => {
      const release = await findRelease(trx, app, c.req.param('release') ?? '', true);
      const row = isUuid(artifactId)
        ? await trx.selectFrom('artifacts').selectAll().where('id', '=', artifactId.toLowerCase()).where('release_id', '=', release.id).executeTakeFirst()
        : undefined;
      if (!row) throw notFound(`artifact ${JSON.stringify(artifactId.slice(0, 100))} not found in release ${release.version}`);
      assertDraft(release, 'delete an artifact');
      await trx.deleteFrom('artifacts').where('id', '=', row.id).execute();
      await audit(trx, principal, {
        action: 'artifact.delete',
        appId: app.id,
        target: `artifact:${row.id}`,
        details: { version: release.version, platform: row.platform, bundle: row.bundle, file_name: row.file_name },
      });
      return row;
    });
    releaseCache.invalidate(app.id);
    await discard(removed.storage_key);
    return c.body(null, 204);
  });

  return routes;
}
