/**
 * @module licensing/index
 * `LicenseIndex`: license state by key digest, in memory, so a licensed update check in steady state runs no
 * statement (one HMAC and one Map get), the same design as the release snapshots (update/cache.ts):
 * - a key is loaded on first sight, with one query (license ⋈ policy, its active machines as a JSON subquery);
 *   concurrent first sights of a key share it;
 * - unknown digests are remembered as absent for `UNKNOWN_TTL_MS`, at most `MAX_UNKNOWN` of them, so a flood of
 *   made-up keys does not reach the database (the gate also counts them as failed authentications);
 * - a known license is fresh for `ttlMs` (`UPDATE_CACHE_TTL_SECONDS`) and reloaded by id in the background ahead
 *   of that, so a suspension, revocation, renewal or key rotation made on another instance is seen within the TTL;
 * - the two writes a check can cause (a new install under a machine limit, a `first_check` license's first
 *   check) are made here, once, and kept in memory. A new install is counted in memory before its row is
 *   written, so two concurrent installs on one instance cannot both take the last place; across instances the
 *   limit can be passed by at most one install per instance until the TTL, which is as strong as install ids are.
 */
import { type Kysely, sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { Database } from '../../../db/schema.ts';
import { isConnectionError, UnavailableError } from '../http/api-error.ts';
import { type LicenseKey, LicenseKeyDigester, licenseDigestSecret } from './license-key.ts';
import type { License, LicensePolicy } from './policy.ts';

export const UNKNOWN_TTL_MS = 5_000;
export const MAX_UNKNOWN = 10_000;
/** Known licenses kept; the oldest loaded is dropped first (it is loaded again on its next check). */
export const MAX_KNOWN = 200_000;
/** A known license is reloaded in the background this long before it expires (at most a fifth of the TTL). */
export const REFRESH_AHEAD_MS = 1_000;
/**
 * A statement unanswered this long is a 503, as a snapshot load (update/cache.ts `LOAD_TIMEOUT_MS`): Tauri has no
 * timeout of its own, so a database that stops answering must not hold checks. A cold key in an outage is a 503, never a 401.
 */
export const STATEMENT_TIMEOUT_MS = 1_500;

/** What the gate needs of one license. */
export interface LicenseState {
  readonly id: string;
  readonly appId: string;
  readonly license: License;
  readonly policy: LicensePolicy;
  /** `installIdDigest`s of its installs not deactivated (machines.ts). */
  readonly machines: ReadonlySet<string>;
  readonly revision: number;
}

interface Entry {
  state: LicenseState;
  /** The digest as stored (possibly under a retired secret): a reload by id must still find it, or the key was rotated. */
  storedDigest: string;
  /** Installs counted here, the database's and those this instance added. */
  machines: Set<string>;
  expiresAt: number;
  refreshAt: number;
}

/** What a read looks for: a first sight's digests under every kept secret, or a known license by id and stored digest. */
export type LicenseReadBy = { candidates: string[] } | { id: string; digest: string };
/** One read's result: the license, its digest as stored, and its installs; null when there is none. */
export type LoadedLicense = { state: LicenseState; storedDigest: string; machines: Set<string> } | null;

export interface LicenseIndexOptions {
  /** How long a known license is used before it is read again. */
  ttlMs: number;
  /** Milliseconds clock; tests pass their own. */
  now?: () => number;
  /** Reads a license instead of the query (the bench fills an index from generated rows with it, no database). */
  read?: (by: LicenseReadBy) => Promise<LoadedLicense>;
}


export class LicenseIndex {
  readonly #db: Kysely<Database>;
  readonly #digester: LicenseKeyDigester;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #load: (by: LicenseReadBy) => Promise<LoadedLicense>;
  readonly #known = new Map<string, Entry>();
  /** License id → its digest in `#known`. */
  readonly #digestById = new Map<string, string>();
  readonly #unknown = new Map<string, number>();
  readonly #inflight = new Map<string, Promise<LicenseState | null>>();
  #statements = 0;

  constructor(db: Kysely<Database>, digester: LicenseKeyDigester, options: LicenseIndexOptions) {
    this.#db = db;
    this.#digester = digester;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#load = options.read ?? ((by) => this.#query(by));
  }

  /** The index over a parsed SECRETS_KEY (github/secrets.ts `parseSecretsKey`). */
  static fromSecretsKey(db: Kysely<Database>, secretsKey: Buffer, options: LicenseIndexOptions): LicenseIndex {
    return new LicenseIndex(db, new LicenseKeyDigester(licenseDigestSecret(secretsKey)), options);
  }

  /** How many statements (reads and writes) this index has run. */
  get statements(): number {
    return this.#statements;
  }

  /** The digester of the index's secret: what the admin store digests a new or rotated key with (store.ts). */
  get digester(): LicenseKeyDigester {
    return this.#digester;
  }

  /** The key's digest under the current secret: the index's key for it. */
  digestOf(key: LicenseKey): string {
    return this.#digester.digest(key).digest;
  }

  /** The fresh state for a digest, null when it is known to be no license's, undefined when it must be loaded. */
  peek(digest: string): LicenseState | null | undefined {
    const now = this.#now();
    const entry = this.#known.get(digest);
    if (entry !== undefined) {
      if (entry.expiresAt <= now) return undefined;
      if (entry.refreshAt <= now) {
        entry.refreshAt = entry.expiresAt; // one attempt: a failing database is not asked again on every check
        if (!this.#inflight.has(digest)) this.#start(digest, () => this.#read({ id: entry.state.id, digest: entry.storedDigest })).catch(() => {});
      }
      return entry.state;
    }
    const absentUntil = this.#unknown.get(digest);
    if (absentUntil === undefined) return undefined;
    if (absentUntil > now) return null;
    this.#unknown.delete(digest);
    return undefined;
  }

  /** The license the key names, or null when there is none; synchronous when in memory. */
  lookup(key: LicenseKey, digest = this.digestOf(key)): LicenseState | null | Promise<LicenseState | null> {
    const known = this.peek(digest);
    if (known !== undefined) return known;
    return this.#inflight.get(digest) ?? this.#start(digest, () => this.#read({ candidates: this.#digester.candidates(key).map((c) => c.digest) }));
  }

  /** Drops what this instance holds for a license (after a local change), so its next check reads it again. */
  forget(licenseId: string): void {
    const digest = this.#digestById.get(licenseId);
    if (digest !== undefined) this.#drop(digest);
    this.#inflight.clear();
  }

  /** Counts a new install against the license at once, then writes its row (nothing if another instance did). */
  async recordMachine(state: LicenseState, installDigest: string): Promise<void> {
    const entry = this.#entryOf(state);
    entry?.machines.add(installDigest);
    try {
      await this.#run(() =>
        this.#db
          .insertInto('license_machines')
          .values({ license_id: state.id, install_digest: installDigest })
          .onConflict((oc) => oc.columns(['license_id', 'install_digest']).where('deactivated_at', 'is', null).doNothing())
          .execute(),
      );
    } catch (error) {
      entry?.machines.delete(installDigest);
      throw error;
    }
  }

  /** Starts a `first_check` license's clock, once: a time already set (by any instance) is kept. */
  async recordFirstCheck(state: LicenseState, at: Date): Promise<LicenseState> {
    const row = await this.#run(() =>
      this.#db
        .updateTable('licenses')
        .set({ first_checked_at: sql<Date>`coalesce(first_checked_at, ${at})`, revision: sql<number>`revision + 1`, updated_at: sql<Date>`now()` })
        .where('id', '=', state.id)
        .returning(['first_checked_at', 'revision'])
        .executeTakeFirst(),
    );
    const updated: LicenseState = { ...state, license: { ...state.license, firstCheckedAt: row?.first_checked_at ?? at }, revision: Number(row?.revision ?? state.revision) };
    const entry = this.#entryOf(state);
    if (entry) entry.state = updated;
    return updated;
  }

  #entryOf(state: LicenseState): Entry | undefined {
    const digest = this.#digestById.get(state.id);
    return digest === undefined ? undefined : this.#known.get(digest);
  }

  #drop(digest: string): void {
    const entry = this.#known.get(digest);
    if (entry === undefined) return;
    this.#known.delete(digest);
    if (this.#digestById.get(entry.state.id) === digest) this.#digestById.delete(entry.state.id);
  }

  #start(digest: string, read: () => Promise<LoadedLicense>): Promise<LicenseState | null> {
    const load = read()
      .then((loaded) => {
        if (this.#inflight.get(digest) === load) this.#store(digest, loaded);
        return loaded?.state ?? null;
      })
      .finally(() => {
        if (this.#inflight.get(digest) === load) this.#inflight.delete(digest);
      });
    this.#inflight.set(digest, load);
    return load;
  }

  #store(digest: string, loaded: LoadedLicense): void {
    const now = this.#now();
    this.#drop(digest);
    if (loaded === null) {
      if (this.#unknown.size >= MAX_UNKNOWN) this.#unknown.delete(this.#unknown.keys().next().value!);
      this.#unknown.set(digest, now + Math.min(this.#ttlMs, UNKNOWN_TTL_MS));
      return;
    }
    this.#unknown.delete(digest);
    if (this.#ttlMs <= 0) return;
    if (this.#known.size >= MAX_KNOWN) this.#drop(this.#known.keys().next().value!);
    // A rotated key: the license's entry under its old digest goes.
    const previous = this.#digestById.get(loaded.state.id);
    if (previous !== undefined) this.#drop(previous);
    const expiresAt = now + this.#ttlMs;
    this.#known.set(digest, { ...loaded, expiresAt, refreshAt: expiresAt - Math.min(REFRESH_AHEAD_MS, this.#ttlMs / 5) });
    this.#digestById.set(loaded.state.id, digest);
  }

  async #run<T>(statement: () => Promise<T>): Promise<T> {
    this.#statements++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnavailableError('the database', new Error(`no answer within ${STATEMENT_TIMEOUT_MS} ms`))), STATEMENT_TIMEOUT_MS);
    });
    const work = statement();
    work.catch(() => {}); // its late failure, after the deadline, is nobody's
    try {
      return await Promise.race([work, deadline]);
    } catch (error) {
      if (isConnectionError(error)) throw new UnavailableError('the database', error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** One statement: the license whose stored digest is among `candidates`, or the license `id` if its digest is still `digest`. */
  #read(by: LicenseReadBy): Promise<LoadedLicense> {
    return this.#run(() => this.#load(by));
  }

  async #query(by: LicenseReadBy): Promise<LoadedLicense> {
    let query = this.#db
      .selectFrom('licenses as l')
      .innerJoin('license_policies as p', 'p.id', 'l.policy_id')
      .select([
        'l.id',
        'l.app_id',
        'l.key_digest',
        'l.status',
        'l.expires_at',
        'l.entitlements',
        'l.created_at',
        'l.first_checked_at',
        'l.revision',
        'p.duration_days',
        'p.expiry_strategy',
        'p.expiration_basis',
        'p.grace_days',
        'p.max_machines',
        'p.entitlements as policy_entitlements',
        'p.patch_line_after_expiry',
        (eb) =>
          jsonArrayFrom(
            eb.selectFrom('license_machines as m').select('m.install_digest').whereRef('m.license_id', '=', 'l.id').where('m.deactivated_at', 'is', null),
          ).as('machines'),
      ]);
    query = 'id' in by ? query.where('l.id', '=', by.id).where('l.key_digest', '=', by.digest) : query.where('l.key_digest', 'in', by.candidates);
    const row = await query.executeTakeFirst();
    if (!row) return null;
    const machines = new Set(row.machines.map((m) => m.install_digest));
    const state: LicenseState = {
      id: row.id,
      appId: row.app_id,
      license: { status: row.status, expiresAt: row.expires_at, entitlements: row.entitlements, createdAt: row.created_at, firstCheckedAt: row.first_checked_at },
      policy: {
        durationDays: row.duration_days,
        expiryStrategy: row.expiry_strategy,
        expirationBasis: row.expiration_basis,
        graceDays: row.grace_days,
        maxMachines: row.max_machines,
        entitlements: row.policy_entitlements,
        patchLineAfterExpiry: row.patch_line_after_expiry,
      },
      machines,
      revision: Number(row.revision),
    };
    return { state, storedDigest: row.key_digest, machines };
  }
}
