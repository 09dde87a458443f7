/**
 * @module licensing/index
 * `LicenseIndex`: license state by key digest, in memory, so a licensed update check in steady state runs no
 * statement (two Map gets), the same design as the release snapshots (update/cache.ts):
 * - a key is loaded on first sight, with one query (license ⋈ policy, its active machines as a JSON subquery);
 *   concurrent first sights of a key share it;
 * - unknown digests are remembered as absent for `UNKNOWN_TTL_MS`, at most `MAX_UNKNOWN` of them, so a flood of
 *   made-up keys does not reach the database (the gate also counts them as failed authentications);
 * - a known license is fresh for `ttlMs` (`UPDATE_CACHE_TTL_SECONDS`) and reloaded by id in the background ahead
 *   of that, so a suspension, revocation, renewal or key rotation made on another instance is seen within the TTL;
 * - the two writes a check can cause (a new install under a machine limit, a `first_check` license's first
 *   check) are made here, once, and kept in memory. A new install is counted in memory before its row is
 *   written, so two concurrent installs on one instance cannot both take the last place; across instances the
 *   limit can be passed by at most one install per instance until the TTL, which is as strong as install ids are;
 * - a known key's digest is memoized by the exact `Authorization` value it came in (`peekCredential`), so its
 *   later checks skip parsing the key and the HMAC, which were most of a licensed check's own cost.
 * The memo keeps a presented key's text in memory: only for keys of licenses held here (a made-up key is never
 * memoized), one per hot license (`MAX_CREDENTIALS`, below), private to the index and never logged (held.ts). That
 * is acceptable because what the digest-only storage protects against is a copy of the database, a backup or a
 * log, none of which the memo reaches; whoever can read this process's memory also reads SECRETS_KEY, which opens
 * more than the keys (every secret the server seals), and sees every key as its request passes anyway. The
 * memo decides nothing: it maps a text to its digest, a pure function, and the license is then read from the index
 * as before, so a suspension, revocation or rotation takes effect exactly as it did without it; an entry goes with
 * its license (`forget`, a rotation, a reload that finds nothing, eviction).
 * Memory (issue 17: ≤ 50 MB for 100,000 licenses): every license held is a slot in columns (slots.ts), about
 * 260 bytes; only the `MAX_CREDENTIALS` most recently loaded or checked ("hot") also have a `Held` object (held.ts)
 * with their memoized `Authorization` value and access, which a check of a cold license builds again.
 */
