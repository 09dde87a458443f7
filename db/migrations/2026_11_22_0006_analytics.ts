import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Analytics without personal data (api/_src/analytics/): counters aggregated per app and UTC day, added to by
// `INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n` from each instance's in-memory buffer. No IP address,
// install id or user agent is stored; the country comes from the hosting platform's header, or is ''.
// `download_events` (0001, one row per download, never written) is left as it is: a row per download would
// be a write per request, which is what these aggregates avoid.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('update_check_counts')
    .addColumn('app_id', 'uuid', (col) => col.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('day', 'date', (col) => col.notNull())
    .addColumn('version', 'text', (col) => col.notNull())
    // `{os}-{arch}`
    .addColumn('platform', 'text', (col) => col.notNull())
    .addColumn('channel', 'text', (col) => col.notNull())
    // '' rather than null: null never conflicts, so ON CONFLICT could not add to the row.
    .addColumn('country', 'text', (col) => col.notNull().defaultTo('').check(sql`country = '' or country ~ '^[A-Z]{2}$'`))
    .addColumn('checks', 'bigint', (col) => col.notNull().defaultTo(0).check(sql`checks >= 0`))
    // Distinct install ids seen that day (per instance; see api/_src/analytics/counters.ts).
    .addColumn('installs', 'bigint', (col) => col.notNull().defaultTo(0).check(sql`installs >= 0`))
    // Checks that sent no install id.
    .addColumn('anonymous_checks', 'bigint', (col) => col.notNull().defaultTo(0).check(sql`anonymous_checks >= 0`))
    .addPrimaryKeyConstraint('update_check_counts_pkey', ['app_id', 'day', 'version', 'platform', 'channel', 'country'])
    .execute();

  await db.schema
    .createTable('download_counts')
    .addColumn('app_id', 'uuid', (col) => col.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('day', 'date', (col) => col.notNull())
    .addColumn('version', 'text', (col) => col.notNull())
    .addColumn('file_name', 'text', (col) => col.notNull())
    .addColumn('platform', 'text', (col) => col.notNull())
    .addColumn('bundle', 'text')
    .addColumn('country', 'text', (col) => col.notNull().defaultTo('').check(sql`country = '' or country ~ '^[A-Z]{2}$'`))
    .addColumn('downloads', 'bigint', (col) => col.notNull().defaultTo(0).check(sql`downloads >= 0`))
    .addPrimaryKeyConstraint('download_counts_pkey', ['app_id', 'day', 'version', 'file_name', 'country'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('download_counts').execute();
  await db.schema.dropTable('update_check_counts').execute();
}
