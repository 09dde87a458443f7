import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Dashboard sign-in sessions (api/_src/ui/session.ts): an API key exchanged for a cookie. The row is the session's
// only state, so signing out, revoking the key or changing ADMIN_TOKEN ends it on every instance at once.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ui_sessions')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    // SHA-256 hex of the cookie's token; the token itself is never stored.
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    // Revoking a key ends its sessions through the lookup's join; deleting it removes them.
    .addColumn('api_key_id', 'uuid', (col) => col.references('api_keys.id').onDelete('cascade'))
    // ADMIN_TOKEN sessions: the token's hash at sign-in, so a changed ADMIN_TOKEN ends them.
    .addColumn('admin_token_hash', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addCheckConstraint('ui_sessions_one_principal', sql`(api_key_id is null) <> (admin_token_hash is null)`)
    .execute();
  await db.schema.createIndex('ui_sessions_expires_idx').on('ui_sessions').column('expires_at').execute();
  // The foreign key's cascade looks sessions up by key.
  await db.schema.createIndex('ui_sessions_api_key_idx').on('ui_sessions').column('api_key_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ui_sessions').execute();
}