import { type Kysely, sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { Database } from '../../../db/schema.ts';
import { isConnectionError, UnavailableError } from '../http/api-error.ts';
import { LOAD_TIMEOUT_MS } from '../update/cache.ts';
import { presentedLicense } from './credential.ts';
import { Held, type LicenseState, type LoadedLicense } from './held.ts';
import { type LicenseKey, LicenseKeyDigester, licenseDigestSecret } from './license-key.ts';
import { LicenseSlots } from './slots.ts';
import { JOINED_POLICY_COLUMNS, licenseOf, policyOf } from './views.ts';

export const UNKNOWN_TTL_MS = 5_000;
export const MAX_UNKNOWN = 10_000;
/** Known licenses kept; the oldest loaded is dropped first (it is loaded again on its next check). */
export const MAX_KNOWN = 200_000;
/**
 * Hot licenses: built as a `Held` with at most one memoized `Authorization` value each (the spelling its key last
 * came in); the oldest made hot goes first. Sized for the licenses checked within a few minutes, not all of them:
 * a check of a cold one digests its key again (a few microseconds), then it is hot.
 */
export const MAX_CREDENTIALS = 10_000;
/** A known license is reloaded in the background this long before it expires (at most a fifth of the TTL). */
export const REFRESH_AHEAD_MS = 1_000;
/**
 * A statement unanswered this long is a 503, as a snapshot load (update/cache.ts `LOAD_TIMEOUT_MS`): Tauri has no
 * timeout of its own, so a database that stops answering must not hold checks. A cold key in an outage is a 503, never a 401.
 */
export const STATEMENT_TIMEOUT_MS = LOAD_TIMEOUT_MS;

export type { LicenseState, LoadedLicense } from './held.ts';

/** What a read looks for: a first sight's digests under every kept secret, or a known license by id and stored digest. */
export type LicenseReadBy = { candidates: string[] } | { id: string; digest: string };

export interface LicenseIndexOptions {
  /** How long a known license is used before it is read again. */
  ttlMs: number;
  /** Milliseconds clock; tests pass their own. */
  now?: () => number;
  /** Reads a license instead of the query (the bench fills an index from generated rows with it, no database). */
  read?: (by: LicenseReadBy) => Promise<LoadedLicense>;
  /** Hot licenses, and so `Authorization` values memoized, at most (default `MAX_CREDENTIALS`; tests use a few). */
  maxCredentials?: number;
}


export class LicenseIndex {
  readonly #db: Kysely<Database>;
  readonly #digester: LicenseKeyDigester;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #load: (by: LicenseReadBy) => Promise<LoadedLicense>;
  readonly #known = new LicenseSlots();
  /** License id → its slot in `#known`, oldest loaded first. */
  readonly #slotById = new Map<string, number>();
  /**
   * Slot → its license built, for the hot ones, in two generations of at most half of `MAX_CREDENTIALS` each: when
   * `#hot` is full, `#warm` cools and `#hot` becomes it; a warm license checked again is hot again. (Not one Map
   * whose first entry goes: V8 leaves a deleted entry as a hole until the Map is rebuilt, so finding the first one
   * of a Map used as a queue scans thousands of holes.)
   */
  #hot = new Map<number, Held>();
  #warm = new Map<number, Held>();
  readonly #unknown = new Map<string, number>();
  readonly #inflight = new Map<string, Promise<LicenseState | null>>();
  /** `Authorization` value → the slot of its key's license, for hot licenses (see the module comment). */
  readonly #credentials = new Map<string, number>();
  readonly #maxCredentials: number;
  #statements = 0;

  constructor(db: Kysely<Database>, digester: LicenseKeyDigester, options: LicenseIndexOptions) {
    this.#db = db;
    this.#digester = digester;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#load = options.read ?? ((by) => this.#query(by));
    this.#maxCredentials = options.maxCredentials ?? MAX_CREDENTIALS;
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

  /** How many `Authorization` values are memoized (at most `MAX_CREDENTIALS`). */
  get memoizedCredentials(): number {
    return this.#credentials.size;
  }

  /** The key's digest under the current secret: the index's key for it. */
  digestOf(key: LicenseKey): string {
    return this.#digester.digest(key).digest;
  }

  /** The fresh state for a digest, null when it is known to be no license's, undefined when it must be loaded. */
  peek(digest: string): LicenseState | null | undefined {
    const now = this.#now();
    const slot = this.#known.find(digest);
    if (slot >= 0) return this.#fresh(slot, now);
    const absentUntil = this.#unknown.get(digest);
    if (absentUntil === undefined) return undefined;
    if (absentUntil > now) return null;
    this.#unknown.delete(digest);
    return undefined;
  }

  /**
   * The fresh state of the known license whose key an `Authorization` value presents; undefined when it presents
   * none, or a key this instance does not hold fresh (for `lookup`). A known key's digest is memoized by the
   * value's exact text, so its next checks skip parsing and the HMAC.
   */
  peekCredential(authorization: string): LicenseState | undefined {
    const memoized = this.#credentials.get(authorization);
    if (memoized !== undefined) return this.#fresh(memoized, this.#now());
    const presented = presentedLicense(authorization);
    if (presented.kind !== 'key') return undefined;
    const slot = this.#known.find(this.digestOf(presented.key));
    const held = slot < 0 ? undefined : this.#fresh(slot, this.#now());
    if (held === undefined) return undefined;
    if (held.credential !== null) this.#credentials.delete(held.credential);
    this.#credentials.set(authorization, slot);
    held.credential = authorization;
    return held;
  }

  /** The license in `slot` built (hot), when fresh; starts its background reload when due. */
  #fresh(slot: number, now: number): Held | undefined {
    const known = this.#known;
    if (known.heldUntil(slot) <= now) return undefined;
    if (known.refreshDue(slot, now)) {
      const digest = known.digest(slot);
      const readBy = { id: known.id(slot), digest: known.storedDigest(slot) };
      if (!this.#inflight.has(digest)) this.#start(digest, () => this.#read(readBy)).catch(() => {});
    }
    const hot = this.#hot.get(slot);
    if (hot !== undefined) return hot;
    const warm = this.#warm.get(slot);
    if (warm !== undefined) this.#warm.delete(slot);
    return this.#makeHot(slot, warm ?? new Held(known.state(slot)));
  }

  /** The license of a slot as built, if it is hot or warm. */
  #built(slot: number): Held | undefined {
    return this.#hot.get(slot) ?? this.#warm.get(slot);
  }

  #makeHot(slot: number, held: Held): Held {
    if (this.#hot.size >= Math.max(1, this.#maxCredentials >> 1)) {
      for (const cooled of this.#warm.values()) if (cooled.credential !== null) this.#credentials.delete(cooled.credential);
      this.#warm = this.#hot;
      this.#hot = new Map();
    }
    this.#hot.set(slot, held);
    return held;
  }

  /** Drops the built license of a slot, and with it its memoized credential. */
  #cool(slot: number): void {
    const held = this.#built(slot);
    if (held === undefined) return;
    this.#hot.delete(slot);
    this.#warm.delete(slot);
    if (held.credential !== null) this.#credentials.delete(held.credential);
  }

  /** The license the key names, or null when there is none; synchronous when in memory. */
  lookup(key: LicenseKey, digest = this.digestOf(key)): LicenseState | null | Promise<LicenseState | null> {
    const known = this.peek(digest);
    if (known !== undefined) return known;
    return this.#inflight.get(digest) ?? this.#start(digest, () => this.#read({ candidates: this.#digester.candidates(key).map((c) => c.digest) }));
  }

  /** Drops what this instance holds for a license (after a local change), so its next check reads it again. */
  forget(licenseId: string): void {
    const slot = this.#slotById.get(licenseId);
    if (slot !== undefined) this.#drop(slot);
    this.#inflight.clear();
  }

  /** Counts a new install against the license at once, then writes its row (nothing if another instance did). */
  async recordMachine(state: LicenseState, installDigest: string): Promise<void> {
    // Kept in its slot, and in its `Held` when hot (the one the caller holds, unless it has cooled since).
    const counted = (change: (held: Held) => void) => {
      const slot = this.#slotById.get(state.id);
      if (slot === undefined) return;
      const held = this.#built(slot) ?? new Held(this.#known.state(slot));
      change(held);
      this.#known.setMachines(slot, held.machines);
    };
    counted((held) => held.addMachine(installDigest));
    try {
      await this.#run(() =>
        this.#db
          .insertInto('license_machines')
          .values({ license_id: state.id, install_digest: installDigest })
          .onConflict((oc) => oc.columns(['license_id', 'install_digest']).where('deactivated_at', 'is', null).doNothing())
          .execute(),
      );
    } catch (error) {
      counted((held) => held.removeMachine(installDigest));
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
    const slot = this.#slotById.get(state.id);
    if (slot === undefined) return updated;
    this.#known.setFirstCheck(slot, updated.license.firstCheckedAt, updated.revision);
    const held = this.#built(slot);
    if (held === undefined) return this.#makeHot(slot, new Held(this.#known.state(slot)));
    const replaced = held.with(updated);
    (this.#hot.has(slot) ? this.#hot : this.#warm).set(slot, replaced);
    if (replaced.credential !== null) this.#credentials.set(replaced.credential, slot);
    return replaced;
  }

  #drop(slot: number): void {
    this.#cool(slot);
    this.#slotById.delete(this.#known.id(slot));
    this.#known.remove(slot);
  }

  #start(digest: string, read: () => Promise<LoadedLicense>): Promise<LicenseState | null> {
    const load: Promise<LicenseState | null> = read()
      .then((loaded) => (this.#inflight.get(digest) === load ? this.#store(digest, loaded) : (loaded?.state ?? null)))
      .finally(() => {
        if (this.#inflight.get(digest) === load) this.#inflight.delete(digest);
      });
    this.#inflight.set(digest, load);
    return load;
  }

  /** Keeps what a read found; returns the state as held (or as read, when the TTL keeps nothing). */
  #store(digest: string, loaded: LoadedLicense): LicenseState | null {
    const now = this.#now();
    const previous = this.#known.find(digest);
    const reloaded = previous >= 0 && loaded !== null && this.#known.id(previous) === loaded.state.id;
    // A reload of the same license keeps its memoized credential: the key, and so its digest, did not change.
    const credential = reloaded ? (this.#built(previous)?.credential ?? null) : null;
    if (previous >= 0) this.#drop(previous);
    if (loaded === null) {
      if (this.#unknown.size >= MAX_UNKNOWN) this.#unknown.delete(this.#unknown.keys().next().value!);
      this.#unknown.set(digest, now + Math.min(this.#ttlMs, UNKNOWN_TTL_MS));
      return null;
    }
    this.#unknown.delete(digest);
    if (this.#ttlMs <= 0) return loaded.state;
    // A rotated key: the license's entry under its old digest goes.
    const other = this.#slotById.get(loaded.state.id);
    if (other !== undefined) this.#drop(other);
    if (this.#known.size >= MAX_KNOWN) this.#drop(this.#slotById.values().next().value!);
    const expiresAt = now + this.#ttlMs;
    const slot = this.#known.add(digest, loaded, expiresAt, expiresAt - Math.min(REFRESH_AHEAD_MS, this.#ttlMs / 5));
    this.#slotById.set(loaded.state.id, slot);
    const held = this.#makeHot(slot, new Held(this.#known.state(slot)));
    if (credential !== null) {
      held.credential = credential;
      this.#credentials.set(credential, slot);
    }
    return held;
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
        ...JOINED_POLICY_COLUMNS,
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
      license: licenseOf(row),
      policy: policyOf(row),
      machines,
      revision: Number(row.revision),
    };
    return { state, storedDigest: row.key_digest, machines };
  }
}
