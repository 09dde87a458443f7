/**
 * @module rate-limit/window
 * Fixed one-minute windows of counts per bucket, in memory or in the database.
 *
 * Memory: one Map for the current window, replaced when the window ends, so old buckets cost nothing to
 * drop and a count is one Map read and write. Bounded: past `MAX_BUCKETS` distinct buckets in one window,
 * new ones share a single overflow bucket (so spraying addresses cannot grow memory, nor reset anyone's count).
 *
 * Database (`RATE_LIMIT_STORE=database`): one upsert per counted event, so every instance of a serverless
 * deployment sees the same counts; used only where events are rare (failed authentication), never per update check.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../db/schema.ts';

export const WINDOW_MS = 60_000;
export const MAX_BUCKETS = 100_000;
const OVERFLOW = '\u0000overflow';

/** Seconds until the window that `now` falls in ends (at least 1). */
export function secondsLeft(now: number): number {
  return Math.max(1, Math.ceil((WINDOW_MS - (now % WINDOW_MS)) / 1000));
}

export interface WindowStore {
  /** Counts one event in `bucket`; resolves to the bucket's count in this window, this event included. */
  add(bucket: string, now: number): number | Promise<number>;
  /** The bucket's count in this window, without counting. */
  count(bucket: string, now: number): number | Promise<number>;
}

export class MemoryWindows implements WindowStore {
  #windowStart = -1;
  #counts = new Map<string, number>();

  #roll(now: number): Map<string, number> {
    const start = now - (now % WINDOW_MS);
    if (start !== this.#windowStart) {
      this.#windowStart = start;
      this.#counts = new Map();
    }
    return this.#counts;
  }

  add(bucket: string, now: number): number {
    const counts = this.#roll(now);
    let key = bucket;
    let count = counts.get(key);
    if (count === undefined && counts.size >= MAX_BUCKETS) {
      key = OVERFLOW;
      count = counts.get(key);
    }
    count = (count ?? 0) + 1;
    counts.set(key, count);
    return count;
  }

  count(bucket: string, now: number): number {
    const counts = this.#roll(now);
    return counts.get(bucket) ?? (counts.size >= MAX_BUCKETS ? (counts.get(OVERFLOW) ?? 0) : 0);
  }

  /** Distinct buckets in the current window (for tests and the bound). */
  get size(): number {
    return this.#counts.size;
  }
}

/** Rows of windows that ended this long ago are deleted, now and then, by the counting statements' owner. */
const KEEP_MS = 2 * WINDOW_MS;

export class DatabaseWindows implements WindowStore {
  readonly #db: Kysely<Database>;
  #lastSweep = 0;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async add(bucket: string, now: number): Promise<number> {
    const windowStart = new Date(now - (now % WINDOW_MS));
    const row = await this.#db
      .insertInto('rate_limit_windows')
      .values({ bucket, window_start: windowStart, hits: 1 })
      .onConflict((oc) => oc.columns(['bucket', 'window_start']).doUpdateSet({ hits: sql<number>`rate_limit_windows.hits + 1` }))
      .returning('hits')
      .executeTakeFirstOrThrow();
    if (now - this.#lastSweep > WINDOW_MS) {
      this.#lastSweep = now;
      await this.#db.deleteFrom('rate_limit_windows').where('window_start', '<', new Date(now - KEEP_MS)).execute();
    }
    return row.hits;
  }

  async count(bucket: string, now: number): Promise<number> {
    const row = await this.#db
      .selectFrom('rate_limit_windows')
      .select('hits')
      .where('bucket', '=', bucket)
      .where('window_start', '=', new Date(now - (now % WINDOW_MS)))
      .executeTakeFirst();
    return row?.hits ?? 0;
  }
}
