/**
 * @module billing/held-revocations
 * A refund or chargeback that found no license is held rather than dropped: providers do not order their
 * deliveries (https://docs.stripe.com/webhooks, "Event ordering"), so the purchase, retried after a failure, or the
 * event tying the refunded payment to its purchase (Stripe's `invoice_payment.paid`) may arrive after it. Each
 * later purchase or link of the integration looks for held revocations its ids now reach (service.ts).
 * Held for `HOLD_DAYS`: a refund of something this integration never sold (another product on the same Stripe
 * account) is dropped then.
 */
import type { Db } from '../../../db/schema.ts';
import { insertNewReferences } from './reference-rows.ts';

export const HOLD_DAYS = 30;

/** Holds `event` under each of `references` (an id already held keeps its first event); drops holds past `HOLD_DAYS`. */
export async function holdRevocation(db: Db, integrationId: string, references: readonly string[], event: string, now: Date): Promise<string[]> {
  await db
    .deleteFrom('held_revocations')
    .where('integration_id', '=', integrationId)
    .where('created_at', '<', new Date(now.getTime() - HOLD_DAYS * 86_400_000))
    .execute();
  return insertNewReferences(db, 'held_revocations', integrationId, references, { event, created_at: now });
}

/** Forgets every id held for `event` (once its revocation is applied). */
export async function releaseHeld(db: Db, integrationId: string, event: string): Promise<void> {
  await db.deleteFrom('held_revocations').where('integration_id', '=', integrationId).where('event', '=', event).execute();
}

/**
 * The held revocations whose ids now reach a purchase, directly (payment_references) or through a link
 * (payment_links), as `integrations.ts` `externalIdFor` finds them: one row per event, oldest first.
 */
export async function heldWithPurchase(db: Db, integrationId: string): Promise<Array<{ event: string; externalId: string }>> {
  const rows = await db
    .selectFrom('held_revocations as h')
    .innerJoin('payment_references as r', (join) => join
      .onRef('r.integration_id', '=', 'h.integration_id')
      .on((eb) => eb.or([
        eb('r.reference', '=', eb.ref('h.reference')),
        eb('r.reference', 'in', eb.selectFrom('payment_links as l').select('l.linked_to').whereRef('l.integration_id', '=', 'h.integration_id').whereRef('l.reference', '=', 'h.reference')),
      ])))
    .select(['h.event', 'r.external_id'])
    .where('h.integration_id', '=', integrationId)
    .orderBy('h.created_at')
    .orderBy('r.created_at')
    .execute();
  const byEvent = new Map<string, string>();
  for (const row of rows) if (!byEvent.has(row.event)) byEvent.set(row.event, row.external_id);
  return [...byEvent].map(([event, externalId]) => ({ event, externalId }));
}
