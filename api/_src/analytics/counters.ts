/**
 * @module analytics/counters
 * Update-check and download counts held in memory between flushes. Recording is a Map lookup and an
 * increment: no query, no await, no JSON. `drain()` hands everything counted so far to the flusher
 * and starts afresh; `restore()` takes a batch back when writing it failed.
 *
 * Distinct installs without storing install ids: per UTC day, a random 64-bit key that never leaves
 * this process; an install id is remembered only as a keyed 53-bit hash of counter key + id (a number
 * in a Set, never written anywhere), and the key and every such tag are dropped at midnight. A
 * cryptographic hash would cost the hot path about 0.7 µs per check for no gain: the tags never leave
 * memory, and with 200,000 installs a day the chance of any two colliding is about 2 in a million.
 * So `installs` is "distinct installs seen by this instance today" — exact on one instance, an upper
 * bound when several instances share the traffic.
 * Checks without an install id cannot be told apart and are counted as `anonymousChecks`.
 *
 * Memory is bounded: at most `maxKeys` distinct counter keys (further new keys are dropped and
 * counted in `dropped`) and `maxInstallsPerDay` remembered installs (beyond that a new install is
 * counted as an anonymous check, since it can no longer be de-duplicated).
 */
import { randomBytes } from 'node:crypto';

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
/** Numbers in a Set, about 20 bytes each: 200,000 stay near 4 MB. */
export const DEFAULT_MAX_INSTALLS_PER_DAY = 200_000;
/** Longer versions are not counted: a client could otherwise grow keys without limit. */
export const MAX_COUNTED_VERSION_LENGTH = 128;

const SEP = '\n';
const DAY_MS = 86_400_000;

/**
 * cyrb53 by bryc (public domain): a fast 53-bit string hash, seeded here with the day's random key.
 * Not cryptographic; it only has to tell installs apart in memory (see the module comment).
 */
export function hash53(text: string, seed1: number, seed2: number): number {
  let h1 = 0xdeadbeef ^ seed1;
  let h2 = 0x41c6ce57 ^ seed2;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

type Level<T> = Map<string, T>;
/** app id → version → platform → channel → country → counts. Nested rather than one joined key: each
 * part is a short string whose hash V8 caches (app id, platform, channel are the same objects every
 * time), so a check joins and hashes no long string. */
type CheckTree = Level<Level<Level<Level<Level<CheckCount>>>>>;

function child<T>(map: Level<T>, key: string, make: () => T): T {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

const newLevel = <T>() => new Map<string, T>();

/** `{os}-{arch}` strings built once, so the hot path passes the same string objects every time. */
const platformKeys = new Map<string, Map<string, string>>();
export function platformKey(os: string, arch: string): string {
  const byArch = child(platformKeys, os, newLevel<string>);
  let key = byArch.get(arch);
  if (key === undefined) {
    key = `${os}-${arch}`;
    if (byArch.size < 64) byArch.set(arch, key);
  }
  return key;
}

export class UsageCounters {
  readonly #maxKeys: number;
  readonly #maxInstalls: number;
  #checks: CheckTree = new Map();
  #checkKeys = 0;
  /** Counts of an earlier day, waiting for the next drain. */
  #carried: CheckCount[] = [];
  #downloads = new Map<string, DownloadCount>();
  #day = '';
  #dayEndsAt = 0;
  #seed1 = 0;
  #seed2 = 0;
  readonly #seen = new Set<number>();
  #dropped = 0;

  constructor(options: UsageCountersOptions = {}) {
    this.#maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    this.#maxInstalls = options.maxInstallsPerDay ?? DEFAULT_MAX_INSTALLS_PER_DAY;
  }

  /** Distinct keys waiting to be written. */
  get size(): number {
    return this.#checkKeys + this.#carried.length + this.#downloads.size;
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
    // The tree is keyed without the day: yesterday's counts wait in `#carried` for the next drain.
    this.#carried.push(...this.#takeChecks());
    // A new key and no memory of yesterday: today's tags cannot be linked to yesterday's.
    const key = randomBytes(8);
    this.#seed1 = key.readInt32LE(0);
    this.#seed2 = key.readInt32LE(4);
    this.#seen.clear();
  }

  #takeChecks(): CheckCount[] {
    const out: CheckCount[] = [];
    for (const versions of this.#checks.values()) {
      for (const platforms of versions.values()) {
        for (const channels of platforms.values()) {
          for (const countries of channels.values()) out.push(...countries.values());
        }
      }
    }
    this.#checks = new Map();
    this.#checkKeys = 0;
    return out;
  }

  #countries(appId: string, version: string, platform: string, channel: string): Level<CheckCount> {
    const versions = child(this.#checks, appId, newLevel<Level<Level<Level<CheckCount>>>>);
    const platforms = child(versions, version, newLevel<Level<Level<CheckCount>>>);
    const channels = child(platforms, platform, newLevel<Level<CheckCount>>);
    return child(channels, channel, newLevel<CheckCount>);
  }

  /**
   * One update check. `now` in milliseconds; `platform` from `platformKey`; `installId` as parsed
   * and validated by the rollout code (update/rollout.ts), or null.
   */
  recordCheck(now: number, appId: string, sentVersion: string, platform: string, channel: string, country: string, installId: string | null): void {
    if (now >= this.#dayEndsAt) this.#startDay(now);
    // The Tauri client's parser drops leading `v`s and is otherwise strict, so valid SemVer without
    // them is already canonical: `v1.2.0` and `1.2.0` are one version and one install.
    const version = sentVersion.charCodeAt(0) === 118 /* v */ ? sentVersion.replace(/^v+/, '') : sentVersion;
    if (version.length > MAX_COUNTED_VERSION_LENGTH) {
      this.#dropped++;
      return;
    }
    const countries = this.#countries(appId, version, platform, channel);
    let entry = countries.get(country);
    if (entry === undefined) {
      if (this.size >= this.#maxKeys) {
        this.#dropped++;
        return;
      }
      entry = { appId, day: this.#day, version, platform, channel, country, checks: 0, installs: 0, anonymousChecks: 0 };
      countries.set(country, entry);
      this.#checkKeys++;
    }
    entry.checks++;
    if (installId === null) {
      entry.anonymousChecks++;
      return;
    }
    // Once per install, app and version a day (an install has one platform; a channel or country
    // change within the day does not make it a second install).
    const tag = hash53(appId + SEP + version + SEP + installId, this.#seed1, this.#seed2);
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
    const batch = { checks: [...this.#carried, ...this.#takeChecks()], downloads: [...this.#downloads.values()] };
    this.#carried = [];
    this.#downloads = new Map();
    return batch;
  }

  /** Puts back a batch that could not be written, adding to what was counted meanwhile. */
  restore(batch: CountBatch): void {
    for (const c of batch.checks) {
      const countries = c.day === this.#day ? this.#countries(c.appId, c.version, c.platform, c.channel) : null;
      const entry = countries?.get(c.country);
      if (entry) {
        entry.checks += c.checks;
        entry.installs += c.installs;
        entry.anonymousChecks += c.anonymousChecks;
      } else if (this.size >= this.#maxKeys) {
        this.#dropped += c.checks;
      } else if (countries) {
        countries.set(c.country, { ...c });
        this.#checkKeys++;
      } else {
        this.#carried.push({ ...c }); // an earlier day: written as it is with the next drain
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
