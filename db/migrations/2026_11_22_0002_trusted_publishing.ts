import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Trusted publishing: GitHub repositories bound to an app, the replay store for OIDC token ids, and the
// short-lived credentials an OIDC token is exchanged for (api/_src/ci/).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('trusted_publishers')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('app_id', 'uuid', (col) => col.notNull().references('apps.id').onDelete('cascade'))
    // As GitHub spells it; compared case-insensitively, like GitHub does.
    .addColumn('repository', 'text', (col) => col.notNull().check(sql`repository ~ '^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$'`))
    // GitHub sends ids as strings; kept as text so they are compared as strings, never coerced.
    .addColumn('repository_id', 'text', (col) => col.notNull().check(sql`repository_id ~ '^[1-9][0-9]{0,19}$'`))
    .addColumn('repository_owner_id', 'text', (col) => col.notNull().check(sql`repository_owner_id ~ '^[1-9][0-9]{0,19}$'`))
    .addColumn('workflow', 'text')
    .addColumn('environment', 'text')
    .addColumn('allowed_refs', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`).check(sql`jsonb_typeof(allowed_refs) = 'array'`))
    .addColumn('allow_self_hosted', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('can_publish', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('trusted_publishers_app_idx').on('trusted_publishers').column('app_id').execute();

  // One row per OIDC token exchanged; the primary key makes "accepted once" atomic across instances.
  await db.schema
    .createTable('oidc_jti')
    .addColumn('jti', 'text', (col) => col.primaryKey().check(sql`length(jti) between 1 and 256`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('oidc_jti_expires_idx').on('oidc_jti').column('expires_at').execute();

  await db.schema
    .createTable('ci_credentials')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('app_id', 'uuid', (col) => col.notNull().references('apps.id').onDelete('cascade'))
    // Deleting the binding revokes what it issued.
    .addColumn('publisher_id', 'uuid', (col) => col.notNull().references('trusted_publishers.id').onDelete('cascade'))
    .addColumn('repository', 'text', (col) => col.notNull())
    .addColumn('repository_id', 'text', (col) => col.notNull())
    .addColumn('run_id', 'text', (col) => col.notNull())
    .addColumn('run_attempt', 'text', (col) => col.notNull())
    .addColumn('sha', 'text', (col) => col.notNull())
    .addColumn('ref', 'text', (col) => col.notNull())
    .addColumn('event_name', 'text', (col) => col.notNull())
    .addColumn('workflow_ref', 'text', (col) => col.notNull())
    .addColumn('job_workflow_ref', 'text', (col) => col.notNull())
    .addColumn('environment', 'text')
    .addColumn('can_publish', 'boolean', (col) => col.notNull())
    .addColumn('jti', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('ci_credentials_expires_idx').on('ci_credentials').column('expires_at').execute();
  await db.schema.createIndex('ci_credentials_publisher_idx').on('ci_credentials').column('publisher_id').execute();
  await db.schema.createIndex('ci_credentials_app_idx').on('ci_credentials').column('app_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['ci_credentials', 'oidc_jti', 'trusted_publishers']) {
    await db.schema.dropTable(table).execute();
  }
}
