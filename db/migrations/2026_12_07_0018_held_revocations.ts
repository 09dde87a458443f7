import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// A refund or chargeback that named no purchase this integration knew yet: providers do not order deliveries, so
// the purchase (`invoice.paid` retried after a failure) or the event tying the payment to it (Stripe's
// `invoice_payment.paid`) may come later. One row per provider id the event named; the rows of one event share
// `event`, and are deleted together when the license they find is revoked (api/_src/billing/held-revocations.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('held_revocations')
    .addColumn('integration_id', 'uuid', (col) => col.notNull().references('payment_integrations.id').onDelete('cascade'))
    .addColumn('reference', 'text', (col) => col.notNull().check(sql`length(reference) between 1 and 255 and reference !~ '[[:cntrl:]]'`))
    // What the revocation will say: `refund: stripe charge.refunded evt_…`.
    .addColumn('event', 'text', (col) => col.notNull().check(sql`length(event) between 1 and 500`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('held_revocations_pkey', ['integration_id', 'reference'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('held_revocations').execute();
}
