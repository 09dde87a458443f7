/**
 * @module rate-limit/middleware
 * The limits of `limits.ts` as Hono middleware. The update check counts itself (update/check.ts calls
 * `RateLimits.updateCheck` for whichever adapter answers), since most checks never reach Hono.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { errorResponse } from '../http/errors.ts';
import { peerAddress, type RateLimits } from './limits.ts';

/** Counts every request per client address against `RATE_LIMIT_PUBLIC_PER_MINUTE`. */
export function publicRateLimit(limits: RateLimits): MiddlewareHandler {
  return async function publicRateLimit(c, next) {
    const refused = limits.publicRequest(peerAddress(c), c.req.raw.headers);
    if (refused) return errorResponse(refused, c);
    await next();
  };
}

/** The key a request presents in `Authorization: Bearer …`, if any. */
function presentedKey(c: Context): string | null {
  return /^Bearer[ \t]+(\S+)/i.exec(c.req.header('authorization') ?? '')?.[1] ?? null;
}

/** Where a route finds a key that is not in the Authorization header (the dashboard's sign-in body). */
export const PRESENTED_KEY = 'rateLimitPresentedKey';

/**
 * Refuses requests from an address (or with a key prefix) whose failed authentications used up the
 * window, and counts each answer in `failureStatuses` as one more failure.
 */
export function authFailureLimit(limits: RateLimits, failureStatuses: readonly number[] = [401]): MiddlewareHandler {
  return async function authFailureLimit(c, next) {
    if (!limits.enabled) return next();
    const address = limits.clientAddress(peerAddress(c), c.req.raw.headers);
    await limits.assertAuthAllowed(address, presentedKey(c));
    await next();
    if (failureStatuses.includes(c.res.status)) {
      await limits.authFailed(address, presentedKey(c) ?? ((c.get(PRESENTED_KEY as never) as string | undefined) ?? null));
    }
  };
}

/** For a route that reads the key from its body: refuses a key prefix over its limit, and remembers the key for counting. */
export async function checkPresentedKey(limits: RateLimits, c: Context, key: string): Promise<void> {
  if (!limits.enabled) return;
  c.set(PRESENTED_KEY as never, key as never);
  await limits.assertAuthAllowed(limits.clientAddress(peerAddress(c), c.req.raw.headers), key);
}
