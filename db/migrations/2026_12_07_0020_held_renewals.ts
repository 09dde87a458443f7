import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// A renewal that names no purchase this integration knew yet (Lemon Squeezy's `subscription_payment_success` before
// the `subscription_created` tying the subscription to its order; a renewal before a purchase delivery that failed
// and is retried) is held like a refund, in the same table, now `held_events`: `kind` says which, and a renewal's
// `payments` are the provider ids of its payment (the first one renews once). Rows are keyed by their event too, so
// a renewal and a refund, or two renewals, held under the same subscription all stay (api/_src/billing/held-events.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('held_revocations').renameTo('held_events').execute();
  await db.schema.alterTable('held_events').dropConstraint('held_revocations_pkey').execute();
  await db.schema
    .alterTable('held_events')
    .addColumn('kind', 'text', (col) => col.notNull().defaultTo('revoke').check(sql`kind in ('revoke', 'renew')`))
    .execute();
  await db.schema
    .alterTable('held_events')
    .addColumn('payments', 'jsonb', (col) => col.check(sql`payments is null or (jsonb_typeof(payments) = 'array' and jsonb_array_length(payments) >= 1)`))
    .execute();
  await db.schema.alterTable('held_events').addCheckConstraint('held_events_renewal_payments', sql`(kind = 'renew') = (payments is not null)`).execute();
  await db.schema.alterTable('held_events').addPrimaryKeyConstraint('held_events_pkey', ['integration_id', 'reference', 'event']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom('held_events').where('kind', '=', 'renew').execute();
  await db.schema.alterTable('held_events').dropConstraint('held_events_pkey').execute();
  // Back to one revocation per id: the first held keeps it.
  await sql`delete from held_events h using held_events o
    where o.integration_id = h.integration_id and o.reference = h.reference and (o.created_at, o.event) < (h.created_at, h.event)`.execute(db);
  await db.schema.alterTable('held_events').dropConstraint('held_events_renewal_payments').execute();
  await db.schema.alterTable('held_events').dropColumn('payments').execute();
  await db.schema.alterTable('held_events').dropColumn('kind').execute();
  await db.schema.alterTable('held_events').addPrimaryKeyConstraint('held_revocations_pkey', ['integration_id', 'reference']).execute();
  await db.schema.alterTable('held_events').renameTo('held_revocations').execute();
}
