/**
 * @module errors
 * Expected failures are thrown as `ApiError` (`api-error.ts`, free of Hono) and mapped to
 * `{"error":{"code","message"}}` in one place (`errorResponse`), so no route builds its own error body.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { ApiError, type ErrorCode, isConnectionError, RateLimitedError, ReportedFault, UNAVAILABLE_RETRY_AFTER_SECONDS } from './api-error.ts';
import { StorageUnavailableError } from '../storage/storage.ts';
import { loggedError } from './logged-error.ts';
import { loggedPath } from './request-log.ts';
import { UNSTORABLE_TEXT } from './storable-text.ts';

export * from './api-error.ts';

function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/**
 * Postgres refusing text it cannot store: 22021 "invalid byte sequence for encoding UTF8: 0x00" (text) and 22P05
 * "unsupported Unicode escape sequence" (`\u0000` in jsonb). https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
function isUnstorableTextError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '22021' || code === '22P05';
}

/** Turns any thrown value into the JSON error response; logs only what is unexpected. */
export function errorResponse(error: unknown, c: Context): Response {
  let status: ContentfulStatusCode = 500;
  let code: ErrorCode = 'internal';
  let message = 'internal error';
  if (error instanceof ApiError) {
    ({ status, code, message } = error);
    if (error instanceof RateLimitedError) c.header('Retry-After', String(error.retryAfterSeconds));
  } else if (error instanceof ZodError) {
    status = 400;
    code = 'invalid_request';
    message = describeZodError(error);
  } else if (error instanceof HTTPException) {
    status = error.status as ContentfulStatusCode;
    code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'invalid_request';
    message = error.message || 'invalid request';
  } else if ((error as { code?: unknown })?.code === '23505') {
    status = 409;
    code = 'conflict';
    message = 'a record with the same unique value already exists';
  } else if (isUnstorableTextError(error)) {
    // The last line of defence: inputs are checked before any query (storable-text.ts), so this means one was missed.
    status = 400;
    code = 'invalid_request';
    message = `text ${UNSTORABLE_TEXT}`;
  } else if (isConnectionError(error)) {
    status = 503;
    code = 'unavailable';
    message = 'the database is unavailable; try again shortly';
  }
  if (code === 'unavailable') c.header('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
  // An expected 503 is not logged (a database outage would log every update check; the pool logs it once), except
  // a storage refusal: a full disk shows nowhere else.
  const expectedOutage = error instanceof ApiError && status === 503 && !(error.cause instanceof StorageUnavailableError);
  const reported = error instanceof ReportedFault;
  if ((status >= 500 && !expectedOutage && !reported) || isUnstorableTextError(error)) {
    console.error(`${c.req.method} ${loggedPath(c.req.path)} failed: ${loggedError(error)}`);
  }
  return errorJson(c, status, code, message);
}

/** The one error body. `no-store`, so no CDN keeps an outage or a typo'd URL's answer. */
export function errorJson(c: Context, status: ContentfulStatusCode, code: ErrorCode, message: string): Response {
  c.header('Cache-Control', 'no-store');
  return c.json({ error: { code, message } }, status);
}
