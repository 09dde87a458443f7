/**
 * @module admin/app-view
 * An app as the admin API shows it: the row plus its release count and latest published version; one app's view
 * (GET and PATCH) of a licensed app adds the public key its offline license files are signed with, made on first need.
 */
import type { Kysely } from 'kysely';
import type { AppRow, Database } from '../../../db/schema.ts';
import { ApiError } from '../http/api-error.ts';
import type { LicenseFileKeys } from '../licensing/file-keys.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import type { AppBody } from '../protocol/schemas.ts';
import { compareVersions, safeParseVersion, type Version } from '../protocol/semver.ts';

export interface ReleaseStats {
  releaseCount: number;
  latestVersion: string | null;
}

const NO_RELEASES: ReleaseStats = { releaseCount: 0, latestVersion: null };

/** Release count and highest published version for each app id (two queries, whatever the number of apps). */
export async function releaseStats(db: Kysely<Database>, appIds: readonly string[]): Promise<Map<string, ReleaseStats>> {
  const stats = new Map<string, ReleaseStats>();
  if (appIds.length === 0) return stats;
  const counts = await db
    .selectFrom('releases')
    .select(['app_id', (eb) => eb.fn.countAll<number | string>().as('count')])
    .where('app_id', 'in', appIds)
    .groupBy('app_id')
    .execute();
  for (const row of counts) stats.set(row.app_id, { releaseCount: Number(row.count), latestVersion: null });
  // Versions sort by semver, not text ("1.10.0" > "1.9.0"), so the maximum is taken here.
  const published = await db
    .selectFrom('releases')
    .select(['app_id', 'version'])
    .where('app_id', 'in', appIds)
    .where('status', '=', 'published')
    .execute();
  const highest = new Map<string, Version>();
  for (const { app_id, version } of published) {
    const parsed = safeParseVersion(version);
    const entry = stats.get(app_id);
    if (!parsed.success || !entry) continue;
    const best = highest.get(app_id);
    if (best === undefined || compareVersions(parsed.version, best) > 0) {
      highest.set(app_id, parsed.version);
      entry.latestVersion = version;
    }
  }
  return stats;
}

export function toAppBody(row: AppRow, stats: ReleaseStats = NO_RELEASES): AppBody {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    public_key: row.public_key,
    public_key_id: tauriPublicKeyId(row.public_key),
    release_count: stats.releaseCount,
    latest_version: stats.latestVersion,
    download_page: row.download_page,
    public_installers: row.public_installers,
    created_at: row.created_at.toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** The key, or null on a server without SECRETS_KEY (it cannot sign license files either). */
async function licenseFileKey(fileKeys: Pick<LicenseFileKeys, 'publicBody'>, row: AppRow): Promise<AppBody['license_file_key']> {
  if (row.licensing !== 'licensed') return undefined;
  try {
    return await fileKeys.publicBody(row.id);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'secrets_key_missing') return null;
    throw error;
  }
}

export async function appBody(db: Kysely<Database>, row: AppRow, fileKeys: Pick<LicenseFileKeys, 'publicBody'>): Promise<AppBody> {
  const [stats, key] = await Promise.all([releaseStats(db, [row.id]), licenseFileKey(fileKeys, row)]);
  const body = toAppBody(row, stats.get(row.id));
  return key === undefined ? body : { ...body, license_file_key: key };
}
