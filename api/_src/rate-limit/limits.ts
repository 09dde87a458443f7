/**
 * @module rate-limit/limits
 * The control plane's rate limits, per client address (rate-limit/client-ip.ts), in one-minute windows:
 *
 * - update checks: `RATE_LIMIT_UPDATES_PER_MINUTE` (default 600) per address, always counted in memory: a
 *   statement per check would undo the hot path's "no query", and a CDN in front absorbs most checks anyway.
 *   On several instances each counts its own share, so the limit is per instance.
 * - other public routes (static manifest, downloads, docs, sign-in and token attempts):
 *   `RATE_LIMIT_PUBLIC_PER_MINUTE` (default 600) per address, in memory.
 * - failed authentication (unknown or revoked API keys, refused GitHub OIDC tokens, failed dashboard
 *   sign-ins): `RATE_LIMIT_AUTH_FAILURES_PER_MINUTE` (default 20) per address and per API-key prefix. Once a
 *   bucket is full, every authenticated request from it is answered 429 until the window ends, so guessing
 *   is capped while a correct key costs nothing. Held in `RATE_LIMIT_STORE`: `memory` on one process,
 *   `database` for serverless deployments, where instances come and go and an attacker would otherwise get a
 *   fresh allowance from every one (the Vercel entry defaults to it).
 *
 * Every refusal is 429 with `Retry-After` (seconds to the window's end) and the JSON error body, `no-store`.
 * `RATE_LIMITS=off` turns all of it off.
 */
import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import { isApiKey } from '../protocol/api-key-format.ts';
import { RateLimitedError } from '../http/errors.ts';
import { addressBucket, clientAddress, type HeaderLookup, type TrustedProxies } from './client-ip.ts';
import { DatabaseWindows, MemoryWindows, secondsLeft, type WindowStore } from './window.ts';

export interface RateLimitSettings {
  enabled: boolean;
  store: 'memory' | 'database';
  updatesPerMinute: number;
  publicPerMinute: number;
  authFailuresPerMinute: number;
  trustedProxies: TrustedProxies;
}

/** How many characters of a presented API key name its bucket: the `trk_` prefix and a few more. */
export const KEY_BUCKET_LENGTH = 12;

/** The update check's 429 (update/check.ts), the same bytes whichever adapter writes it. */
export function tooManyRequests(error: RateLimitedError): { status: 429; headers: Record<string, string>; body: string } {
  const body = JSON.stringify({ error: { code: error.code, message: error.message } });
  // Its length too: node:http sends a body written after writeHead without one chunked (node-listener.ts).
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store', 'retry-after': String(error.retryAfterSeconds), 'content-length': String(Buffer.byteLength(body)) };
  return { status: 429, headers, body };
}

type NodeEnv = { incoming?: { socket?: { remoteAddress?: string } } } | undefined;

/** The TCP peer's address of a request Hono got from node:http ('' when made in-process, e.g. `app.request`). */
export function peerAddress(c: Context): string {
  return (c.env as NodeEnv)?.incoming?.socket?.remoteAddress ?? '';
}

export class RateLimits {
  readonly settings: Readonly<RateLimitSettings>;
  readonly #now: () => number;
  readonly #updates = new MemoryWindows();
  readonly #public = new MemoryWindows();
  readonly #authFailures: WindowStore;

  constructor(settings: Readonly<RateLimitSettings>, db: Kysely<Database>, now: () => number = Date.now) {
    this.settings = settings;
    this.#now = now;
    this.#authFailures = settings.store === 'database' ? new DatabaseWindows(db) : new MemoryWindows();
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  clientAddress(peer: string, headers: HeaderLookup): string {
    return clientAddress(peer, headers, this.settings.trustedProxies);
  }

  /** Counts an update check; null when allowed, else the refusal. Synchronous: the hot path calls it. */
  updateCheck(peer: string, headers: HeaderLookup): RateLimitedError | null {
    if (!this.settings.enabled) return null;
    const now = this.#now();
    const count = this.#updates.add(addressBucket(this.clientAddress(peer, headers)), now);
    return count > this.settings.updatesPerMinute ? new RateLimitedError('update checks', secondsLeft(now)) : null;
  }

  /** Counts a request to a public route other than the update check; null when allowed. */
  publicRequest(peer: string, headers: HeaderLookup): RateLimitedError | null {
    if (!this.settings.enabled) return null;
    const now = this.#now();
    const count = this.#public.add(addressBucket(this.clientAddress(peer, headers)), now);
    return count > this.settings.publicPerMinute ? new RateLimitedError('requests', secondsLeft(now)) : null;
  }

  /** Throws a 429 when the address or the key's prefix has used up its failed authentications. */
  async assertAuthAllowed(address: string, key: string | null): Promise<void> {
    if (!this.settings.enabled) return;
    const now = this.#now();
    const limit = this.settings.authFailuresPerMinute;
    for (const bucket of authBuckets(address, key)) {
      if ((await this.#authFailures.count(bucket, now)) >= limit) throw new RateLimitedError('failed authentications', secondsLeft(now));
    }
  }

  /** Counts one failed authentication against the address and the key's prefix. */
  async authFailed(address: string, key: string | null): Promise<void> {
    if (!this.settings.enabled) return;
    const now = this.#now();
    for (const bucket of authBuckets(address, key)) await this.#authFailures.add(bucket, now);
  }
}

/** `ip:<bucket>`, and `key:<prefix>` for something shaped like one of our API keys. */
function authBuckets(address: string, key: string | null): string[] {
  const buckets = [`ip:${addressBucket(address)}`];
  if (key !== null && isApiKey(key)) buckets.push(`key:${key.slice(0, KEY_BUCKET_LENGTH)}`);
  return buckets;
}
