/**
 * @module ci/artifact-store
 * Queries of the CI API over `artifacts` and `artifact_uploads`. Functions take `db` or a transaction
 * first; the routes own the transactions. Writes that parallel matrix legs race on are single
 * `INSERT … ON CONFLICT` statements on the unique (release, platform, bundle) index; storing a ready
 * artifact is `storeReadyArtifact` of admin/release-store.ts, which the admin upload uses too.
 */
import type { AppRow, ArtifactRow, ArtifactUploadRow, ReleaseRow } from '../../../db/schema.ts';
import { ARTIFACT_SLOT, type ArtifactValues, artifactRowValues, artifactsOf, type Db } from '../admin/release-store.ts';
import type { CiReleaseView } from '../protocol/ci.ts';
import { dynamicUpdateUrl } from '../protocol/endpoints.ts';
import type { BundleType } from '../protocol/platforms.ts';

/**
 * Registers a requested upload: a new (platform, bundle) gets a `pending` row, a pending row takes the new
 * declaration, and a `ready` row is left as it is (it keeps being the artifact until the upload completes).
 */
export async function registerPendingArtifact(trx: Db, releaseId: string, values: ArtifactValues): Promise<ArtifactRow> {
  const inserted = await trx
    .insertInto('artifacts')
    .values(artifactRowValues(releaseId, values, 'pending', null))
    .onConflict((oc) =>
      oc
        .expression(ARTIFACT_SLOT)
        .doUpdateSet((eb) => ({
          signature: eb.ref('excluded.signature'),
          storage_key: eb.ref('excluded.storage_key'),
          file_name: eb.ref('excluded.file_name'),
          size: eb.ref('excluded.size'),
          sha256: eb.ref('excluded.sha256'),
        }))
        .where('artifacts.state', '=', 'pending'),
    )
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  return trx
    .selectFrom('artifacts')
    .selectAll()
    .where('release_id', '=', releaseId)
    .where('platform', '=', values.platform)
    .where('bundle', '=', values.bundle)
    .executeTakeFirstOrThrow();
}

export async function findUpload(db: Db, releaseId: string, uploadId: string): Promise<ArtifactUploadRow | undefined> {
  return db.selectFrom('artifact_uploads').selectAll().where('id', '=', uploadId).where('release_id', '=', releaseId).executeTakeFirst();
}

export const uploadValues = (upload: ArtifactUploadRow): ArtifactValues => ({
  platform: upload.platform,
  bundle: upload.bundle as BundleType,
  fileName: upload.file_name,
  size: upload.size,
  sha256: upload.sha256,
  signature: upload.signature,
  storageKey: upload.storage_key,
});

// ---- wire mapping ---------------------------------------------------------------------------------

export function toCiArtifactView(row: ArtifactRow) {
  return {
    id: row.id,
    platform: row.platform,
    bundle: row.bundle as BundleType | null,
    file_name: row.file_name,
    size: row.size,
    sha256: row.sha256,
    state: row.state,
    verified_key_id: row.verified_key_id,
  };
}

export async function ciReleaseView(db: Db, publicUrl: string, app: AppRow, release: ReleaseRow): Promise<CiReleaseView> {
  const artifacts = await artifactsOf(db, [release.id]);
  return {
    id: release.id,
    version: release.version,
    status: release.status,
    channel: release.channel,
    artifacts: artifacts.map(toCiArtifactView),
    update_url: dynamicUpdateUrl(publicUrl, app.slug),
  };
}
