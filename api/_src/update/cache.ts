/**
 * @module update/cache
 * Per app slug, a snapshot of the app and its published releases, held in memory so that an update
 * check in steady state runs no query.
 *
 * - One query per load (app ⟕ published releases ⟕ ready, verified artifacts, with the app's channel
 *   configuration, the channels ever published on and the yanked versions as JSON subqueries); concurrent
 *   misses share it.
 * - Fresh for `config.updateCacheTtlMs`; an unknown slug is remembered as absent for at most
 *   `ABSENT_TTL_MS`, so a flood of checks for a wrong slug does not reach the database.
 * - `invalidate(appId)` (called by the admin API after every mutation) expires the app's snapshot at once on
 *   this instance, keeping it for stale-if-error, and drops every "absent" entry, since a new app's slug may be
 *   among them. Other instances see the change after the TTL.
 * - A load that fails is never stored; connection failures become `UnavailableError` (503), and so does a
 *   load still unanswered after `LOAD_TIMEOUT_MS`: the Tauri client has no timeout of its own, so a database
 *   that stops answering (a network partition) must not hold checks, or clients never try their next endpoint.
 * - Stale-if-error: a snapshot is kept for `config.updateStaleIfErrorMs` after it was read, past its TTL. When a
 *   load fails because the database is unavailable, the last good snapshot answers instead (it was correct when
 *   read, and nothing can be published meanwhile without the database), and is served from memory for
 *   `STALE_RETRY_MS` before the database is tried again — in the background while checks keep coming. Only an app
 *   with no snapshot (or one older than the limit) gets the 503.
 */
