/**
 * @module ui/client/api
 * The dashboard's only way to the server: same-origin fetches to the admin and CI APIs, authenticated by the session
 * cookie, with the CSRF header on every mutation. Failures become `ApiFailure` carrying the API's own error code and
 * message, which the pages show as they are.
 */
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

/** Turns a non-2xx answer into an ApiFailure (and tells listeners about a 401). */
export function failureOf(status: number, bodyText: string): ApiFailure {
  let code = `http_${status}`;
  let message = `the server answered ${status}`;
  try {
    const parsed = JSON.parse(bodyText) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    // not JSON: keep the generic message
  }
  if (status === 401) for (const listener of signedOutListeners) listener();
  return new ApiFailure(status, code, message);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: requestHeaders(method, body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, 'network', 'the server could not be reached; check your connection and try again');
  }
  const text = await response.text();
  if (!response.ok) throw failureOf(response.status, text);
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiFailure(response.status, 'bad_response', `${method} ${path} answered with something other than JSON; is the server a tauri-release control plane?`);
  }
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
  delete: <T = void>(path: string) => call<T>('DELETE', path),
};

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
