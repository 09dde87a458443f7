import type { Kysely } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// When the provider says a linked payment was paid to its purchase (Stripe: the InvoicePayment's
// `status_transitions.paid_at`, else the event's `created`). A PaymentIntent pays one invoice at a time, but can be
// detached from one and attached to another (https://docs.stripe.com/api/invoices/detach_payment): the link follows
// the latest payment, whatever order the deliveries come in. Null for links that never move (Lemon Squeezy's
// subscription → order). The index serves pruning links whose purchase never came (api/_src/billing/integrations.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payment_links').addColumn('paid_at', 'timestamptz').execute();
  await db.schema.createIndex('payment_links_integration_created').on('payment_links').columns(['integration_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('payment_links_integration_created').execute();
  await db.schema.alterTable('payment_links').dropColumn('paid_at').execute();
}
