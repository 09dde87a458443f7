/**
 * @module admin/api-keys
 * `/admin/keys`: create (the secret is in that response only), list (metadata, never the hash) and
 * revoke API keys. A key scoped to an app manages keys of that app only, so it can never mint a key
 * that reaches further than itself; CI keys manage no keys at all.
 */
import { Hono } from 'hono';
import { sql } from 'kysely';
import type { ApiKeyRow } from '../../../db/schema.ts';
import type { AppDeps } from '../deps.ts';
import { defineRoutes } from '../docs/registry.ts';
import { ApiError, badRequest, notFound } from '../http/errors.ts';
import {
  type ApiKeyBody,
  apiKeyListSchema,
  apiKeySchema,
  createApiKeyBodySchema,
  createdApiKeySchema,
  listApiKeysQuerySchema,
} from '../protocol/schemas.ts';
import { findAppFor } from '../auth/access.ts';
import { isUuid } from '../protocol/uuid.ts';
import { audit } from '../audit/audit.ts';
import { type AdminEnv, principalOf, requireAdmin } from '../auth/authenticate.ts';
import { generateApiKey } from '../auth/keys.ts';
import { readJson, readQuery } from '../http/request.ts';

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export function toApiKeyBody(row: Omit<ApiKeyRow, 'key_hash'>): ApiKeyBody {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    app_id: row.app_id,
    key_prefix: row.key_prefix,
    created_at: row.created_at.toISOString(),
    last_used_at: iso(row.last_used_at),
    revoked_at: iso(row.revoked_at),
  };
}

const METADATA = ['id', 'name', 'scope', 'app_id', 'key_prefix', 'created_at', 'last_used_at', 'revoked_at'] as const;

export function apiKeyRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db } = deps;
  const app = new Hono<AdminEnv>();

  app.post('/', async (c) => {
    const principal = principalOf(c);
    requireAdmin(principal);
    const body = await readJson(c, createApiKeyBodySchema);
    let appId: string | null = null;
    if (body.app !== undefined) {
      appId = (await findAppFor(db, principal, body.app)).id;
    } else if (principal.appId !== null) {
      throw new ApiError(403, 'forbidden', 'this key is scoped to one app and cannot create global keys; pass "app" with that app');
    }
    const secret = generateApiKey();
    const row = await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('api_keys')
        .values({ name: body.name, scope: body.scope, app_id: appId, key_hash: secret.hash, key_prefix: secret.displayPrefix })
        .returning(METADATA)
        .executeTakeFirstOrThrow();
      await audit(trx, principal, {
        action: 'api_key.create',
        appId,
        target: `api_key:${inserted.id}`,
        details: { name: inserted.name, scope: inserted.scope, key_prefix: inserted.key_prefix },
      });
      return inserted;
    });
    c.header('Cache-Control', 'no-store');
    return c.json({ ...toApiKeyBody(row), key: secret.key }, 201);
  });

  app.get('/', async (c) => {
    const principal = principalOf(c);
    requireAdmin(principal);
    const query = readQuery(c, listApiKeysQuerySchema);
    const appId = query.app !== undefined ? (await findAppFor(db, principal, query.app)).id : principal.appId;
    const rows = await db
      .selectFrom('api_keys')
      .select(METADATA)
      .$if(appId !== null, (qb) => qb.where('app_id', '=', appId!))
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
    return c.json({ keys: rows.map(toApiKeyBody) });
  });

  app.delete('/:id', async (c) => {
    const principal = principalOf(c);
    requireAdmin(principal);
    const id = c.req.param('id');
    if (!isUuid(id)) throw badRequest('the API key id must be a UUID (the "id" field of the key, not the key itself)');
    const row = await db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('api_keys')
        .select(METADATA)
        .where('id', '=', id.toLowerCase())
        .$if(principal.appId !== null, (qb) => qb.where('app_id', '=', principal.appId!))
        .forUpdate()
        .executeTakeFirst();
      if (!current) throw notFound(`API key ${id} not found`);
      if (current.revoked_at !== null) return current;
      const revoked = await trx
        .updateTable('api_keys')
        .set({ revoked_at: sql<Date>`now()` })
        .where('id', '=', current.id)
        .returning(METADATA)
        .executeTakeFirstOrThrow();
      await audit(trx, principal, {
        action: 'api_key.revoke',
        appId: revoked.app_id,
        target: `api_key:${revoked.id}`,
        details: { name: revoked.name, scope: revoked.scope, key_prefix: revoked.key_prefix },
      });
      return revoked;
    });
    return c.json(toApiKeyBody(row));
  });

  return app;
}

export const apiKeyRouteDocs = defineRoutes([
  {
    method: 'post',
    path: '/',
    tag: 'API keys',
    summary: 'Create an API key',
    description:
      'Returns the key once, in `key`; only its SHA-256 is stored. A key scoped to an app can create keys for that ' +
      'app only, and must name it in `app`.',
    auth: 'api-key',
    access: 'admin scope',
    body: createApiKeyBodySchema,
    responses: {
      201: { description: 'the key and its metadata', schema: createdApiKeySchema },
      403: { description: 'a CI key, or an app-scoped key asking for a global key' },
      404: { description: '`app` does not exist or is not visible to this key' },
    },
  },
  {
    method: 'get',
    path: '/',
    tag: 'API keys',
    summary: 'List API keys',
    description: 'Metadata only, newest first, revoked keys included. An app-scoped key sees its app\'s keys.',
    auth: 'api-key',
    access: 'admin scope',
    query: listApiKeysQuerySchema,
    responses: { 200: { description: 'the keys', schema: apiKeyListSchema }, 403: { description: 'a CI key' } },
  },
  {
    method: 'delete',
    path: '/{id}',
    tag: 'API keys',
    summary: 'Revoke an API key',
    description: 'Sets revoked_at; the key is refused (401) from then on. Revoking a revoked key changes nothing.',
    auth: 'api-key',
    access: 'admin scope',
    params: { id: 'the key\'s id (UUID)' },
    responses: {
      200: { description: 'the revoked key', schema: apiKeySchema },
      403: { description: 'a CI key' },
      404: { description: 'no such key within this key\'s reach' },
    },
  },
]);
