/**
 * @module ui/client/api
 * The dashboard's only way to the server: same-origin calls to the admin and CI APIs through the shared JSON client
 * (api/_src/client/json-client.ts), authenticated by the session cookie, with the CSRF header on every mutation. Each
 * answer the page reads is checked against the server's schema (protocol/). Failures become `ApiFailure` carrying
 * the API's own error code and message, which the pages show as they are; a 401 tells `onSignedOut` listeners.
 */
import type * as z from 'zod';
import { type HttpMethod, NoAnswer, readAnswerText, Refusal, refusalOf, requestJson, send, UnexpectedAnswer } from '../../client/json-client.ts';
import { CSRF_HEADER } from '../../protocol/ui-session.ts';

export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
    this.code = code;
  }
}

let csrfToken: string | null = null;
const signedOutListeners = new Set<() => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any request answers 401: the session expired or its key was revoked. */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export function requestHeaders(method: string, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json', ...extra };
  if (!SAFE_METHODS.has(method) && csrfToken) headers[CSRF_HEADER] = csrfToken;
  return headers;
}

function failureOfRefusal(refusal: Refusal): ApiFailure {
  if (refusal.status === 401) for (const listener of signedOutListeners) listener();
  return new ApiFailure(refusal.status, refusal.code, refusal.message);
}

/** Turns a non-2xx answer into an ApiFailure (and tells listeners about a 401). */
export function failureOf(status: number, bodyText: string): ApiFailure {
  return failureOfRefusal(refusalOf(status, bodyText));
}

function failureOfUnexpected(method: string, path: string, error: UnexpectedAnswer): ApiFailure {
  const what = error.issue === null ? 'something other than JSON' : `an answer this dashboard does not understand (${error.issue})`;
  return new ApiFailure(error.status, 'bad_response', `${method} ${path} answered with ${what}; is the server a tauri-release control plane of this version?`);
}

/** A 2xx answer read without `api` (an upload over XMLHttpRequest), checked with `schema` like any other. */
export function answerOf<T>(method: HttpMethod, path: string, status: number, text: string, schema: z.ZodType<T>): T {
  try {
    return readAnswerText({ method, url: path }, status, text, schema);
  } catch (error) {
    throw error instanceof UnexpectedAnswer ? failureOfUnexpected(method, path, error) : error;
  }
}

async function call<T>(method: HttpMethod, path: string, body: unknown, schema: z.ZodType<T> | null): Promise<T | undefined> {
  const request = { method, url: path, body, headers: requestHeaders(method), credentials: 'same-origin' as const };
  try {
    if (schema) return await requestJson(request, schema);
    await send(request);
    return undefined;
  } catch (error) {
    if (error instanceof NoAnswer) throw new ApiFailure(0, 'network', 'the server could not be reached; check your connection and try again');
    if (error instanceof UnexpectedAnswer) throw failureOfUnexpected(method, path, error);
    if (error instanceof Refusal) throw failureOfRefusal(error);
    throw error;
  }
}

/** Each call's answer is read with `schema`; without one, the answer is not read. */
export const api = {
  get: <T>(path: string, schema: z.ZodType<T>) => call('GET', path, undefined, schema) as Promise<T>,
  post: post as { <T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T>; (path: string, body?: unknown): Promise<void> },
  patch: patch as { <T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T>; (path: string, body: unknown): Promise<void> },
  put: <T>(path: string, body: unknown, schema: z.ZodType<T>) => call('PUT', path, body, schema) as Promise<T>,
  delete: remove as { <T>(path: string, schema: z.ZodType<T>): Promise<T>; (path: string): Promise<void> },
};

function post<T>(path: string, body?: unknown, schema?: z.ZodType<T>): Promise<T | undefined> {
  return call('POST', path, body ?? {}, schema ?? null);
}
function patch<T>(path: string, body: unknown, schema?: z.ZodType<T>): Promise<T | undefined> {
  return call('PATCH', path, body, schema ?? null);
}
function remove<T>(path: string, schema?: z.ZodType<T>): Promise<T | undefined> {
  return call('DELETE', path, undefined, schema ?? null);
}

/** `/admin/apps/{app}/…` with each segment escaped. */
export function adminPath(...segments: (string | number)[]): string {
  return `/admin/${segments.map((segment) => encodeURIComponent(String(segment))).join('/')}`;
}

/** Query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
