/**
 * @module github/client
 * The few GitHub REST calls the release sync makes, with GitHub's own rules for them:
 * - `GET /repos/{owner}/{repo}/releases`, conditional on the ETag of the last answer (`If-None-Match`), so an
 *   unchanged list is a 304 that costs no rate limit; further pages follow the `Link: rel="next"` header.
 * - An asset's bytes: a public asset from its `browser_download_url`; a private one from the asset API with
 *   `Accept: application/octet-stream` and the token in `Authorization`, which answers with a redirect to a
 *   short-lived signed URL that is fetched without the token.
 *
 * Failures become one `GithubError` with a code the sync report shows and a hint of what to do. Idempotent GETs
 * are retried once after a 5xx or a network failure; a rate limit is never retried here (the sync waits for its reset).
 */
// zod/mini (as config.ts): the Vercel entry builds a GithubClient at every cold start.
import * as z from 'zod/mini';

export const GITHUB_API_VERSION = '2022-11-28';
const PER_PAGE = 100;
/** 1,000 releases: more than any app keeps, and a bound on one sync's requests. */
export const MAX_PAGES = 10;
const USER_AGENT = 'tauri-release (+https://github.com/tauri-release)';

export const GITHUB_ERROR_CODES = ['rate_limited', 'unauthorized', 'not_found', 'moved', 'unavailable', 'invalid_answer'] as const;
export type GithubErrorCode = (typeof GITHUB_ERROR_CODES)[number];

export interface RateLimitState {
  remaining: number | null;
  resetAt: Date | null;
}

export class GithubError extends Error {
  override name = 'GithubError';
  readonly code: GithubErrorCode;
  /** For `rate_limited`: when GitHub said the limit resets. */
  readonly retryAt: Date | null;
  constructor(code: GithubErrorCode, message: string, options: { retryAt?: Date | null; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryAt = options.retryAt ?? null;
  }
}

const assetSchema = z.object({
  id: z.int(),
  name: z.string(),
  size: z.int().check(z.nonnegative()),
  url: z.string(),
  browser_download_url: z.string(),
  updated_at: z.nullish(z.string()),
});
export type GithubAsset = z.infer<typeof assetSchema>;

const releaseSchema = z.object({
  id: z.int(),
  tag_name: z.string(),
  body: z.nullish(z.string()),
  draft: z.boolean(),
  prerelease: z.boolean(),
  published_at: z.nullish(z.string()),
  assets: z.array(assetSchema),
});
export type GithubRelease = z.infer<typeof releaseSchema>;

export type ReleaseList =
  | { changed: false; requests: number; rateLimit: RateLimitState }
  | { changed: true; releases: GithubRelease[]; etag: string | null; requests: number; rateLimit: RateLimitState };

export interface GithubClientOptions {
  /** `https://api.github.com`, or a GitHub Enterprise Server's `https://host/api/v3`, or a test's fake. */
  baseUrl: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Wait before the one retry of a failed GET; tests pass 0. */
  retryDelayMs?: number;
}

function rateLimitOf(headers: Headers): RateLimitState {
  const remaining = headers.get('x-ratelimit-remaining');
  const reset = headers.get('x-ratelimit-reset');
  return {
    remaining: remaining !== null && /^\d+$/.test(remaining) ? Number(remaining) : null,
    resetAt: reset !== null && /^\d+$/.test(reset) ? new Date(Number(reset) * 1000) : null,
  };
}

/** GitHub's rules for "you are rate limited" (primary: remaining 0; secondary: 403/429 with retry-after). */
function rateLimitError(response: Response): GithubError | null {
  if (response.status !== 403 && response.status !== 429) return null;
  const retryAfter = response.headers.get('retry-after');
  const { remaining, resetAt } = rateLimitOf(response.headers);
  if (retryAfter === null && remaining !== 0 && response.status !== 429) return null;
  const retryAt = retryAfter !== null && /^\d+$/.test(retryAfter) ? new Date(Date.now() + Number(retryAfter) * 1000) : (resetAt ?? new Date(Date.now() + 60_000));
  return new GithubError('rate_limited', `GitHub's API rate limit is used up until ${retryAt.toISOString()}; the last synced releases keep being served`, { retryAt });
}

/** The URL of `rel="next"` in a Link header, or null. */
export function nextPageUrl(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1]!;
  }
  return null;
}

export class GithubClient {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  /** Unset: the global `fetch`, looked up on first use (reading it loads Node's HTTP client, which a cold start can skip). */
  readonly #fetch: typeof fetch | undefined;
  readonly #retryDelayMs: number;

  constructor(options: GithubClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#fetch = options.fetch;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  #headers(token: string | null, accept = 'application/vnd.github+json'): Record<string, string> {
    const headers: Record<string, string> = { accept, 'user-agent': USER_AGENT, 'x-github-api-version': GITHUB_API_VERSION };
    if (token) headers.authorization = `Bearer ${token}`;
    return headers;
  }

