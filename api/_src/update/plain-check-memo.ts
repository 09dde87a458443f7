/**
 * @module update/plain-check-memo
 * What the node:http listener read from a plain check URL and selected for it, remembered by the raw URL for as long
 * as the snapshot it was selected from is the one cached for the app. Most checks of a popular app repeat a few URLs
 * (one per running version, platform and bundle), and reading the URL and selecting again cost about as much CPU in
 * the server as the rest of our work per check (`npm run bench`; README, Performance). The rate limit, analytics and
 * the ETag/304 rule still run on every check (check.ts).
 *
 * Only what depends on the URL and the snapshot alone is remembered: never a check sending `X-Install-Id` (its
 * cohort decides the selection), never a licensed app's (its license does). The snapshot is held weakly, so an entry
 * never keeps a replaced snapshot alive; the entries are bounded and forgotten all at once when full.
 */
import { INSTALL_ID_HEADER } from './rollout.ts';
import type { CheckTarget, HeaderReader } from './check-request.ts';
import type { ReleaseCache } from './cache.ts';
import type { Offer, UpdateQuery } from './select.ts';
import type { AppSnapshot } from './snapshot.ts';

export interface RememberedCheck {
  readonly target: CheckTarget;
  readonly query: UpdateQuery;
  readonly selection: Offer;
  readonly snapshot: WeakRef<AppSnapshot>;
}

/** Distinct check URLs remembered at once: a few hundred per popular app. */
const MAX_ENTRIES = 4096;

export class PlainCheckMemo {
  readonly #entries = new Map<string, RememberedCheck>();

  /** The remembered check for `url` and the snapshot it holds, if that is still the app's cached one; else null. */
  recall(url: string, cache: Pick<ReleaseCache, 'peek'>, headers: HeaderReader): { check: RememberedCheck; snapshot: AppSnapshot } | null {
    const check = this.#entries.get(url);
    if (check === undefined) return null;
    const snapshot = check.snapshot.deref();
    if (snapshot === undefined || cache.peek(check.target.app) !== snapshot || headers.get(INSTALL_ID_HEADER) !== null) return null;
    return { check, snapshot };
  }

  /** Remembers an open app's check selected without `X-Install-Id`. */
  remember(url: string, target: CheckTarget, headers: HeaderReader, snapshot: AppSnapshot, query: UpdateQuery, selection: Offer): void {
    if (snapshot.app.licensing === 'licensed' || headers.get(INSTALL_ID_HEADER) !== null) return;
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    this.#entries.set(url, { target, query, selection, snapshot: new WeakRef(snapshot) });
  }

  get size(): number {
    return this.#entries.size;
  }
}
