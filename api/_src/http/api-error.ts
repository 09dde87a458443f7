/**
 * @module http/api-error
 * The API's expected failures, `ApiError` and its family, without the web framework: the domain
 * (`releases/`) throws them, and `http/errors.ts` `errorResponse` turns them into the one error body.
 */
import { DatabaseConnectError, isSocketEvent } from '../../../db/driver-errors.ts';
import { StorageUnavailableError } from '../storage/storage.ts';

/** Every status an `ApiError` answers with (a subset of Hono's `ContentfulStatusCode`). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 416 | 422 | 429 | 500 | 502 | 503;

export const ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  /** A cookie-authenticated mutation without the session's X-CSRF-Token, or from another origin (api/_src/ui/session.ts). */
  'csrf_failed',
  'not_found',
  /** 405: the path exists, not with this method; `Allow` lists the ones it has. */
  'method_not_allowed',
  'conflict',
  'payload_too_large',
  /** 429: see api/_src/rate-limit/limits.ts; the answer carries `Retry-After`. */
  'rate_limited',
  'unavailable',
  'internal',
  // Licensed apps (api/_src/licensing/gate.ts): 401 before a key is proven valid, 403 after.
  'license_required',
  'license_invalid',
  'license_unknown',
  'license_suspended',
  'license_revoked',
  'license_expired',
  'install_id_required',
  'machine_limit_reached',
  /** 403: the license is valid, but this release is not one it may have (a download). */
  'release_not_eligible',
  /** 404: a licensed app has no public static manifest. */
  'app_licensed',
  /** 503: the app is licensed and this server has no SECRETS_KEY to digest license keys with. */
  'secrets_key_missing',
  /** 502: a published release lists the file, and storage has no object for it (download/routes.ts). */
  'artifact_missing',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: ErrorStatus;
  readonly code: ErrorCode;
  constructor(status: ErrorStatus, code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

/**
 * A server-side fault its thrower has already logged, once however many requests meet it (a published file missing
 * from storage): `errorResponse` answers it without logging it again per request.
 */
export class ReportedFault extends ApiError {
  override name = 'ReportedFault';
}

export const badRequest = (message: string) => new ApiError(400, 'invalid_request', message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);
export const conflict = (message: string) => new ApiError(409, 'conflict', message);

/** Raised when the database or storage cannot be reached: clients should try elsewhere or later. */
export class UnavailableError extends ApiError {
  override name = 'UnavailableError';
  constructor(what: string, cause?: unknown) {
    super(503, 'unavailable', `${what} is unavailable; try again shortly`, { cause });
  }
}

/** 429: a rate limit (api/_src/rate-limit/limits.ts) is used up until the current window ends. */
export class RateLimitedError extends ApiError {
  override name = 'RateLimitedError';
  readonly retryAfterSeconds: number;
  constructor(what: string, retryAfterSeconds: number) {
    super(429, 'rate_limited', `too many ${what} from this address; retry after ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Runs a storage call, turning the driver's `StorageUnavailableError` into the API's 503 `UnavailableError('storage')`. */
export async function storageCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StorageUnavailableError) throw new UnavailableError('storage', error);
    throw error;
  }
}

/** Postgres SQLSTATE classes that mean "the database is not there", not "the query was wrong". */
const UNREACHABLE_SQLSTATE = /^(08|57P0|53)/;
const UNREACHABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Seconds a 503 `unavailable` tells clients to wait (`Retry-After`) before they ask again. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** True for errors that mean the database connection failed rather than the query. */
export function isConnectionError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isSocketEvent(e) || e instanceof DatabaseConnectError) return true;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNREACHABLE_SQLSTATE.test(code) || UNREACHABLE_NODE_CODES.has(code))) return true;
    if (typeof message === 'string' && /connection (terminated|timeout|refused)|websocket|timeout exceeded when trying to connect|query read timeout|PGlite is clos(ed|ing)|PGlite instance is already closed|driver has already been destroyed/i.test(message)) {
      return true;
    }
  }
  return false;
}
