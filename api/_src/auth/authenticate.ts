/**
 * @module admin/auth
 * `Authorization: Bearer <key>` for the admin API. The key is either `ADMIN_TOKEN` (a global admin that
 * needs no database row) or an API key from `api_keys`. The resolved `Principal` is what every route
 * checks scope and app access against.
 *
 * Without an Authorization header, the dashboard's session cookie is accepted instead (ui/session-cookie.ts):
 * it stands for the key it was created from, and its mutations must pass the CSRF check.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import type { Config } from '../config.ts';
import { ApiError } from '../http/errors.ts';
import { sessionPrincipal } from './session-cookie.ts';
import { adminTokenHashOf, hashApiKey, sameDigest } from './keys.ts';
import { adminTokenPrincipal, apiKeyPrincipal, type Principal } from './principal.ts';

export type { Principal } from './principal.ts';

export type AdminEnv = { Variables: { principal: Principal } };

/** last_used_at is written at most this often per key, so reads don't each cost a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message);

export function bearerToken(header: string | undefined): string {
  if (!header) throw unauthorized('missing Authorization header; send "Authorization: Bearer <api key>"');
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('malformed Authorization header; expected "Bearer <api key>"');
  return match[1]!;
}

/**
 * Resolves a presented key: `ADMIN_TOKEN` (pass `adminTokenHashOf(config)`) or an unrevoked `api_keys` row.
 * 401 when unknown or revoked. Shared by `apiKeyAuth` and the dashboard's sign-in.
 */
export async function resolveApiKey(db: Kysely<Database>, adminTokenHash: string | null, key: string): Promise<Principal> {
  const hash = hashApiKey(key);
  if (adminTokenHash && sameDigest(hash, adminTokenHash)) return adminTokenPrincipal();
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'scope', 'app_id', 'revoked_at'])
    .where('key_hash', '=', hash)
    .executeTakeFirst();
  if (!row) throw unauthorized('unknown API key');
  if (row.revoked_at) throw unauthorized('this API key has been revoked');
  return apiKeyPrincipal(row);
}

export function apiKeyAuth(db: Kysely<Database>, config: Readonly<Config>): MiddlewareHandler<AdminEnv> {
  const adminTokenHash = adminTokenHashOf(config);
  const lastWritten = new Map<string, number>();

  return async function apiKeyAuth(c, next) {
    const header = c.req.header('authorization');
    // An Authorization header always wins; the cookie counts only without one.
    const fromSession = header === undefined ? await sessionPrincipal(db, config, c) : null;
    const principal = fromSession ?? (await resolveApiKey(db, adminTokenHash, bearerToken(header)));
    c.set('principal', principal);

    // A session's requests are uses of its key too, so the key list's "last used" stays truthful.
    const now = Date.now();
    if (principal.keyId && now - (lastWritten.get(principal.keyId) ?? 0) > LAST_USED_RESOLUTION_MS) {
      lastWritten.set(principal.keyId, now);
      await db.updateTable('api_keys').set({ last_used_at: new Date(now) }).where('id', '=', principal.keyId).execute();
    }
    await next();
    // A cookie, unlike Authorization, does not stop a shared cache from storing the answer (RFC 9111 §3.5).
    if (fromSession) c.header('Cache-Control', 'private, no-store');
  };
}

export function principalOf(c: Context<AdminEnv>): Principal {
  return c.get('principal');
}

/** Admin scope only; CI keys may create releases and upload artifacts but nothing else. */
export function requireAdmin(principal: Principal): void {
  if (principal.scope !== 'admin') {
    throw new ApiError(403, 'forbidden', 'this action needs an admin-scoped API key; this key has scope "ci"');
  }
}

/** Global keys only (creating apps, managing global keys). */
export function requireGlobal(principal: Principal): void {
  if (principal.appId !== null) {
    throw new ApiError(403, 'forbidden', 'this action needs a global API key; this key is scoped to one app');
  }
}
