/**
 * @module admin/bootstrap
 * The first admin key of an installation without ADMIN_TOKEN: created on start when no active global
 * admin key exists, and returned so `local.ts` can print it once. Revoking every global admin key and
 * restarting therefore mints a new one; set ADMIN_TOKEN to manage keys without this.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import type { Config } from '../config.ts';
import { audit } from '../audit/audit.ts';
import { generateApiKey } from './keys.ts';

export const BOOTSTRAP_KEY_NAME = 'bootstrap';

/** Returns the new key, or null when ADMIN_TOKEN is set or an active global admin key exists. */
export async function ensureBootstrapAdminKey(db: Kysely<Database>, config: Readonly<Config>): Promise<string | null> {
  if (config.adminToken) return null;
  return db.transaction().execute(async (trx) => {
    // Two instances starting together must not both mint a key; the lock is released at commit.
    await sql`select pg_advisory_xact_lock(hashtext('tauri-release:bootstrap-admin-key'))`.execute(trx);
    const active = await trx
      .selectFrom('api_keys')
      .select('id')
      .where('app_id', 'is', null)
      .where('scope', '=', 'admin')
      .where('revoked_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    if (active) return null;
    const secret = generateApiKey();
    const row = await trx
      .insertInto('api_keys')
      .values({ name: BOOTSTRAP_KEY_NAME, scope: 'admin', app_id: null, key_hash: secret.hash, key_prefix: secret.displayPrefix })
      .returning('id')
      .executeTakeFirstOrThrow();
    await audit(trx, 'system', {
      action: 'api_key.create',
      appId: null,
      target: `api_key:${row.id}`,
      details: { name: BOOTSTRAP_KEY_NAME, scope: 'admin', key_prefix: secret.displayPrefix, bootstrap: true },
    });
    return secret.key;
  });
}
