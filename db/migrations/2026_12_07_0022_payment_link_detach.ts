import type { Kysely } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// A Stripe PaymentIntent detached from the invoice it paid (`invoice_payment.detached`,
// https://docs.stripe.com/api/invoices/detach_payment) pays no purchase any more: its link is kept with no
// `linked_to`, dated by `paid_at` (the detachment), so a refund of it revokes nothing, a payment told late that is
// older than the detachment does not link it again, and a later one (attached to an invoice again) does.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payment_links').alterColumn('linked_to', (col) => col.dropNotNull()).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom('payment_links').where('linked_to', 'is', null).execute();
  await db.schema.alterTable('payment_links').alterColumn('linked_to', (col) => col.setNotNull()).execute();
}
