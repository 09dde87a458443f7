/**
 * @module github-api
 * The GitHub REST calls a release needs (create, read by id, list, update; list, upload, delete and download assets),
 * with GitHub's rules for trying again:
 * - a 5xx, a network failure or a timeout: again after 1 s, 2 s, 4 s, … (up to `attempts`);
 * - a secondary rate limit (403 or 429 with `Retry-After`): again after the seconds it asks;
 * - the primary limit used up (403/429 with `x-ratelimit-remaining: 0`): again at `x-ratelimit-reset`;
 * a wait longer than `maxWaitMs` is not made (the step fails and says when the limit resets). Any other 4xx is
 * final: a `GithubApiError` with GitHub's own message, and a hint for the usual 403 (a token without
 * `contents: write`).
 *
 * Assets are uploaded to the release's `upload_url` (GitHub's uploads host, `uploads.github.com`), a template
 * `…/assets{?name,label}` whose `{?…}` part is dropped before the query is added.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Logger } from '../../shared/src/logger.ts';
import { exponentialBackoff, retry, sleep as wait } from '../../shared/src/retry.ts';
import { redact, type Secret } from '../../shared/src/secret.ts';

const API_VERSION = '2022-11-28';
const USER_AGENT = 'tauri-release github-release';

export interface GithubAsset {
  id: number;
  name: string;
  size: number;
  /** `sha256:<hex>`, which GitHub computes for assets uploaded since mid-2025; absent on older ones. */
  digest?: string | null;
  /** `uploaded`, or `starter`/`new` for an upload that broke off (it blocks the name until deleted). */
  state?: string;
  url: string;
}

export interface GithubRelease {
  id: number;
  tag_name: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  html_url: string;
  upload_url: string;
  created_at: string;
}

export interface CreateReleaseBody {
  tag_name: string;
  name: string;
  body?: string;
  draft: true;
  prerelease: boolean;
  generate_release_notes?: boolean;
  target_commitish?: string;
}

/** GitHub lists only this many of a repository's newest releases ("Only the first 1000 results are available"). */
export const RELEASE_LIST_LIMIT = 1000;

export class GithubApiError extends Error {
  override name = 'GithubApiError';
  /** Null when GitHub never answered. */
  readonly status: number | null;
  /** GitHub's `errors[].code` values (`already_exists`, …). */
  readonly codes: string[];
  /** Milliseconds GitHub asked to wait (rate limits), when it did. */
  readonly waitMs: number | null;
  /** GitHub's `errors[].field` values (`tag_name`, `body`, …). */
  readonly fields: string[];
  constructor(call: string, status: number | null, detail: string, codes: string[] = [], waitMs: number | null = null, fields: string[] = []) {
    super(`${call}: ${status === null ? 'no answer' : `HTTP ${status}`}: ${detail}`);
    this.status = status;
    this.codes = codes;
    this.waitMs = waitMs;
    this.fields = fields;
  }
  get retryable(): boolean {
    return this.status === null || this.status >= 500 || this.waitMs !== null;
  }
}

export interface GithubApiOptions {
  /** `https://api.github.com` (GITHUB_API_URL), or a GitHub Enterprise Server's, or a test's fake. */
  apiUrl: string;
  /** `owner/repo`. */
  repository: string;
  token: Secret;
  logger: Logger;
  /** Attempts per call, the first included (default 6). */
  attempts?: number;
  backoff?: (failedAttempt: number) => number;
  /** The longest rate-limit wait made (default 5 minutes). */
  maxWaitMs?: number;
  /** Per attempt of a call that sends or fetches a file's bytes (default 10 minutes: an installer upload). */
  timeoutMs?: number;
  /** Per attempt of every other call (default 60 s), so a GitHub that stops answering fails the step in minutes, not an hour. */
  callTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

/** The wait a rate-limited answer asks for, in ms, or null when the answer is not a rate limit. */
export function rateLimitWaitMs(status: number, headers: Headers, now = Date.now()): number | null {
  if (status !== 403 && status !== 429) return null;
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) return Number(retryAfter.trim()) * 1000;
  const reset = headers.get('x-ratelimit-reset');
  if (headers.get('x-ratelimit-remaining') === '0' && reset !== null && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now) + 1000;
  // GitHub's documented fallback for a secondary limit without either header: wait at least a minute.
  return status === 429 ? 60_000 : null;
}

type Body = { json: unknown } | { file: string; size: number; contentType: string } | undefined;

export class GithubApi {
  readonly #options: GithubApiOptions;
  readonly #api: string;

  constructor(options: GithubApiOptions) {
    this.#options = options;
    this.#api = `${options.apiUrl.replace(/\/+$/, '')}/repos/${options.repository}`;
  }

