/**
 * @module client/json-client
 * The one JSON client of the control plane's APIs, shared by the dashboard (in the browser), the CLI and the
 * actions: `fetch` only, no Node imports. A call sends JSON, reads the answer once, and either returns the body
 * checked against the server's own schema (protocol/) or throws an `ApiError`:
 *
 * - `NoAnswer`: the request failed on the way (refused connection, DNS, timeout, a body that broke off);
 * - `Refusal`: the server answered 4xx/5xx; its `{"error":{"code","message"}}` body is read with protocol's
 *   `errorBodySchema`, and `body` is null when the answer had not that shape (a proxy's error page);
 * - `UnexpectedAnswer`: a 2xx whose body is not JSON or does not match the schema.
 *
 * Response schemas are the server's `z.object`s, which drop unknown keys rather than refuse them, so a client
 * keeps working against a newer server that adds fields (json-client.test.ts checks every schema the clients read
 * for a strict object). Retries, credentials and how each program words a failure stay with the callers
 * (actions/shared/src/ci-http.ts, cli/http.ts, ui/client/api.ts).
 */
import type * as z from 'zod';
import { type ErrorBody, errorBodySchema } from '../protocol/schemas.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface JsonRequest {
  method: HttpMethod;
  url: string;
  /** Sent as JSON; undefined sends no body. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The browser's cookie policy (the dashboard sends its session cookie: 'same-origin'). */
  credentials?: RequestCredentials;
  /** Per attempt; no limit when unset. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** A 2xx answer, its body read and parsed (null when empty or not JSON). */
export interface JsonAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** Every failure of a call: `status` is null when the server never answered. */
export abstract class ApiError extends Error {
  abstract readonly status: number | null;
  abstract readonly code: string;
}

export class NoAnswer extends ApiError {
  override name = 'NoAnswer';
  readonly status = null;
  readonly code = 'network';
  /** `describeNoAnswer` of the cause: what went wrong on the way. */
  readonly reason: string;
  constructor(request: Pick<JsonRequest, 'method' | 'url'>, reason: string, options?: ErrorOptions) {
    super(`${request.method} ${request.url}: ${reason}`, options);
    this.reason = reason;
  }
}

export class Refusal extends ApiError {
  override name = 'Refusal';
  readonly status: number;
  /** The server's error code, or `http_<status>` when the answer was not an error body. */
  readonly code: string;
  /** The error body, when the answer had that shape. */
  readonly body: ErrorBody | null;
  /** The answer as text (for callers that show a proxy's page). */
  readonly text: string;
  readonly statusText: string;
  /** Seconds the server asked to wait (Retry-After, 0–999), when it did. */
  readonly retryAfterSeconds: number | null;
  constructor(status: number, statusText: string, text: string, body: ErrorBody | null, retryAfterSeconds: number | null) {
    super(body ? body.error.message : `the server answered ${status}`);
    this.status = status;
    this.statusText = statusText;
    this.code = body ? body.error.code : `http_${status}`;
    this.body = body;
    this.text = text;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class UnexpectedAnswer extends ApiError {
  override name = 'UnexpectedAnswer';
  readonly status: number;
  readonly code = 'unexpected_answer';
  /** The first schema issue, with its path; null when the body is not JSON at all (likely not a tauri-release server). */
  readonly issue: string | null;
  readonly text: string;
  constructor(request: Pick<JsonRequest, 'method' | 'url'>, status: number, text: string, issue: string | null) {
    const what = issue === null ? (text.trim() ? `something other than JSON (${JSON.stringify(text.trim().slice(0, 120))})` : 'an empty body') : `an unexpected body (${issue})`;
    super(`${request.method} ${request.url} answered ${status} with ${what}; is the URL a tauri-release server of a compatible version?`);
    this.status = status;
    this.issue = issue;
    this.text = text;
  }
}

/** One line for a failed `fetch`: a timeout, or the message with the system's error code (ECONNREFUSED, …). */
export function describeNoAnswer(error: unknown): string {
  if ((error as Error | null)?.name === 'TimeoutError') return 'the server did not answer in time';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : null;
  const detail = typeof cause?.message === 'string' && cause.message ? cause.message : error instanceof Error ? error.message : String(error);
  return code && !detail.includes(code) ? `${detail} (${code})` : detail;
}

function retryAfter(header: string | null): number | null {
  if (header === null || !/^\d{1,3}$/.test(header.trim())) return null;
  return Number(header.trim());
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null; // not JSON: a proxy's error page, or not a tauri-release server at all
  }
}

/**
 * A 4xx/5xx answer as a `Refusal`, its body read with `errorBodySchema` (also for answers read without `send`, such
 * as the dashboard's upload over XMLHttpRequest).
 */
export function refusalOf(status: number, text: string, answer: { statusText?: string; retryAfter?: string | null } = {}): Refusal {
  const body = errorBodySchema.safeParse(parseJson(text));
  return new Refusal(status, answer.statusText ?? '', text, body.success ? body.data : null, retryAfter(answer.retryAfter ?? null));
}

/**
 * Sends one request and reads its answer.
 *
 * @throws NoAnswer when nothing came back, Refusal on a 4xx/5xx
 */
export async function send(request: JsonRequest): Promise<JsonAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await (request.fetch ?? fetch)(request.url, {
      method: request.method,
      headers,
      body: request.body === undefined ? null : JSON.stringify(request.body),
      ...(request.credentials ? { credentials: request.credentials } : {}),
      ...(request.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(request.timeoutMs) }),
    });
  } catch (error) {
    throw new NoAnswer(request, describeNoAnswer(error), { cause: error });
  }
  let text: string;
  try {
    text = await res.text();
  } catch (error) {
    throw new NoAnswer(request, `the answer broke off: ${describeNoAnswer(error)}`, { cause: error });
  }
  const json = parseJson(text);
  if (!res.ok) throw refusalOf(res.status, text, { statusText: res.statusText, retryAfter: res.headers.get('retry-after') });
  return { status: res.status, headers: res.headers, text, json };
}

/** "answers.0.id: expected string, received number" */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/**
 * The answer's body as `schema` reads it; an empty body (204) is `undefined`, so `schema.optional()` accepts it.
 *
 * @throws UnexpectedAnswer naming the first mismatch
 */
export function readAnswer<T>(request: Pick<JsonRequest, 'method' | 'url'>, answer: Pick<JsonAnswer, 'status' | 'text' | 'json'>, schema: z.ZodType<T>): T {
  const empty = answer.text.trim() === '';
  const value = empty ? undefined : answer.json;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const notJson = empty || (answer.json === null && answer.text.trim() !== 'null');
  throw new UnexpectedAnswer(request, answer.status, answer.text, notJson ? null : describeIssue(parsed.error));
}

/** `readAnswer` of an answer read without `send` (the dashboard's upload over XMLHttpRequest). */
export function readAnswerText<T>(request: Pick<JsonRequest, 'method' | 'url'>, status: number, text: string, schema: z.ZodType<T>): T {
  return readAnswer(request, { status, text, json: parseJson(text) }, schema);
}

/** `send`, then `readAnswer`. */
export async function requestJson<T>(request: JsonRequest, schema: z.ZodType<T>): Promise<T> {
  return readAnswer(request, await send(request), schema);
}