  /** One GET with the timeout, retried once after a 5xx or a network failure. Never follows redirects itself. */
  async #get(url: string, headers: Record<string, string>, what: string): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      let response: Response | null = null;
      let failure: unknown = null;
      try {
        response = await (this.#fetch ?? fetch)(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(this.#timeoutMs) });
      } catch (error) {
        failure = error;
      }
      if (response && response.status < 500) return response;
      if (attempt >= 2) {
        if (response) {
          await response.body?.cancel().catch(() => {});
          throw new GithubError('unavailable', `GitHub answered ${response.status} to ${what}; it is retried at the next sync`);
        }
        const timedOut = (failure as Error)?.name === 'TimeoutError';
        throw new GithubError(
          'unavailable',
          timedOut ? `GitHub did not answer ${what} within ${this.#timeoutMs} ms; it is retried at the next sync` : `GitHub could not be reached for ${what} (${(failure as Error)?.message ?? failure}); it is retried at the next sync`,
          { cause: failure },
        );
      }
      await response?.body?.cancel().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, this.#retryDelayMs));
    }
  }

  #refusal(response: Response, repository: string, hasToken: boolean): GithubError {
    const limited = rateLimitError(response);
    if (limited) return limited;
    if (response.status === 301 || response.status === 302 || response.status === 307) {
      return new GithubError('moved', `${repository} was renamed or transferred (GitHub redirects to ${response.headers.get('location') ?? 'elsewhere'}); set the app's source repository to its new name`);
    }
    if (response.status === 401) {
      return new GithubError('unauthorized', `GitHub refused the token for ${repository} (401: expired or revoked); store a new token with PUT /admin/apps/{app}/source`);
    }
    if (response.status === 404 || response.status === 403) {
      return new GithubError(
        'not_found',
        hasToken
          ? `${repository} is not visible with the stored token (${response.status}): check the name, and that the token can read its contents`
          : `${repository} was not found (${response.status}): check the name; a private repository needs a token`,
      );
    }
    return new GithubError('invalid_answer', `GitHub answered ${response.status} for ${repository}'s releases`);
  }

  /** The repository's releases, newest first, or `changed: false` when GitHub says the first page has not changed. */
  async listReleases(repository: string, options: { etag: string | null; token: string | null }): Promise<ReleaseList> {
    const releases: GithubRelease[] = [];
    let url: string | null = `${this.#baseUrl}/repos/${repository}/releases?per_page=${PER_PAGE}`;
    let etag: string | null = null;
    let rateLimit: RateLimitState = { remaining: null, resetAt: null };
    let requests = 0;
    for (let page = 1; url !== null && page <= MAX_PAGES; page++) {
      const headers = this.#headers(options.token);
      if (page === 1 && options.etag) headers['if-none-match'] = options.etag;
      const response = await this.#get(url, headers, `the releases of ${repository}`);
      requests++;
      rateLimit = rateLimitOf(response.headers);
      if (page === 1 && response.status === 304) return { changed: false, requests, rateLimit };
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        throw this.#refusal(response, repository, options.token !== null);
      }
      if (page === 1) etag = response.headers.get('etag');
      let json: unknown;
      try {
        json = await response.json();
      } catch (error) {
        throw new GithubError('invalid_answer', `GitHub's list of ${repository}'s releases is not JSON`, { cause: error });
      }
      const parsed = z.array(releaseSchema).safeParse(json);
      if (!parsed.success) throw new GithubError('invalid_answer', `GitHub's list of ${repository}'s releases has an unexpected shape: ${parsed.error.issues[0]?.message}`);
      releases.push(...parsed.data);
      url = nextPageUrl(response.headers.get('link'));
    }
    return { changed: true, releases, etag, requests, rateLimit };
  }

  /**
   * Opens an asset's bytes. Public: `browser_download_url` (redirects followed). Private: the asset API with the
   * token; its redirect is returned as `redirect` when `follow` is false (the download route passes it on), else fetched.
   */
  async openAsset(asset: Pick<GithubAsset, 'url' | 'browser_download_url' | 'name'>, token: string | null, follow = true): Promise<{ body: ReadableStream<Uint8Array>; size: number | null } | { redirect: string }> {
    let url = token ? asset.url : asset.browser_download_url;
    let headers = token ? this.#headers(token, 'application/octet-stream') : { 'user-agent': USER_AGENT };
    for (let hop = 0; hop < 5; hop++) {
      const response = await this.#get(url, headers, `asset ${asset.name}`);
      if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
        const location = new URL(response.headers.get('location')!, url).toString();
        if (!follow && token) return { redirect: location };
        url = location;
        // The signed URL carries its own authorization; the token never leaves for another host.
        headers = { 'user-agent': USER_AGENT };
        continue;
      }
      if (response.status !== 200 || !response.body) {
        await response.body?.cancel().catch(() => {});
        const limited = rateLimitError(response);
        if (limited) throw limited;
        throw new GithubError(response.status === 401 ? 'unauthorized' : response.status === 404 ? 'not_found' : 'invalid_answer', `GitHub answered ${response.status} for asset ${asset.name}`);
      }
      const length = response.headers.get('content-length');
      return { body: response.body, size: length !== null && /^\d+$/.test(length) ? Number(length) : null };
    }
    throw new GithubError('invalid_answer', `asset ${asset.name}: too many redirects`);
  }
}
