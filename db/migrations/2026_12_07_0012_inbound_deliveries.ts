import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Inbound webhook deliveries already processed (api/_src/inbound/deliveries.ts), so a replay is recognised:
// GitHub's `X-GitHub-Delivery` now, payment providers' event ids (issue 17) later. One row per (source, id),
// written only once the delivery's work succeeded; rows older than the retention are pruned.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inbound_deliveries')
    // Who sent it, e.g. `github`, `stripe:<integration id>`.
    .addColumn('source', 'text', (col) => col.notNull().check(sql`source ~ '^[a-z][a-z0-9_-]{0,31}(:[A-Za-z0-9_-]{1,64})?$'`))
    .addColumn('delivery_id', 'text', (col) => col.notNull().check(sql`length(delivery_id) between 1 and 255 and delivery_id !~ '[[:cntrl:]]'`))
    .addColumn('received_at', 'timestamptz', (col) => col.notNull())
    .addColumn('processed_at', 'timestamptz', (col) => col.notNull())
    .addPrimaryKeyConstraint('inbound_deliveries_pkey', ['source', 'delivery_id'])
    .execute();
  await db.schema.createIndex('inbound_deliveries_processed_idx').on('inbound_deliveries').column('processed_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('inbound_deliveries').execute();
}
