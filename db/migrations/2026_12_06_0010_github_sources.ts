import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// GitHub Releases as an app's second source (api/_src/github/): the repository an app is served from, and on releases
// and artifacts the GitHub ids they were synced from. A synced artifact's bytes stay on GitHub: `external_url` is
// its public download URL (null for a private repository, whose bytes go through /download with the token).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('github_sources')
    .addColumn('app_id', 'uuid', (col) => col.primaryKey().references('apps.id').onDelete('cascade'))
    .addColumn('repository', 'text', (col) => col.notNull().check(sql`repository ~ '^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$'`))
    .addColumn('tag_prefix', 'text', (col) => col.notNull().defaultTo('v').check(sql`length(tag_prefix) <= 100`))
    // AES-256-GCM under SECRETS_KEY (api/_src/github/secrets.ts); never returned and never logged.
    .addColumn('token_sealed', 'text')
    // The HMAC key GitHub signs webhook deliveries with, as generated; returned once, like webhooks.secret.
    .addColumn('webhook_secret', 'text', (col) => col.notNull())
    // GitHub's ETag of the first page of releases: an unchanged list answers 304, which costs no rate limit.
    .addColumn('etag', 'text')
    // When any instance may sync next (also the claim: an instance moves it forward before it syncs).
    .addColumn('next_sync_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    // Signature checks already made, by asset, .sig and app key (api/_src/github/sync.ts): each asset is verified once.
    .addColumn('asset_checks', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    // The last sync's findings (api/_src/protocol/github.ts syncReportSchema).
    .addColumn('report', 'jsonb')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('github_sources_next_sync_idx').on('github_sources').column('next_sync_at').execute();

  await db.schema.alterTable('releases').addColumn('github_release_id', 'bigint').execute();
  await sql`create unique index releases_app_github_release_unique on releases (app_id, github_release_id) where github_release_id is not null`.execute(db);

  await db.schema.alterTable('artifacts').addColumn('github_asset_id', 'bigint').execute();
  await db.schema.alterTable('artifacts').addColumn('external_url', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('artifacts').dropColumn('external_url').execute();
  await db.schema.alterTable('artifacts').dropColumn('github_asset_id').execute();
  await sql`drop index releases_app_github_release_unique`.execute(db);
  await db.schema.alterTable('releases').dropColumn('github_release_id').execute();
  await db.schema.dropTable('github_sources').execute();
}