import { type Kysely, sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { Database } from '../../../db/schema.ts';
import type { Config } from '../config.ts';
import { isConnectionError, UnavailableError } from '../http/errors.ts';
import { APP_SLUG_PATTERN } from '../protocol/app-slug.ts';
import { OFFERED_STATUS } from '../protocol/offer.ts';
import type { Storage } from '../storage/storage.ts';
import { type UpdateCacheControl, updateCacheControl } from './cache-control.ts';
import { type AppSnapshot, buildSnapshot, type ReleaseInput } from './snapshot.ts';

export const ABSENT_TTL_MS = 5_000;
/**
 * How long a snapshot load may take before the check answers 503: the bound an app with no snapshot waits when
 * the database does not answer. Long enough for a Neon compute to wake from scale-to-zero (a few hundred ms,
 * plus the WebSocket, TLS and authentication), short enough that a Tauri client, which has no timeout of its own,
 * soon tries its next endpoint.
 */
export const LOAD_TIMEOUT_MS = 2_500;
/** Bounds memory when clients ask for many different slugs. */
export const MAX_ENTRIES = 10_000;
/**
 * A snapshot is reloaded in the background this long before it expires (at most a fifth of the TTL), on the
 * first check that sees it then; checks keep being answered from it meanwhile, so under steady traffic no
 * check waits for a load. It still never outlives its TTL: a refresh that fails leaves it to expire.
 */
export const REFRESH_AHEAD_MS = 1_000;
/** While the database is unavailable, how long a stale snapshot answers from memory before it is asked again. */
export const STALE_RETRY_MS = 5_000;

interface Entry {
  /** null: no app has this slug. */
  snapshot: AppSnapshot | null;
  /** Until then the snapshot answers from memory. */
  expiresAt: number;
  /** When a check should start a background reload (once per entry); `expiresAt` for absent apps. */
  refreshAt: number;
  /** Until then the snapshot may answer when the database is unavailable (stale-if-error); `expiresAt` for absent apps. */
  staleUntil: number;
}

export interface ReleaseCacheOptions {
  /** Milliseconds clock; tests pass their own. */
  now?: () => number;
  /** Default `LOAD_TIMEOUT_MS`. */
  loadTimeoutMs?: number;
}

const isUnavailable = (error: unknown) => error instanceof UnavailableError;

/** `work`, or `UnavailableError` once `ms` pass; the query itself runs on and its late outcome is dropped. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnavailableError('the database', new Error(`no answer within ${ms} ms`))), ms);
  });
  work.catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export class ReleaseCache {
  readonly db: Kysely<Database>;
  readonly storage: Storage;
  readonly config: Readonly<Config>;
  readonly #now: () => number;
  readonly #loadTimeoutMs: number;
  readonly #cacheControl: UpdateCacheControl;
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<AppSnapshot | null>>();
  /** Bumped by `invalidate`: a load that began before it must not store what it read. */
  #epoch = 0;
  #loads = 0;
  #staleAnswers = 0;

  constructor(db: Kysely<Database>, storage: Storage, config: Readonly<Config>, options: ReleaseCacheOptions = {}) {
    this.db = db;
    this.storage = storage;
    this.config = config;
    this.#now = options.now ?? Date.now;
    this.#loadTimeoutMs = options.loadTimeoutMs ?? LOAD_TIMEOUT_MS;
    this.#cacheControl = updateCacheControl(config.updateCaching);
  }

  /** How many times this cache has queried the database. */
  get loads(): number {
    return this.#loads;
  }

  /** How many failed loads a stale snapshot answered for (stale-if-error). */
  get staleAnswers(): number {
    return this.#staleAnswers;
  }

  /** The fresh cached answer for `slug` (null: no such app), or undefined when it must be loaded. */
  peek(slug: string): AppSnapshot | null | undefined {
    const entry = this.#entries.get(slug);
    if (entry === undefined) return undefined;
    const now = this.#now();
    if (entry.expiresAt <= now) {
      if (entry.staleUntil <= now) this.#entries.delete(slug);
      return undefined;
    }
    if (entry.refreshAt <= now) {
      entry.refreshAt = entry.expiresAt; // one attempt: a failing database is not asked again on every check
      if (!this.#inflight.has(slug)) this.#startLoad(slug).catch(() => {});
    }
    return entry.snapshot;
  }

  /** Synchronous when the answer is cached, so the hot path does not wait a tick for nothing. */
  lookup(slug: string): AppSnapshot | null | Promise<AppSnapshot | null> {
    const cached = this.peek(slug);
    return cached !== undefined ? cached : this.get(slug);
  }

  /** The snapshot for `slug`, or null when there is no such app. */
  get(slug: string): Promise<AppSnapshot | null> {
    const cached = this.peek(slug);
    if (cached !== undefined) return Promise.resolve(cached);
    // Not a slug any app can have: answer without asking the database or remembering it.
    if (!APP_SLUG_PATTERN.test(slug)) return Promise.resolve(null);
    const pending = this.#inflight.get(slug);
    if (pending) return pending;
    return this.#startLoad(slug);
  }

  #startLoad(slug: string): Promise<AppSnapshot | null> {
    const epoch = this.#epoch;
    const load: Promise<AppSnapshot | null> = this.#load(slug)
      .then((snapshot) => {
        if (epoch === this.#epoch) this.#store(slug, snapshot);
        return snapshot;
      })
      .catch((error: unknown) => {
        const stale = isUnavailable(error) && epoch === this.#epoch ? this.#serveStale(slug) : undefined;
        if (stale === undefined) throw error;
        return stale;
      })
      .finally(() => {
        if (this.#inflight.get(slug) === load) this.#inflight.delete(slug);
      });
    this.#inflight.set(slug, load);
    return load;
  }

  /**
   * Makes the app's next update check read the database on this instance. Its snapshot stays, expired, as the
   * stale-if-error answer should that read find the database unavailable; remembered absences are dropped.
   */
  invalidate(appId: string): void {
    this.#epoch++;
    this.#inflight.clear();
    for (const [slug, entry] of this.#entries) {
      if (entry.snapshot === null) this.#entries.delete(slug);
      else if (entry.snapshot.app.id === appId) entry.expiresAt = entry.refreshAt = Number.NEGATIVE_INFINITY;
    }
  }

  /**
   * The last good snapshot after a load failed for want of the database, answering from memory for the next
   * `STALE_RETRY_MS` (a background reload is tried shortly before); undefined when there is none young enough.
   */
  #serveStale(slug: string): AppSnapshot | undefined {
    const entry = this.#entries.get(slug);
    const now = this.#now();
    if (!entry?.snapshot || entry.staleUntil <= now) return undefined;
    entry.expiresAt = Math.min(now + STALE_RETRY_MS, entry.staleUntil);
    entry.refreshAt = Math.max(now, entry.expiresAt - REFRESH_AHEAD_MS);
    this.#staleAnswers++;
    return entry.snapshot;
  }

  #store(slug: string, snapshot: AppSnapshot | null): void {
    const ttl = Math.max(0, snapshot ? this.config.updateCacheTtlMs : Math.min(this.config.updateCacheTtlMs, ABSENT_TTL_MS));
    // With a TTL of 0 a snapshot is still kept for stale-if-error, already expired, so it never answers otherwise.
    const staleFor = snapshot ? Math.max(ttl, this.config.updateStaleIfErrorMs) : ttl;
    if (staleFor <= 0) return;
    const now = this.#now();
    this.#entries.delete(slug); // re-insert at the end, so Map order is oldest first
    if (this.#entries.size >= MAX_ENTRIES) {
      for (const [key, entry] of this.#entries) if (entry.staleUntil <= now) this.#entries.delete(key);
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    }
    const expiresAt = now + ttl;
    const refreshAt = snapshot ? expiresAt - Math.min(REFRESH_AHEAD_MS, ttl / 5) : expiresAt;
    this.#entries.set(slug, { snapshot, expiresAt, refreshAt, staleUntil: now + staleFor });
  }

  async #load(slug: string): Promise<AppSnapshot | null> {
    this.#loads++;
    let rows;
    try {
      const query = this.db
        .selectFrom('apps')
        .leftJoin('releases', (join) => join.onRef('releases.app_id', '=', 'apps.id').on('releases.status', '=', OFFERED_STATUS))
        // Only bytes that were checked against their size, sha256 and signature are ever offered; an installer only
        // (a DMG, which has no signature) against its size and sha256, and the snapshot never offers it to the updater.
        .leftJoin('artifacts', (join) =>
          join
            .onRef('artifacts.release_id', '=', 'releases.id')
            .on('artifacts.state', '=', 'ready')
            .on((eb) => eb.or([eb('artifacts.verified_key_id', 'is not', null), eb('artifacts.installer_only', '=', true)])),
        )
        .select([
          'apps.id as app_id',
          'apps.slug',
          'apps.name',
          'apps.public_key',
          'apps.licensing',
          'apps.download_page',
          'apps.public_installers',
          'releases.id as release_id',
          'releases.version',
          'releases.notes',
          'releases.channel',
          'releases.rollout_percent',
          'releases.pub_date',
          'releases.created_at',
          'artifacts.id as artifact_id',
          'artifacts.platform',
          'artifacts.bundle',
          'artifacts.signature',
          'artifacts.storage_key',
          'artifacts.file_name',
          'artifacts.size',
          'artifacts.sha256',
          'artifacts.is_default',
          'artifacts.github_asset_id',
          'artifacts.external_url',
          'artifacts.installer_only',
          'releases.rollout_seed',
          'releases.critical',
          'releases.min_supported_version',
          'releases.first_published_at',
          'releases.entitlement_date',
          'releases.required_entitlements',
          // Release policy, per app: the same on every row, small, and part of the same snapshot read.
          (eb) =>
            jsonArrayFrom(
              eb.selectFrom('release_channels as ch').select(['ch.name', 'ch.follows', 'ch.required_entitlement']).whereRef('ch.app_id', '=', 'apps.id').orderBy('ch.name'),
            ).as('channel_config'),
          (eb) =>
            eb
              .selectFrom('releases as seen')
              .select(sql<string[] | null>`json_agg(distinct seen.channel)`.as('channels'))
              .whereRef('seen.app_id', '=', 'apps.id')
              .where('seen.pub_date', 'is not', null)
              .as('published_channels'),
          (eb) =>
            jsonArrayFrom(
              eb
                .selectFrom('releases as y')
                .select(['y.version', 'y.replacement_release_id'])
                .whereRef('y.app_id', '=', 'apps.id')
                .where('y.yanked_at', 'is not', null)
                .where('y.status', '<>', OFFERED_STATUS),
            ).as('yanked'),
          (eb) =>
            jsonArrayFrom(
              eb
                .selectFrom('releases as w')
                .select(['w.version', 'w.channel', 'w.first_published_at', 'w.entitlement_date', 'w.required_entitlements'])
                .whereRef('w.app_id', '=', 'apps.id')
                .where('w.first_published_at', 'is not', null)
                .where('w.status', '<>', OFFERED_STATUS),
            ).as('withdrawn'),
        ])
        .where('apps.slug', '=', slug)
        .execute();
      rows = await withDeadline(query, this.#loadTimeoutMs);
    } catch (error) {
      if (isConnectionError(error)) throw new UnavailableError('the database', error);
      throw error;
    }
    const first = rows[0];
    if (!first) return null;
    const releases = new Map<string, ReleaseInput>();
    for (const row of rows) {
      if (row.release_id === null) continue;
      let release = releases.get(row.release_id);
      if (!release) {
        release = {
          id: row.release_id,
          version: row.version!,
          notes: row.notes,
          channel: row.channel!,
          rollout_percent: row.rollout_percent!,
          pub_date: row.pub_date,
          created_at: row.created_at!,
          artifacts: [],
          rollout_seed: row.rollout_seed!,
          critical: row.critical!,
          min_supported_version: row.min_supported_version,
          first_published_at: row.first_published_at,
          entitlement_date: row.entitlement_date,
          required_entitlements: row.required_entitlements ?? [],
        };
        releases.set(row.release_id, release);
      }
      if (row.artifact_id === null) continue;
      release.artifacts.push({
        id: row.artifact_id,
        platform: row.platform!,
        bundle: row.bundle,
        signature: row.signature!,
        storage_key: row.storage_key!,
        file_name: row.file_name!,
        size: row.size!,
        sha256: row.sha256!,
        is_default: row.is_default!,
        github_asset_id: row.github_asset_id,
        external_url: row.external_url,
        installer_only: row.installer_only ?? false,
      });
    }
    const { snapshot, skipped } = buildSnapshot(
      {
        id: first.app_id,
        slug: first.slug,
        name: first.name,
        public_key: first.public_key,
        licensing: first.licensing,
        download_page: first.download_page,
        public_installers: first.public_installers,
        channels: first.channel_config,
        published_channels: first.published_channels ?? [],
        // Left-join nullability leaks into the subquery's types; both columns are set on these rows.
        yanked: first.yanked.map((y) => ({ version: y.version!, replacement_release_id: y.replacement_release_id })),
        withdrawn: first.withdrawn.map((w) => ({ ...w, version: w.version!, channel: w.channel!, first_published_at: w.first_published_at! })),
      },
      [...releases.values()],
      { publicUrl: (key) => this.storage.publicUrl(key), baseUrl: this.config.publicUrl, cacheControl: this.#cacheControl },
    );
    if (skipped.length) console.warn(`app ${slug}: not served: ${skipped.join('; ')}`);
    return snapshot;
  }
}
