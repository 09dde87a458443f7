/**
 * @module ui/session-cookie
 * Who a dashboard request speaks for: the `tr_session` cookie looked up in `ui_sessions`, and the CSRF rules
 * every cookie-authenticated mutation must pass. The routes that create and end sessions are in `session.ts`;
 * `apiKeyAuth` (admin/auth.ts) calls `sessionPrincipal` when a request has no Authorization header.
 *
 * The CSRF token is derived from the session token (a one-way hash), so it needs no storage and a page reload
 * recovers it from `GET /ui/session`. A cross-site page can read neither: the cookie is HttpOnly and
 * SameSite=Strict, and the session view is same-origin JSON.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import { adminTokenHashOf, sameDigest } from './keys.ts';
import { adminTokenPrincipal, apiKeyPrincipal, type Principal } from './principal.ts';
import type { Config } from '../config.ts';
import { ApiError } from '../http/errors.ts';
import { CSRF_HEADER, SESSION_COOKIE, SESSION_TTL_SECONDS } from '../protocol/ui-session.ts';

export { CSRF_HEADER, SESSION_COOKIE, SESSION_TTL_SECONDS };

export interface Session {
  id: string;
  /** The cookie's value; the CSRF token is derived from it. */
  token: string;
  expiresAt: Date;
  principal: Principal;
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateSessionToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashSessionToken(token) };
}

/** base64url(SHA-256("csrf\0" + session token)). */
export function csrfTokenFor(token: string): string {
  return createHash('sha256').update(`csrf\0${token}`, 'utf8').digest('base64url');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const csrfFailed = (message: string) => new ApiError(403, 'csrf_failed', message);
const sessionEnded = () =>
  new ApiError(401, 'unauthorized', 'your dashboard session has ended (expired, signed out, key revoked, or ADMIN_TOKEN changed); sign in again');

/** `Secure` everywhere but on a loopback host, where the dashboard is served over plain http. */
function cookieAttributes(c: Context) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'Strict',
    secure: !LOCAL_HOSTS.has(new URL(c.req.url).hostname),
  } as const;
}

export function setSessionCookie(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, token, { ...cookieAttributes(c), maxAge: SESSION_TTL_SECONDS });
}

export function clearSessionCookie(c: Context): void {
  setCookie(c, SESSION_COOKIE, '', { ...cookieAttributes(c), maxAge: 0 });
}

/**
 * Refuses a request whose `Origin` is present and is not this server's. The request's own origin is the
 * one it was addressed to; PUBLIC_URL's also counts, since a TLS-terminating proxy hands us plain http.
 */
export function assertSameOrigin(c: Context, config: Readonly<Config>): void {
  const origin = c.req.header('origin');
  if (origin === undefined) return;
  const own = new Set([new URL(c.req.url).origin, new URL(config.publicUrl).origin]);
  if (!own.has(origin)) {
    throw csrfFailed(`cross-origin request refused: Origin ${JSON.stringify(origin.slice(0, 200))} is not this server's; use the dashboard served by this server`);
  }
}

function assertCsrf(c: Context, config: Readonly<Config>, token: string): void {
  assertSameOrigin(c, config);
  const sent = c.req.header(CSRF_HEADER);
  if (!sent) {
    throw csrfFailed(`missing ${CSRF_HEADER} header: a request signed in by the session cookie must send the csrf_token from /ui/session in it`);
  }
  const expected = Buffer.from(csrfTokenFor(token));
  const given = Buffer.from(sent);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw csrfFailed(`wrong ${CSRF_HEADER} header: it does not belong to this session; reload /ui/session for the current csrf_token`);
  }
}

/**
 * The session a cookie token names, or null when there is none, it has expired, its key is revoked, or
 * ADMIN_TOKEN has changed since it was created. A dead row is deleted on the way (no background sweep).
 */
export async function findSession(db: Kysely<Database>, config: Readonly<Config>, token: string, now: number = Date.now()): Promise<Session | null> {
  const row = await db
    .selectFrom('ui_sessions as s')
    .leftJoin('api_keys as k', 'k.id', 's.api_key_id')
    .select(['s.id', 's.expires_at', 's.api_key_id', 's.admin_token_hash', 'k.scope', 'k.app_id', 'k.revoked_at'])
    .where('s.token_hash', '=', hashSessionToken(token))
    .executeTakeFirst();
  if (!row) return null;

  const expiresAt = new Date(row.expires_at);
  let principal: Principal | null = null;
  if (expiresAt.getTime() > now) {
    if (row.api_key_id === null) {
      const current = adminTokenHashOf(config);
      if (current && row.admin_token_hash && sameDigest(row.admin_token_hash, current)) principal = adminTokenPrincipal();
    } else if (!row.revoked_at && row.scope === 'admin') {
      principal = apiKeyPrincipal({ id: row.api_key_id, scope: row.scope, app_id: row.app_id });
    }
  }
  if (!principal) {
    await db.deleteFrom('ui_sessions').where('id', '=', row.id).execute();
    return null;
  }
  return { id: row.id, token, expiresAt, principal };
}

/**
 * The session behind the request's cookie, with the CSRF rules applied to unsafe methods: null when there
 * is no cookie; 401 (and the cookie cleared) when it names no live session; 403 `csrf_failed` when an
 * unsafe request lacks the session's `X-CSRF-Token` or comes from another origin.
 */
export async function cookieSession(db: Kysely<Database>, config: Readonly<Config>, c: Context): Promise<Session | null> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token === undefined) return null;
  if (!SAFE_METHODS.has(c.req.method)) assertCsrf(c, config, token);
  const session = token ? await findSession(db, config, token) : null;
  if (!session) {
    clearSessionCookie(c);
    throw sessionEnded();
  }
  return session;
}

/** `cookieSession`'s principal: the same one as the key the session was created with, app scope included. */
export async function sessionPrincipal(db: Kysely<Database>, config: Readonly<Config>, c: Context): Promise<Principal | null> {
  return (await cookieSession(db, config, c))?.principal ?? null;
}
