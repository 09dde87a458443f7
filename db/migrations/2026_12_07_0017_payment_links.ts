import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Provider ids told apart from the purchase they belong to (api/_src/billing/events.ts `link`): from Stripe API
// version 2025-03-31.basil an invoice no longer names its PaymentIntent or charge, and Stripe's
// `invoice_payment.paid` ties them to the invoice instead, in no set order with the `invoice.paid` that buys. So a
// payment is kept here against another id of its purchase (the invoice; Lemon Squeezy's order for a subscription),
// and a refund or renewal finds the license through it, whichever event came first.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('payment_links')
    .addColumn('integration_id', 'uuid', (col) => col.notNull().references('payment_integrations.id').onDelete('cascade'))
    // A provider id a later event may name: `pi_…`, `ch_…` (Stripe), `subscription:2` (Lemon Squeezy).
    .addColumn('reference', 'text', (col) => col.notNull().check(sql`length(reference) between 1 and 255 and reference !~ '[[:cntrl:]]'`))
    // Another provider id of the same purchase, as payment_references.reference has it once the purchase is made.
    .addColumn('linked_to', 'text', (col) => col.notNull().check(sql`length(linked_to) between 1 and 255 and linked_to !~ '[[:cntrl:]]'`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('payment_links_pkey', ['integration_id', 'reference'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('payment_links').execute();
}
