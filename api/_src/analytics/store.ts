/**
 * @module analytics/store
 * Queries over the aggregated counters (migration 0006). One flush is ONE statement whatever its size:
 * the rows travel as a single JSON parameter unpacked by `jsonb_to_recordset`, so there is no
 * parameter limit to chunk around, and `INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`
 * adds them to what other instances wrote. When both tables have rows, the update-check insert rides
 * in a data-modifying CTE of the download insert.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import { normalizeVersion } from '../protocol/semver.ts';
import type { CheckCount, CountBatch, DownloadCount } from './counters.ts';

/**
 * ON CONFLICT DO UPDATE may touch a row once per statement, so rows that become one after the
 * version is normalised (`v1.2.0` and `1.2.0`) are added up here first.
 */
export function checkRows(counts: readonly CheckCount[]): Record<string, unknown>[] {
  const rows = new Map<string, { app_id: string; day: string; version: string; platform: string; channel: string; country: string; checks: number; installs: number; anonymous_checks: number }>();
  for (const c of counts) {
    const version = normalizeVersion(c.version) ?? c.version;
    const key = [c.appId, c.day, version, c.platform, c.channel, c.country].join('\n');
    const row = rows.get(key);
    if (row) {
      row.checks += c.checks;
      row.installs += c.installs;
      row.anonymous_checks += c.anonymousChecks;
    } else {
      rows.set(key, { app_id: c.appId, day: c.day, version, platform: c.platform, channel: c.channel, country: c.country, checks: c.checks, installs: c.installs, anonymous_checks: c.anonymousChecks });
    }
  }
  return [...rows.values()];
}

export function downloadRows(counts: readonly DownloadCount[]): Record<string, unknown>[] {
  return counts.map((d) => ({ app_id: d.appId, day: d.day, version: d.version, file_name: d.fileName, platform: d.platform, bundle: d.bundle, country: d.country, downloads: d.downloads }));
}

// `join apps`: counts of an app deleted since they were taken are dropped rather than failing the
// foreign key and, with it, every later flush.
const insertChecks = (json: string) => sql`
  insert into update_check_counts as t (app_id, day, version, platform, channel, country, checks, installs, anonymous_checks)
  select r.app_id, r.day, r.version, r.platform, r.channel, r.country, r.checks, r.installs, r.anonymous_checks
  from jsonb_to_recordset(${json}::jsonb) as r(app_id uuid, day date, version text, platform text, channel text, country text, checks int8, installs int8, anonymous_checks int8)
  join apps on apps.id = r.app_id
  on conflict (app_id, day, version, platform, channel, country) do update set
    checks = t.checks + excluded.checks,
    installs = t.installs + excluded.installs,
    anonymous_checks = t.anonymous_checks + excluded.anonymous_checks`;

const insertDownloads = (json: string) => sql`
  insert into download_counts as t (app_id, day, version, file_name, platform, bundle, country, downloads)
  select r.app_id, r.day, r.version, r.file_name, r.platform, r.bundle, r.country, r.downloads
  from jsonb_to_recordset(${json}::jsonb) as r(app_id uuid, day date, version text, file_name text, platform text, bundle text, country text, downloads int8)
  join apps on apps.id = r.app_id
  on conflict (app_id, day, version, file_name, country) do update set downloads = t.downloads + excluded.downloads`;

/** Adds a drained batch to the tables in one statement; resolves false when there was nothing to write. */
export async function writeCounts(db: Kysely<Database>, batch: CountBatch): Promise<boolean> {
  const checks = batch.checks.length ? JSON.stringify(checkRows(batch.checks)) : null;
  const downloads = batch.downloads.length ? JSON.stringify(downloadRows(batch.downloads)) : null;
  if (checks && downloads) {
    await sql`with checks as (${insertChecks(checks)}) ${insertDownloads(downloads)}`.execute(db);
  } else if (checks) {
    await insertChecks(checks).execute(db);
  } else if (downloads) {
    await insertDownloads(downloads).execute(db);
  } else {
    return false;
  }
  return true;
}
