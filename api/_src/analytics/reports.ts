/**
 * @module analytics/reports
 * Read side of the counters: downloads per version per day, update checks, and adoption. Each report
 * is a grouped sum over the primary key's leading columns (app_id, day), so a window is an index range.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import { badRequest } from '../http/errors.ts';
import { compareVersions, normalizeVersion, safeParseVersion } from '../protocol/semver.ts';
import { NO_COUNTRY } from './country.ts';
import { type AdoptionReport, type ChecksReport, type DownloadsReport, MAX_WINDOW_DAYS } from '../protocol/analytics.ts';

const DAY_MS = 86_400_000;

export interface Window {
  from: string;
  to: string;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** `to` defaults to today (UTC), `from` to `defaultDays` days ending at `to`; refuses an inverted or too long window. */
export function resolveWindow(query: { from?: string | undefined; to?: string | undefined }, defaultDays: number, now = Date.now()): Window {
  const to = query.to ?? dayOf(now);
  const toMs = Date.parse(`${to}T00:00:00Z`);
  const from = query.from ?? dayOf(toMs - (defaultDays - 1) * DAY_MS);
  const days = (toMs - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days < 1) throw badRequest(`from (${from}) is after to (${to})`);
  if (days > MAX_WINDOW_DAYS) throw badRequest(`the window from ${from} to ${to} is ${days} days; at most ${MAX_WINDOW_DAYS} may be asked for at once`);
  return { from, to };
}

export function versionFilter(version: string | undefined): string | undefined {
  if (version === undefined) return undefined;
  const normalized = normalizeVersion(version);
  if (normalized === null) throw badRequest(`version ${JSON.stringify(version)} is not a semantic version`);
  return normalized;
}

/** Newest first by SemVer; anything unparsable (never written by us) sorts last, by text. */
function byVersionDesc(a: string, b: string): number {
  const pa = safeParseVersion(a);
  const pb = safeParseVersion(b);
  if (pa.success && pb.success) return compareVersions(pb.version, pa.version);
  if (pa.success !== pb.success) return pa.success ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const dayText = sql<string>`to_char(day, 'YYYY-MM-DD')`;
const between = (w: Window) => [sql<Date>`${w.from}::date`, sql<Date>`${w.to}::date`] as const;

export async function downloadsReport(db: Kysely<Database>, app: { id: string; slug: string }, w: Window, version?: string): Promise<DownloadsReport> {
  const [from, to] = between(w);
  const rows = await db
    .selectFrom('download_counts')
    .select([dayText.as('day'), 'version', sql<number>`sum(downloads)::int8`.as('downloads')])
    .where('app_id', '=', app.id)
    .where('day', '>=', from)
    .where('day', '<=', to)
    .$if(version !== undefined, (qb) => qb.where('version', '=', version!))
    .groupBy(['day', 'version'])
    .orderBy('day')
    .orderBy('version')
    .execute();
  const perVersion = new Map<string, number>();
  for (const row of rows) perVersion.set(row.version, (perVersion.get(row.version) ?? 0) + row.downloads);
  const versions = [...perVersion].sort(([a], [b]) => byVersionDesc(a, b)).map(([v, downloads]) => ({ version: v, downloads }));
  return {
    app: app.slug,
    ...w,
    total: versions.reduce((sum, v) => sum + v.downloads, 0),
    versions,
    days: rows.map((row) => ({ day: row.day, version: row.version, downloads: row.downloads })),
  };
}

export interface CheckFilters {
  version?: string | undefined;
  platform?: string | undefined;
  channel?: string | undefined;
}

function checkCounts(db: Kysely<Database>, appId: string, w: Window, f: CheckFilters) {
  const [from, to] = between(w);
  return db
    .selectFrom('update_check_counts')
    .where('app_id', '=', appId)
    .where('day', '>=', from)
    .where('day', '<=', to)
    .$if(f.version !== undefined, (qb) => qb.where('version', '=', f.version!))
    .$if(f.platform !== undefined, (qb) => qb.where('platform', '=', f.platform!))
    .$if(f.channel !== undefined, (qb) => qb.where('channel', '=', f.channel!));
}

export async function checksReport(db: Kysely<Database>, app: { id: string; slug: string }, w: Window, f: CheckFilters): Promise<ChecksReport> {
  const days = await checkCounts(db, app.id, w, f)
    .select([
      dayText.as('day'),
      'version',
      'platform',
      'channel',
      sql<number>`sum(checks)::int8`.as('checks'),
      sql<number>`sum(installs)::int8`.as('installs'),
      sql<number>`sum(anonymous_checks)::int8`.as('anonymous_checks'),
    ])
    .groupBy(['day', 'version', 'platform', 'channel'])
    .orderBy('day')
    .orderBy('version')
    .orderBy('platform')
    .orderBy('channel')
    .execute();
  const countries = await checkCounts(db, app.id, w, f)
    .select(['country', sql<number>`sum(checks)::int8`.as('checks')])
    .groupBy('country')
    .orderBy('checks', 'desc')
    .orderBy('country')
    .execute();
  return {
    app: app.slug,
    ...w,
    total: days.reduce((sum, row) => sum + row.checks, 0),
    days,
    countries: countries.map((row) => ({ country: row.country === NO_COUNTRY ? null : row.country, checks: row.checks })),
  };
}

/**
 * Share of checking installs on each version. An install id counts once per UTC day (so over a
 * window, installs that check every day weigh more than those that check once: install-days), and
 * a check without an id counts as one, since such checks cannot be told apart.
 */
export async function adoptionReport(db: Kysely<Database>, app: { id: string; slug: string }, w: Window, f: Omit<CheckFilters, 'version'>): Promise<AdoptionReport> {
  const rows = await checkCounts(db, app.id, w, f)
    .select(['version', sql<number>`sum(installs)::int8`.as('installs'), sql<number>`sum(anonymous_checks)::int8`.as('anonymous_checks')])
    .groupBy('version')
    .execute();
  const counted = rows.map((row) => ({ ...row, units: row.installs + row.anonymous_checks })).filter((row) => row.units > 0);
  const total = counted.reduce((sum, row) => sum + row.units, 0);
  counted.sort((a, b) => byVersionDesc(a.version, b.version));
  return {
    app: app.slug,
    ...w,
    channel: f.channel ?? null,
    platform: f.platform ?? null,
    basis: 'installs + anonymous_checks',
    total,
    versions: counted.map((row) => ({ version: row.version, installs: row.installs, anonymous_checks: row.anonymous_checks, units: row.units, share: row.units / total })),
  };
}
