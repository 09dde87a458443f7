/**
 * @module releases/wire
 * Releases and artifacts as the admin API answers them (`protocol/schemas.ts`).
 */
import type { AppRow, ArtifactRow, ReleaseRow } from '../../../db/schema.ts';
import type { BundleType } from '../protocol/platforms.ts';
import type { ArtifactBody, ReleaseBody, ReleaseSummaryBody } from '../protocol/schemas.ts';
import { signatureKeyId } from './artifact-plan.ts';
import type { Db } from '../../../db/schema.ts';
import { artifactsOf } from './store.ts';

const iso = (value: Date | string): string => new Date(value).toISOString();

export function downloadPath(app: AppRow, version: string, fileName: string): string {
  return `/download/${app.slug}/${encodeURIComponent(version)}/${encodeURIComponent(fileName)}`;
}

export function toArtifactBody(app: AppRow, release: ReleaseRow, row: ArtifactRow): ArtifactBody {
  return {
    id: row.id,
    platform: row.platform,
    bundle: row.bundle as BundleType | null,
    file_name: row.file_name,
    size: row.size,
    is_default: row.is_default,
    sha256: row.sha256,
    signature: row.signature,
    signature_key_id: signatureKeyId(row.signature),
    state: row.state,
    verified_key_id: row.verified_key_id,
    download_path: downloadPath(app, release.version, row.file_name),
    installer_only: row.installer_only,
    created_at: iso(row.created_at),
  };
}

function releaseFields(row: ReleaseRow) {
  return {
    id: row.id,
    app_id: row.app_id,
    version: row.version,
    status: row.status,
    channel: row.channel,
    rollout_percent: row.rollout_percent,
    notes: row.notes,
    pub_date: row.pub_date === null ? null : iso(row.pub_date),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    critical: row.critical,
    min_supported_version: row.min_supported_version,
    yanked_at: row.yanked_at === null ? null : iso(row.yanked_at),
    replacement_release_id: row.replacement_release_id,
  };
}

export function toReleaseBody(app: AppRow, row: ReleaseRow, artifacts: readonly ArtifactRow[]): ReleaseBody {
  return { ...releaseFields(row), artifacts: artifacts.map((artifact) => toArtifactBody(app, row, artifact)) };
}

export function toReleaseSummary(row: ReleaseRow, artifacts: readonly ArtifactRow[]): ReleaseSummaryBody {
  return {
    ...releaseFields(row),
    artifacts: artifacts.map(({ id, platform, bundle, file_name, size, is_default }) => ({
      id,
      platform,
      bundle: bundle as BundleType | null,
      file_name,
      size,
      is_default,
    })),
  };
}

export async function releaseBody(db: Db, app: AppRow, release: ReleaseRow): Promise<ReleaseBody> {
  return toReleaseBody(app, release, await artifactsOf(db, [release.id]));
}
