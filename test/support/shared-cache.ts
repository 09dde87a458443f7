/**
 * @module support/shared-cache
 * A shared cache (a CDN) as RFC 9111 has it, reduced to what the update answers' headers decide: it stores only
 * `public` answers with a positive `s-maxage` and no `private`/`no-store`, keyed by URL and the request headers the
 * answer's `Vary` names, and serves a stored answer to every later request that matches. Tests put it in front of
 * the origin to prove no install or license is ever handed an answer the origin would not have given it.
 */
export type Origin = (path: string, headers: Record<string, string>) => Response | Promise<Response>;

export interface CachedAnswer {
  status: number;
  body: string;
}

export class ModelSharedCache {
  readonly #origin: Origin;
  readonly #stored = new Map<string, { vary: string[]; entries: Map<string, CachedAnswer> }>();
  hits = 0;

  constructor(origin: Origin) {
    this.#origin = origin;
  }

  async fetch(path: string, headers: Record<string, string>): Promise<CachedAnswer> {
    const stored = this.#stored.get(path);
    const varyKey = (vary: string[]) => vary.map((name) => headers[name.toLowerCase()] ?? '').join('\n');
    const hit = stored?.entries.get(varyKey(stored.vary));
    if (hit) {
      this.hits++;
      return hit;
    }
    const res = await this.#origin(path, headers);
    const answer = { status: res.status, body: await res.text() };
    const cacheControl = res.headers.get('cache-control') ?? '';
    if (/\bpublic\b/.test(cacheControl) && /\bs-maxage=[1-9]/.test(cacheControl) && !/\b(private|no-store)\b/.test(cacheControl)) {
      const vary = (res.headers.get('vary') ?? '').split(',').map((name) => name.trim()).filter(Boolean);
      const entry = this.#stored.get(path) ?? { vary, entries: new Map() };
      entry.entries.set(varyKey(vary), answer);
      this.#stored.set(path, entry);
    }
    return answer;
  }
}
