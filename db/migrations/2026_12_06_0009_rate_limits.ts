import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Failed-authentication counts per one-minute window (api/_src/rate-limit/window.ts, RATE_LIMIT_STORE=database),
// shared by every instance of a serverless deployment. One upsert per failure; old windows are swept.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rate_limit_windows')
    // `ip:<address or IPv6 /64>` or `key:<API key prefix>`.
    .addColumn('bucket', 'text', (col) => col.notNull())
    .addColumn('window_start', 'timestamptz', (col) => col.notNull())
    .addColumn('hits', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('rate_limit_windows_pkey', ['bucket', 'window_start'])
    .execute();
  await db.schema.createIndex('rate_limit_windows_start_idx').on('rate_limit_windows').column('window_start').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_limit_windows').execute();
}
