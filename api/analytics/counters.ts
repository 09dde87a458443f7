/**
 * @module analytics/counters
 * Update-check and download counts held in memory between flushes. Recording is a Map lookup and an
 * increment: no query, no await, no JSON. `drain()` hands everything counted so far to the flusher
 * and starts afresh; `restore()` takes a batch back when writing it failed.
 *
 * Distinct installs without storing install ids: per UTC day, a random salt that never leaves this
 * process; an install id is remembered only as a truncated SHA-256 of salt + counter key + id, and the
 * salt and every such tag are dropped at midnight. So `installs` is "distinct installs seen by this
 * instance today" — exact on one instance, an upper bound when several instances share the traffic.
 * Checks without an install id cannot be told apart and are counted as `anonymousChecks`.
 *
 * Memory is bounded: at most `maxKeys` distinct counter keys (further new keys are dropped and
 * counted in `dropped`) and `maxInstallsPerDay` remembered installs (beyond that a new install is
 * counted as an anonymous check, since it can no longer be de-duplicated).
 */
import { hash, randomBytes } from 'node:crypto';

export interface CheckCount {
  readonly appId: string;
  /** UTC `YYYY-MM-DD`. */
  readonly day: string;
  /** The client's version (already checked to be SemVer), without leading `v`s. */
  readonly version: string;
  /** `{os}-{arch}` */
  readonly platform: string;
  readonly channel: string;
  /** ISO 3166-1 alpha-2, or '' when no platform header named one. */
  readonly country: string;
  checks: number;
  installs: number;
  anonymousChecks: number;
}

export interface DownloadCount {
  readonly appId: string;
  readonly day: string;
  readonly version: string;
  readonly fileName: string;
  readonly platform: string;
  readonly bundle: string | null;
  readonly country: string;
  downloads: number;
}

export interface CountBatch {
  checks: CheckCount[];
  downloads: DownloadCount[];
}

export interface UsageCountersOptions {
  /** Distinct check + download keys held at once; default `DEFAULT_MAX_KEYS`. */
  maxKeys?: number;
  /** Install tags remembered per UTC day; default `DEFAULT_MAX_INSTALLS_PER_DAY`. */
  maxInstallsPerDay?: number;
}

/** Roughly 300 bytes a key: 50,000 keys stay near 15 MB. */
export const DEFAULT_MAX_KEYS = 50_000;
/** 16-character tags, about 80 bytes each in a Set: 200,000 stay near 16 MB. */
export const DEFAULT_MAX_INSTALLS_PER_DAY = 200_000;
/** Longer versions are not counted: a client could otherwise grow keys without limit. */
export const MAX_COUNTED_VERSION_LENGTH = 128;
/** An install id is an opaque token of printable ASCII; anything else counts as no id. */
const INSTALL_ID = /^[\x21-\x7e]{1,128}$/;

const SEP = '\n';
const DAY_MS = 86_400_000;

export function validInstallId(value: string | null | undefined): string | null {
  return value && INSTALL_ID.test(value) ? value : null;
}

export class UsageCounters {
  readonly #maxKeys: number;
  readonly #maxInstalls: number;
  #checks = new Map<string, CheckCount>();
  #downloads = new Map<string, DownloadCount>();
  #day = '';
  #dayEndsAt = 0;
  #salt = '';
  readonly #seen = new Set<string>();
  #dropped = 0;

  constructor(options: UsageCountersOptions = {}) {
    this.#maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    this.#maxInstalls = options.maxInstallsPerDay ?? DEFAULT_MAX_INSTALLS_PER_DAY;
  }

  /** Distinct keys waiting to be written. */
  get size(): number {
    return this.#checks.size + this.#downloads.size;
  }

  /** Counts lost since this instance started because memory was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Installs remembered today (for tests and capacity checks). */
  get installsRemembered(): number {
    return this.#seen.size;
  }

  #startDay(now: number): void {
    const start = now - (now % DAY_MS);
    this.#day = new Date(start).toISOString().slice(0, 10);
    this.#dayEndsAt = start + DAY_MS;
    // A new salt and no memory of yesterday: today's tags cannot be linked to yesterday's.
    this.#salt = randomBytes(16).toString('base64');
    this.#seen.clear();
  }

  /** One update check. `now` in milliseconds; `installId` already validated (or null). */
  recordCheck(now: number, appId: string, sentVersion: string, platform: string, channel: string, country: string, installId: string | null): void {
    if (now >= this.#dayEndsAt) this.#startDay(now);
    // The Tauri client's parser drops leading `v`s and is otherwise strict, so valid SemVer without
    // them is already canonical: `v1.2.0` and `1.2.0` are one version and one install.
    const version = sentVersion.charCodeAt(0) === 118 /* v */ ? sentVersion.replace(/^v+/, '') : sentVersion;
    if (version.length > MAX_COUNTED_VERSION_LENGTH) {
      this.#dropped++;
      return;
    }
    const key = this.#day + SEP + appId + SEP + version + SEP + platform + SEP + channel + SEP + country;
    let entry = this.#checks.get(key);
    if (entry === undefined) {
      if (this.size >= this.#maxKeys) {
        this.#dropped++;
        return;
      }
      entry = { appId, day: this.#day, version, platform, channel, country, checks: 0, installs: 0, anonymousChecks: 0 };
      this.#checks.set(key, entry);
    }
    entry.checks++;
    if (installId === null) {
      entry.anonymousChecks++;
      return;
    }
    const tag = hash('sha256', this.#salt + key + SEP + installId, 'base64').slice(0, 16);
    if (this.#seen.has(tag)) return;
    if (this.#seen.size >= this.#maxInstalls) {
      entry.anonymousChecks++;
      return;
    }
    this.#seen.add(tag);
    entry.installs++;
  }

  /** One download of a published file. */
  recordDownload(now: number, appId: string, version: string, fileName: string, platform: string, bundle: string | null, country: string): void {
    if (now >= this.#dayEndsAt) this.#startDay(now);
    const key = this.#day + SEP + appId + SEP + version + SEP + fileName + SEP + country;
    let entry = this.#downloads.get(key);
    if (entry === undefined) {
      if (this.size >= this.#maxKeys) {
        this.#dropped++;
        return;
      }
      entry = { appId, day: this.#day, version, fileName, platform, bundle, country, downloads: 0 };
      this.#downloads.set(key, entry);
    }
    entry.downloads++;
  }

  /** Everything counted since the last drain; the counters start again from zero. */
  drain(): CountBatch {
    const batch = { checks: [...this.#checks.values()], downloads: [...this.#downloads.values()] };
    this.#checks = new Map();
    this.#downloads = new Map();
    return batch;
  }

  /** Puts back a batch that could not be written, adding to what was counted meanwhile. */
  restore(batch: CountBatch): void {
    for (const c of batch.checks) {
      const key = c.day + SEP + c.appId + SEP + c.version + SEP + c.platform + SEP + c.channel + SEP + c.country;
      const entry = this.#checks.get(key);
      if (entry) {
        entry.checks += c.checks;
        entry.installs += c.installs;
        entry.anonymousChecks += c.anonymousChecks;
      } else if (this.size < this.#maxKeys) {
        this.#checks.set(key, { ...c });
      } else {
        this.#dropped += c.checks;
      }
    }
    for (const d of batch.downloads) {
      const key = d.day + SEP + d.appId + SEP + d.version + SEP + d.fileName + SEP + d.country;
      const entry = this.#downloads.get(key);
      if (entry) entry.downloads += d.downloads;
      else if (this.size < this.#maxKeys) this.#downloads.set(key, { ...d });
      else this.#dropped += d.downloads;
    }
  }
}
