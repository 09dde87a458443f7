/**
 * @module ci/release-view
 * The CI API's answers: a release as CI sees it (`protocol/ci.ts` `CiReleaseView`), with the update URL
 * for tauri.conf.json (`protocol/endpoints.ts`).
 */
import type { AppRow, ArtifactRow, ReleaseRow } from '../../../db/schema.ts';
import type { Db } from '../../../db/schema.ts';
import { artifactsOf } from '../releases/store.ts';
import type { CiReleaseView } from '../protocol/ci.ts';
import { dynamicUpdateUrl } from '../protocol/endpoints.ts';
import type { BundleType } from '../protocol/platforms.ts';

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
    installer_only: row.installer_only,
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
    notes: release.notes,
    update_url: dynamicUpdateUrl(publicUrl, app.slug),
  };
}
