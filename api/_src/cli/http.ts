/**
 * @module cli/http
 * The CLI's side of the admin API, over the shared JSON client (api/_src/client/json-client.ts): the answer checked
 * against the server's own response schema (protocol/), every failure one of the CLI's errors with its exit code
 * (errors.ts): an error answer is a `ServerRefusal` with the server's code and message, no answer a `NetworkFailure`.
 *
 * `--dry-run`: a mutating request is printed (method, URL, body; the key only as its prefix) instead of sent, and
 * `send` returns null. Reads still go out, so a dry run shows what would really happen (e.g. `upload` still checks
 * signatures against the app's key).
 */
import type * as z from 'zod';
import { type HttpMethod, type JsonAnswer, NoAnswer, readAnswer, Refusal, send, UnexpectedAnswer } from '../client/json-client.ts';
import { KEY_ENV, keyPrefix } from './config.ts';
import { NetworkFailure, ServerRefusal } from './errors.ts';
import type { Output } from './output.ts';

export type Query = Record<string, string | number | undefined>;

/** How long one admin API request may go unanswered before it fails as a network error (exit 3). */
export const REQUEST_TIMEOUT_MS = 60_000;

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
  send<T>(method: Exclude<HttpMethod, 'GET' | 'HEAD'>, route: string, body: unknown, schema: z.ZodType<T> | null): Promise<T | null> {
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

  async #request<T>(method: HttpMethod, route: string, body: unknown, schema: z.ZodType<T> | null, query: Query): Promise<T | null> {
    const request = { method, url: this.#href(route, query) };
    let answer: JsonAnswer;
    try {
      answer = await send({
        ...request,
        headers: { authorization: `Bearer ${this.#key}` },
        body,
        timeoutMs: this.#options.timeoutMs ?? REQUEST_TIMEOUT_MS,
        ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      });
    } catch (error) {
      if (error instanceof NoAnswer) throw new NetworkFailure(`${method} ${this.url}${route}: ${error.reason}`, { cause: error.cause });
      if (error instanceof Refusal) {
        const message = error.body?.error.message ?? `HTTP ${error.status} from ${method} ${route}: ${error.text.trim().slice(0, 200) || error.statusText}`;
        // The server's "unknown API key" does not say where this key came from or how to replace it.
        const fix = error.status === 401 ? `; key ${keyPrefix(this.#key)} was refused: run tauri-release login with a valid key, or fix ${KEY_ENV}` : '';
        throw new ServerRefusal(error.status, error.code, `${message}${fix}`);
      }
      throw error;
    }
    if (schema === null) return null;
    try {
      return readAnswer(request, answer, schema);
    } catch (error) {
      if (!(error instanceof UnexpectedAnswer)) throw error;
      throw new ServerRefusal(error.status, error.code, `${method} ${route} answered ${JSON.stringify(answer.text.slice(0, 120))}, not what a tauri-release server of this version sends (${error.issue ?? 'not JSON'}); is ${this.url} the right URL?`);
    }
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
