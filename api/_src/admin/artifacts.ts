/**
 * @module admin/artifacts
 * Artifacts of one release, mounted at `/admin/apps/:app/releases/:release/artifacts`.
 *
 *   GET    /             the release's artifacts
 *   POST   /             multipart upload (fields, then the file part); upsert   admin or ci, drafts only
 *   DELETE /:artifact    remove one, with its stored object                      admin, drafts only
 *
 * An artifact is one (platform, bundle) of a release (`releases/slots.ts`). Uploading the same pair
 * again replaces the row and, once committed, the old object; each upload's bytes go to a key of their own
 * (`stagedKey`), so concurrent uploads cannot overwrite each other's. The bytes are checked as they stream
 * (`releases/ingest.ts`): a refusal answers 409/422 naming its rule, as the CI API does. Every refusal of an
 * upload, before its body is read or during it, lets the client finish sending (`http/refused-upload.ts`).
 */
import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import type { AppRow, ArtifactRow, ReleaseRow } from '../../../db/schema.ts';
import type { AppDeps } from '../deps.ts';
import { conflict, notFound } from '../http/errors.ts';
import { cleanUpAfterRefusal } from '../http/refused-upload.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import { stagedKey } from '../protocol/storage-keys.ts';
import { findAppFor } from '../auth/access.ts';
import { isUuid } from '../protocol/uuid.ts';
import { planUpload } from '../releases/artifact-plan.ts';
import { ingestCheck } from '../releases/ingest.ts';
import { checkFileNameFree, sameSlot } from '../releases/slots.ts';
import { artifactsOf, assertDraft, deleteUnreferencedObjects, deleteWithStorageCheckedFirst, findRelease, storeReadyArtifact } from '../releases/store.ts';
import { toArtifactBody } from '../releases/wire.ts';
import { receiveUpload } from './artifact-upload.ts';
import { audit } from '../audit/audit.ts';
import { type AdminEnv, principalOf, requireAdmin } from '../auth/authenticate.ts';

export { artifactRouteDocs } from './release-docs.ts';

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
        // Refuses a missing or wrong key before any byte is stored; every byte then goes through the check.
        const check = ingestCheck({ platform: plan.platform, fileName, signature: plan.signature }, app.public_key, release.version);
        // A key of this upload's own: two uploads of one file name at once would otherwise overwrite each other's
        // bytes, and the row of one could end up pointing at the other's.
        return { key: stagedKey(app.slug, release.version, randomUUID(), fileName), plan, check };
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
        const values = { platform, bundle, signature, storageKey: received.key, fileName: received.fileName, size: received.size, sha256: received.sha256, installerOnly: false };
        const row = await storeReadyArtifact(trx, release.id, values, received.keyId, isDefault);
        await audit(trx, principal, {
          action: previous ? 'artifact.replace' : 'artifact.upload',
          appId: app.id,
          target: `artifact:${row.id}`,
          details: { version: release.version, platform, bundle, file_name: row.file_name, size: row.size, sha256: row.sha256, is_default: row.is_default },
        });
        return { row, previous };
      });
    } catch (error) {
      await cleanUpAfterRefusal(`discarding the stored upload ${received.key}`, () => discard(received.key));
      throw error;
    }
    releaseCache.invalidate(app.id);
    if (result.previous) await discard(result.previous.storage_key);
    return c.json(toArtifactBody(app, release, result.row), result.previous ? 200 : 201);
  });

  routes.delete('/:artifact', async (c) => {
    const principal = principalOf(c);
    const app = await findAppFor(db, principal, c.req.param('app') ?? '');
    requireAdmin(principal);
    const artifactId = c.req.param('artifact');
    const removed = await deleteWithStorageCheckedFirst(db, storage, async (trx, requireStorageChecked) => {
      const release = await findRelease(trx, app, c.req.param('release') ?? '', true);
      const row = isUuid(artifactId)
        ? await trx.selectFrom('artifacts').selectAll().where('id', '=', artifactId.toLowerCase()).where('release_id', '=', release.id).executeTakeFirst()
        : undefined;
      if (!row) throw notFound(`artifact ${JSON.stringify(artifactId.slice(0, 100))} not found in release ${release.version}`);
      assertDraft(release, 'delete an artifact');
      requireStorageChecked();
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
