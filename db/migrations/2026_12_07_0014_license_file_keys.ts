import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Offline license files (issue 17 item 9, api/_src/licensing/file-keys.ts): each licensed app signs them with an
// Ed25519 key of its own, made when first needed; never the updater key, which this server does not hold. The
// private key is sealed under SECRETS_KEY (AES-256-GCM, github/secrets.ts), so a database dump alone cannot sign.
// A retired key stays listed, so apps that embed it can be told; one current key per app.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('license_file_keys')
    .addColumn('kid', 'text', (col) => col.primaryKey().check(sql`kid ~ '^[0-9a-f]{16}$'`))
    .addColumn('app_id', 'uuid', (col) => col.notNull().references('apps.id').onDelete('cascade'))
    // The raw 32-byte public key, base64.
    .addColumn('public_key', 'text', (col) => col.notNull().check(sql`length(public_key) = 44`))
    .addColumn('private_key_sealed', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('retired_at', 'timestamptz')
    .execute();
  await sql`create unique index license_file_keys_current_idx on license_file_keys (app_id) where retired_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('license_file_keys').execute();
}