  get repository(): string {
    return this.#options.repository;
  }

  /**
   * Creates a release. The POST is not idempotent (GitHub lets several drafts share a tag), so after an attempt whose
   * outcome is unknown (no answer, or a 5xx, which GitHub also sends after it made the release) `findMade` is asked
   * for the release that attempt may have made, and only when there is none is the POST sent again.
   */
  createRelease(body: CreateReleaseBody, findMade: () => Promise<GithubRelease | undefined>): Promise<GithubRelease> {
    const url = `${this.#api}/releases`;
    let unknownOutcome: GithubApiError | null = null;
    return this.#withRetries(`POST ${url}`, async () => {
      if (unknownOutcome) {
        this.#options.logger.info(`${unknownOutcome.message}: looking for the draft that attempt may have made before creating one again`);
        const made = await findMade();
        if (made) return made;
      }
      try {
        return (await this.#request('POST', url, { json: body })) as GithubRelease;
      } catch (error) {
        if (error instanceof GithubApiError && (error.status === null || error.status >= 500)) unknownOutcome = error;
        throw error;
      }
    });
  }

  getRelease(id: number): Promise<GithubRelease> {
    return this.#json('GET', `${this.#api}/releases/${id}`) as Promise<GithubRelease>;
  }

  /** The published release of `tag` (GitHub never answers a draft here), or null. */
  async getReleaseByTag(tag: string): Promise<GithubRelease | null> {
    return (await this.#json('GET', `${this.#api}/releases/tags/${encodeURIComponent(tag)}`, undefined, [404])) as GithubRelease | null;
  }

  /**
   * The repository's releases, newest first, drafts included (the token can push): `pages` pages of 100 from
   * `firstPage`, never past the `RELEASE_LIST_LIMIT` newest (GitHub refuses to list further).
   */
  async listReleases(pages = 5, firstPage = 1): Promise<GithubRelease[]> {
    const all: GithubRelease[] = [];
    const lastPage = Math.min(firstPage + pages - 1, RELEASE_LIST_LIMIT / 100);
    for (let page = firstPage; page <= lastPage; page++) {
      const batch = (await this.#json('GET', `${this.#api}/releases?per_page=100&page=${page}`)) as GithubRelease[];
      all.push(...batch);
      if (batch.length < 100) break;
    }
    return all;
  }

  updateRelease(id: number, patch: Partial<Pick<GithubRelease, 'name' | 'body' | 'draft' | 'prerelease'>> & { make_latest?: 'true' | 'false' }): Promise<GithubRelease> {
    return this.#json('PATCH', `${this.#api}/releases/${id}`, { json: patch }) as Promise<GithubRelease>;
  }

  async listAssets(releaseId: number): Promise<GithubAsset[]> {
    const all: GithubAsset[] = [];
    for (let page = 1; ; page++) {
      const batch = (await this.#json('GET', `${this.#api}/releases/${releaseId}/assets?per_page=100&page=${page}`)) as GithubAsset[];
      all.push(...batch);
      if (batch.length < 100) return all;
    }
  }

  async deleteAsset(assetId: number): Promise<void> {
    await this.#json('DELETE', `${this.#api}/releases/assets/${assetId}`, undefined, [404]);
  }

  /** Uploads a file under `name`, streamed from disk with its Content-Length (a retry streams it again). */
  async uploadAsset(release: GithubRelease, name: string, path: string, contentType = 'application/octet-stream'): Promise<GithubAsset> {
    const base = release.upload_url.replace(/\{\?[^}]*\}$/, '');
    const url = `${base}?name=${encodeURIComponent(name)}`;
    return (await this.#json('POST', url, async () => ({ file: path, size: (await stat(path)).size, contentType }))) as GithubAsset;
  }

  /** An asset's bytes (through GitHub's redirect to its storage). */
  async downloadAsset(asset: GithubAsset): Promise<Buffer> {
    const call = `GET ${asset.url}`;
    return this.#withRetries(call, async () => {
      const response = await this.#fetch(call, asset.url, { headers: this.#headers('application/octet-stream') }, this.#transferTimeoutMs);
      if (!response.ok) throw await this.#refusal(call, response);
      return Buffer.from(await response.arrayBuffer());
    });
  }

  #headers(accept = 'application/vnd.github+json'): Record<string, string> {
    return { accept, authorization: `Bearer ${this.#options.token.reveal()}`, 'user-agent': USER_AGENT, 'x-github-api-version': API_VERSION };
  }

  get #transferTimeoutMs(): number {
    return this.#options.timeoutMs ?? 600_000;
  }

  async #fetch(call: string, url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
    try {
      return await (this.#options.fetch ?? fetch)(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new GithubApiError(call, null, error instanceof Error ? `${error.message}${(error.cause as Error | undefined)?.message ? ` (${(error.cause as Error).message})` : ''}` : String(error));
    }
  }

  async #refusal(call: string, response: Response): Promise<GithubApiError> {
    const text = await response.text().catch(() => '');
    let detail = text.trim().slice(0, 300) || response.statusText || '(empty answer)';
    let codes: string[] = [];
    let fields: string[] = [];
    try {
      const body = JSON.parse(text) as { message?: string; errors?: ({ code?: string; field?: string; message?: string } | string)[] };
      if (body.message) detail = body.message;
      const errors = (body.errors ?? []).map((e) => (typeof e === 'string' ? { message: e } : e));
      codes = errors.map((e) => e.code ?? '').filter(Boolean);
      fields = errors.map((e) => e.field ?? '').filter(Boolean);
      // A 422's reason is in errors[]: `already_exists` on `tag_name`, or a `custom` one's own words ("body is too long …").
      const reasons = errors.map((e) => e.message ?? [e.field, e.code].filter(Boolean).join(' ')).filter(Boolean);
      if (reasons.length) detail += `: ${reasons.join('; ')}`;
    } catch {
      // not JSON: a proxy's page
    }
    // A secondary limit sometimes comes without either header; GitHub says to wait at least a minute then.
    const waitMs = rateLimitWaitMs(response.status, response.headers) ?? (response.status === 403 && /secondary rate limit/i.test(detail) ? 60_000 : null);
    if (response.status === 403 && waitMs === null) detail += '. Does the token have `contents: write` (permissions: contents: write in the workflow)?';
    // A proxy's error page may echo the Authorization header: the token is masked in the log, and kept out of messages.
    return new GithubApiError(call, response.status, redact(detail, [this.#options.token]), codes, waitMs, fields);
  }

  #json(method: string, url: string, body?: Body | (() => Promise<Body>), accept404: number[] = []): Promise<unknown> {
    return this.#withRetries(`${method} ${url.replace(/\?.*$/, '')}`, () => this.#request(method, url, body, accept404));
  }

  /** One attempt of a call (no retry). */
  async #request(method: string, url: string, body?: Body | (() => Promise<Body>), accept404: number[] = []): Promise<unknown> {
    const call = `${method} ${url.replace(/\?.*$/, '')}`;
    const resolved = typeof body === 'function' ? await body() : body;
    const headers = this.#headers();
    let payload: BodyInit | undefined;
    if (resolved && 'json' in resolved) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(resolved.json);
    } else if (resolved) {
      headers['content-type'] = resolved.contentType;
      headers['content-length'] = String(resolved.size);
      payload = Readable.toWeb(createReadStream(resolved.file)) as ReadableStream;
    }
    const timeoutMs = resolved && 'file' in resolved ? this.#transferTimeoutMs : (this.#options.callTimeoutMs ?? 60_000);
    const response = await this.#fetch(call, url, { method, headers, body: payload, ...(payload instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit, timeoutMs);
    if (accept404.includes(response.status)) return null;
    if (!response.ok) throw await this.#refusal(call, response);
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  #withRetries<T>(call: string, task: () => Promise<T>): Promise<T> {
    const attempts = this.#options.attempts ?? 6;
    const backoff = this.#options.backoff ?? exponentialBackoff(1_000, 30_000);
    const maxWaitMs = this.#options.maxWaitMs ?? 300_000;
    let last: unknown;
    const tracked = async () => {
      try {
        return await task();
      } catch (error) {
        last = error;
        throw error;
      }
    };
    return retry(tracked, {
      attempts,
      retryIf: (error) => error instanceof GithubApiError && error.retryable && (error.waitMs ?? 0) <= maxWaitMs,
      delayMs: (failed) => (last instanceof GithubApiError && last.waitMs !== null ? last.waitMs : backoff(failed)),
      onRetry: (error, failed, delay) => this.#options.logger.info(`${(error as Error).message}; attempt ${failed + 1} of ${attempts} in ${(delay / 1000).toFixed(1)} s`),
      sleep: this.#options.sleep ?? wait,
    }).catch((error: unknown) => {
      if (error instanceof GithubApiError && error.waitMs !== null && error.waitMs > maxWaitMs) {
        throw new GithubApiError(call, error.status, `${error.message}; GitHub asks to wait ${Math.ceil(error.waitMs / 1000)} s, longer than this step waits: re-run the job later`);
      }
      throw error;
    });
  }
}
