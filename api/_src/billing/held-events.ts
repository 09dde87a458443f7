/**
 * @module billing/held-events
 * A refund, chargeback or renewal that found no license is held rather than dropped: providers do not order their
 * deliveries (https://docs.stripe.com/webhooks, "Event ordering"), so the purchase, retried after a failure, or the
 * event tying the payment to its purchase (Stripe's `invoice_payment.paid`, Lemon Squeezy's `subscription_created`)
 * may arrive after it. A dropped renewal would be lost for good: it is answered, so the provider does not send it
 * again. Each later purchase, renewal or link of the integration looks for held events its ids now reach and
 * applies them (service.ts): renewals, then revocations, oldest first.
 * Held for `HOLD_DAYS`: an event about something this integration never sold (another product on the same provider
 * account) is dropped then.
 */
import type { Db } from '../../../db/schema.ts';
import { insertNewReferences } from './reference-rows.ts';

export const HOLD_DAYS = 30;

/** What is held: `event` names the delivery (a revocation's reason leads it); a renewal keeps its payment ids. */
export type HeldEvent = { kind: 'revoke'; event: string } | { kind: 'renew'; event: string; payments: readonly [string, ...string[]] };

/** Holds `held` under each of `references` (the same event again changes nothing); drops holds past `HOLD_DAYS`. */
export async function holdEvent(db: Db, integrationId: string, references: readonly string[], held: HeldEvent, now: Date): Promise<string[]> {
  await db
    .deleteFrom('held_events')
    .where('integration_id', '=', integrationId)
    .where('created_at', '<', new Date(now.getTime() - HOLD_DAYS * 86_400_000))
    .execute();
  const payments = held.kind === 'renew' ? JSON.stringify(held.payments) : null;
  return insertNewReferences(db, 'held_events', integrationId, references, { event: held.event, kind: held.kind, payments, created_at: now });
}

/** Forgets every id held for `event` (once it is applied, or can never be). */
export async function releaseHeld(db: Db, integrationId: string, event: string): Promise<void> {
  await db.deleteFrom('held_events').where('integration_id', '=', integrationId).where('event', '=', event).execute();
}

/**
 * The held events whose ids now reach a purchase, directly (payment_references) or through a link (payment_links),
 * as `integrations.ts` `externalIdFor` finds them: one per event, renewals first, each kind oldest first (a refund
 * of a renewal held too then finds the payment the renewal files).
 */
export async function heldWithPurchase(db: Db, integrationId: string): Promise<Array<HeldEvent & { externalId: string }>> {
  const rows = await db
    .selectFrom('held_events as h')
    .innerJoin('payment_references as r', (join) => join
      .onRef('r.integration_id', '=', 'h.integration_id')
      .on((eb) => eb.or([
        eb('r.reference', '=', eb.ref('h.reference')),
        eb('r.reference', 'in', eb.selectFrom('payment_links as l').select('l.linked_to').whereRef('l.integration_id', '=', 'h.integration_id').whereRef('l.reference', '=', 'h.reference')),
      ])))
    .select(['h.event', 'h.kind', 'h.payments', 'r.external_id'])
    .where('h.integration_id', '=', integrationId)
    .orderBy((eb) => eb.case().when('h.kind', '=', 'renew').then(0).else(1).end())
    .orderBy('h.created_at')
    .orderBy('r.created_at')
    .execute();
  const byEvent = new Map<string, HeldEvent & { externalId: string }>();
  for (const row of rows) {
    if (byEvent.has(row.event)) continue;
    const held: HeldEvent = row.kind === 'renew' && row.payments !== null && row.payments.length > 0
      ? { kind: 'renew', event: row.event, payments: row.payments as [string, ...string[]] }
      : { kind: 'revoke', event: row.event };
    byEvent.set(row.event, { ...held, externalId: row.external_id });
  }
  return [...byEvent.values()];
}
