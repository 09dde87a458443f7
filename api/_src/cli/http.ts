/**
 * @module cli/http
 * The CLI's side of the admin API: one JSON request, the answer checked against the server's own response schema
 * (api/_src/protocol/schemas.ts), every failure a typed error (errors.ts): an error answer is a `ServerRefusal` with the
 * server's code and message, no answer is a `NetworkFailure`.
 *
 * `--dry-run`: a mutating request is printed (method, URL, body; the key only as its prefix) instead of sent, and
 * `send` returns null. Reads still go out, so a dry run shows what would really happen (e.g. `upload` still checks
 * signatures against the app's key).
 */
import type { z } from 'zod';
import { keyPrefix } from './config.ts';
import { NetworkFailure, ServerRefusal } from './errors.ts';
import type { Output } from './output.ts';

export type Query = Record<string, string | number | undefined>;

export interface ClientOptions {
  url: string;
  key: string;
  out: Output;
  dryRun: boolean;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** A request as `--dry-run` shows it. */
export interface PlannedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

export function describeFailure(error: unknown): string {
  if ((error as Error | null)?.name === 'TimeoutError') return 'the server did not answer in time';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : null;
  const detail = typeof cause?.message === 'string' && cause.message ? cause.message : error instanceof Error ? error.message : String(error);
  return code && !detail.includes(code) ? `${detail} (${code})` : detail;
}

/** Path segments are encoded, so an id or version can never change the route. */
export const path = (...segments: readonly string[]) => segments.map((segment, i) => (i === 0 ? segment : encodeURIComponent(segment))).join('/');

export class Client {
  readonly url: string;
  readonly #key: string;
  readonly #options: ClientOptions;

  constructor(options: ClientOptions) {
    this.url = options.url;
    this.#key = options.key;
    this.#options = options;
  }

  get key(): string {
    return this.#key;
  }

  /** GET, always sent (also under --dry-run). */
  get<T>(route: string, schema: z.ZodType<T>, query: Query = {}): Promise<T> {
    return this.#request('GET', route, undefined, schema, query) as Promise<T>;
  }

  /** A mutating request; null under --dry-run, after printing what would have been sent. */
  send<T>(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', route: string, body: unknown, schema: z.ZodType<T> | null): Promise<T | null> {
    if (this.#options.dryRun) {
      printPlanned(this.#options.out, [this.plan(method, route, body)]);
      return Promise.resolve(null);
    }
    return this.#request(method, route, body, schema, {});
  }

  plan(method: string, route: string, body?: unknown, query: Query = {}): PlannedRequest {
    return {
      method,
      url: this.#href(route, query),
      headers: {
        authorization: `Bearer ${keyPrefix(this.#key)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body }),
    };
  }

  #href(route: string, query: Query): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
    const text = search.toString();
    return `${this.url}${route}${text ? `?${text}` : ''}`;
  }

  async #request<T>(method: string, route: string, body: unknown, schema: z.ZodType<T> | null, query: Query): Promise<T | null> {
    const href = this.#href(route, query);
    let res: Response;
    try {
      res = await (this.#options.fetch ?? fetch)(href, {
        method,
        headers: {
          authorization: `Bearer ${this.#key}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      throw new NetworkFailure(`${method} ${this.url}${route}: ${describeFailure(error)}`, { cause: error });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      throw new NetworkFailure(`${method} ${this.url}${route}: the answer broke off: ${describeFailure(error)}`, { cause: error });
    }
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: a proxy's error page, or not a tauri-release server.
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const code = typeof error?.code === 'string' ? error.code : `http_${res.status}`;
      const message = typeof error?.message === 'string' ? error.message : `HTTP ${res.status} from ${method} ${route}: ${text.trim().slice(0, 200) || res.statusText}`;
      throw new ServerRefusal(res.status, code, message);
    }
    if (schema === null) return null;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ServerRefusal(res.status, 'unexpected_answer', `${method} ${route} answered ${JSON.stringify(text.slice(0, 120))}, not what a tauri-release server of this version sends (${parsed.error.issues[0]?.message ?? 'invalid'}); is ${this.url} the right URL?`);
    }
    return parsed.data;
  }
}

/** What `--dry-run` prints: each request, as JSON with --json. */
export function printPlanned(out: Output, requests: readonly PlannedRequest[]): void {
  out.result({ dry_run: true, requests }, () =>
    requests
      .map((request) => {
        const lines = [`would send: ${request.method} ${request.url}`, ...Object.entries(request.headers).map(([name, value]) => `  ${name}: ${value}`)];
        if (request.body !== undefined) lines.push(...JSON.stringify(request.body, null, 2).split('\n').map((line) => `  ${line}`));
        return lines.join('\n');
      })
      .join('\n'),
  );
}
