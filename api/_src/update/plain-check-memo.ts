/**
 * @module update/plain-check-memo
 * What the node:http listener read from a plain check URL, remembered by the raw URL, and the selection made for it
 * while the app's snapshot it was made from is the one cached. Most checks of a popular app repeat a few URLs (one
 * per running version, platform and bundle), and reading the URL and selecting again cost the server about as much
 * CPU as the rest of our work per check (`npm run bench`; README, Performance). The rate limit, the license, the
 * `X-Install-Id` header, analytics and the ETag/304 rule are still read on every check (check.ts).
 *
 * The URL's reading depends on the URL alone. A selection is reused only for the query read from the URL itself —
 * never one an `X-Install-Id` header changed (its cohort decides), never a licensed app's (its license decides) —
 * and only with the same snapshot, which is held weakly, so an entry never keeps a replaced snapshot alive. The
 * entries are bounded and forgotten all at once when full.
 */
import { type CheckTarget, parseCheckUrl, plainCheckUrl } from './check-request.ts';
import type { Offer, UpdateQuery } from './select.ts';
import type { AppSnapshot } from './snapshot.ts';

/** Distinct check URLs remembered at once: a few hundred per popular app. */
const MAX_ENTRIES = 4096;
/**
 * Longest URL remembered, far above any real check's (a slug, a version, three short parameters): a URL of node's
 * 16 KB header limit is still answered, read afresh, so made-up long URLs cannot make the memo hold ~64 MB.
 */
const MAX_REMEMBERED_URL_LENGTH = 1024;

/** One URL's reading, and the last selection made for exactly that query. */
export class RememberedCheck {
  readonly target: CheckTarget;
  /** What the URL asks (its install id from `install_id=` only). */
  readonly query: UpdateQuery;
  #selected: { snapshot: WeakRef<AppSnapshot>; selection: Offer } | null = null;

  constructor(target: CheckTarget, query: UpdateQuery) {
    this.target = target;
    this.query = query;
  }

  /** The selection made for `query` from `snapshot`, if this remembers one; else undefined. */
  selectionFor(snapshot: AppSnapshot, query: UpdateQuery): Offer | undefined {
    const selected = this.#selected;
    return selected !== null && query === this.query && selected.snapshot.deref() === snapshot ? selected.selection : undefined;
  }

  /** Keeps an open app's selection for the URL's own query (not one an `X-Install-Id` header changed). */
  keep(snapshot: AppSnapshot, query: UpdateQuery, selection: Offer): void {
    if (query === this.query && snapshot.app.licensing !== 'licensed') this.#selected = { snapshot: new WeakRef(snapshot), selection };
  }
}

export class PlainCheckMemo {
  readonly #entries = new Map<string, RememberedCheck>();

  /** The reading of `url`, remembered; null when it is not a plain check URL or does not parse (left to the router). */
  read(url: string): RememberedCheck | null {
    const known = this.#entries.get(url);
    if (known !== undefined) return known;
    const target = plainCheckUrl(url);
    if (target === null) return null;
    let query: UpdateQuery;
    try {
      query = parseCheckUrl(target);
    } catch {
      return null;
    }
    const check = new RememberedCheck(target, query);
    if (url.length > MAX_REMEMBERED_URL_LENGTH) return check;
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    this.#entries.set(url, check);
    return check;
  }

  get size(): number {
    return this.#entries.size;
  }
}
