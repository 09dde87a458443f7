/**
 * @module admin/auth
 * `Authorization: Bearer <key>` for the admin API. The key is either `ADMIN_TOKEN` (a global admin that
 * needs no database row) or an API key from `api_keys`. The resolved `Principal` is what every route
 * checks scope and app access against.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import type { ApiKeyScope, Database } from '../../db/schema.ts';
import type { Config } from '../config.ts';
import { ApiError } from '../errors.ts';
import { hashApiKey, sameDigest } from './keys.ts';

export interface Principal {
  /** Written to the audit log: `key:<id>` or `token:ADMIN_TOKEN`. */
  actor: string;
  scope: ApiKeyScope;
  /** null: every app. */
  appId: string | null;
  keyId: string | null;
}

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

export function apiKeyAuth(db: Kysely<Database>, config: Readonly<Config>): MiddlewareHandler<AdminEnv> {
  const adminTokenHash = config.adminToken ? hashApiKey(config.adminToken) : null;
  const lastWritten = new Map<string, number>();

  return async function apiKeyAuth(c, next) {
    const hash = hashApiKey(bearerToken(c.req.header('authorization')));
    if (adminTokenHash && sameDigest(hash, adminTokenHash)) {
      c.set('principal', { actor: 'token:ADMIN_TOKEN', scope: 'admin', appId: null, keyId: null });
      return next();
    }
    const key = await db
      .selectFrom('api_keys')
      .select(['id', 'scope', 'app_id', 'revoked_at'])
      .where('key_hash', '=', hash)
      .executeTakeFirst();
    if (!key) throw unauthorized('unknown API key');
    if (key.revoked_at) throw unauthorized('this API key has been revoked');
    c.set('principal', { actor: `key:${key.id}`, scope: key.scope, appId: key.app_id, keyId: key.id });

    const now = Date.now();
    if (now - (lastWritten.get(key.id) ?? 0) > LAST_USED_RESOLUTION_MS) {
      lastWritten.set(key.id, now);
      await db.updateTable('api_keys').set({ last_used_at: new Date(now) }).where('id', '=', key.id).execute();
    }
    return next();
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
