/**
 * @module analytics/recorder
 * What the hot paths call (`AppDeps.analytics`): counts in memory, written in one statement per flush.
 *
 * A flush happens when `flushIntervalMs` has passed since the last one (checked on each recorded
 * event, so serverless instances whose timers are frozen between requests still flush while they get
 * traffic), when the buffer holds `flushAtKeys` keys, every interval from `start()`'s timer (`npm
 * start`), and on `close()` (shutdown). The hot path only schedules it (`setImmediate`) and never
 * waits. A failed flush puts the counts back for the next try. An instance that dies loses what it
 * counted since its last flush: at most one interval.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import { type CountBatch, platformKey, UsageCounters, type UsageCountersOptions } from './counters.ts';
import { countryOf } from './country.ts';
import { PROBE_HEADER } from '../protocol/probe.ts';
import { writeCounts } from './store.ts';

export const DEFAULT_FLUSH_INTERVAL_MS = 10_000;
export const DEFAULT_FLUSH_AT_KEYS = 5_000;

export interface UsageAnalyticsOptions extends UsageCountersOptions {
  flushIntervalMs?: number;
  flushAtKeys?: number;
  /** Milliseconds clock; tests pass their own. */
  now?: () => number;
}

export class UsageAnalytics {
  readonly #db: Kysely<Database>;
  readonly #counters: UsageCounters;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #flushAtKeys: number;
  #nextFlushAt: number;
  #flushing: Promise<boolean> | null = null;
  #scheduled = false;
  #timer: ReturnType<typeof setInterval> | null = null;
  #flushes = 0;
  #failing = false;

  constructor(db: Kysely<Database>, options: UsageAnalyticsOptions = {}) {
    this.#db = db;
    this.#counters = new UsageCounters(options);
    this.#now = options.now ?? Date.now;
    this.#intervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.#flushAtKeys = options.flushAtKeys ?? DEFAULT_FLUSH_AT_KEYS;
    this.#nextFlushAt = this.#now() + this.#intervalMs;
  }

  /** Distinct keys waiting to be written. */
  get pending(): number {
    return this.#counters.size;
  }

  /** Flushes that wrote something (each is one statement). */
  get flushes(): number {
    return this.#flushes;
  }

  get dropped(): number {
    return this.#counters.dropped;
  }

  /**
   * One update check that found its app. Synchronous and query-free: the hot path calls it inline.
   * `installId` is the `X-Install-Id` / `install_id` value as the rollout code parsed and validated
   * it (update/rollout.ts); it is hashed in memory, never kept.
   */
  recordCheck(appId: string, version: string, os: string, arch: string, channel: string, headers: Pick<Headers, 'get'>, installId: string | null | undefined): void {
    if (headers.get(PROBE_HEADER) !== null) return;
    const now = this.#now();
    this.#counters.recordCheck(now, appId, version, platformKey(os, arch), channel, countryOf(headers), installId ?? null);
    this.#maybeFlush(now);
  }

  /** One download of a published file, counted before the bytes or the redirect are sent. */
  recordDownload(appId: string, version: string, fileName: string, platform: string, bundle: string | null, headers: Headers): void {
    if (headers.get(PROBE_HEADER) !== null) return;
    const now = this.#now();
    this.#counters.recordDownload(now, appId, version, fileName, platform, bundle, countryOf(headers));
    this.#maybeFlush(now);
  }

  #maybeFlush(now: number): void {
    if (this.#scheduled || (now < this.#nextFlushAt && this.#counters.size < this.#flushAtKeys)) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.flush();
    });
  }

  /**
   * Writes everything counted so far in one statement; true when something was written. Never
   * rejects: a failure keeps the counts for the next flush and is logged once per outage.
   */
  flush(): Promise<boolean> {
    // One flush at a time; a caller arriving during one waits for it and then runs its own, so
    // what it counted before calling is written when its promise resolves.
    const previous = this.#flushing ?? Promise.resolve(false);
    const next = previous.then(() => this.#flushOnce());
    this.#flushing = next;
    void next.finally(() => {
      if (this.#flushing === next) this.#flushing = null;
    });
    return next;
  }

  async #flushOnce(): Promise<boolean> {
    this.#nextFlushAt = this.#now() + this.#intervalMs;
    const batch: CountBatch = this.#counters.drain();
    if (batch.checks.length === 0 && batch.downloads.length === 0) return false;
    try {
      await writeCounts(this.#db, batch);
      this.#flushes++;
      if (this.#failing) console.warn('analytics: counts are being written again');
      this.#failing = false;
      return true;
    } catch (error) {
      this.#counters.restore(batch);
      if (!this.#failing) console.warn('analytics: could not write counts; keeping them for the next flush:', (error as Error).message);
      this.#failing = true;
      return false;
    }
  }

  /** A timer that flushes every interval even without traffic (long-running servers). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.flush(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is left; call before closing the database. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
  }
}
