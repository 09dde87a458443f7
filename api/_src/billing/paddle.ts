/**
 * @module billing/paddle
 * Paddle Billing events → license actions (https://developer.paddle.com/webhooks/transactions/transaction-completed,
 * https://developer.paddle.com/api-reference/transactions/overview (`origin`),
 * https://developer.paddle.com/webhooks/adjustments/adjustment-updated):
 * - `transaction.completed` with `origin: web` or `api`: purchase (external id: the subscription, or the
 *   transaction for a one-time purchase; price: the items' `price.id`);
 * - `transaction.completed` with `origin: subscription_recurring`: renewal of the subscription, once per transaction;
 * - `adjustment.created`/`adjustment.updated` with `action: chargeback`, or `action: refund` once `status:
 *   approved` and not `type: partial`: revoke the transaction's license;
 * - `subscription.canceled` and the rest: ignored (the license runs to its expiry).
 * Paddle's transaction carries `customer_id` and no email: the email sent on is `custom_data.email` when the
 * checkout set it (`Paddle.Checkout.open({ customData: { email } })`), else null.
 */
import * as z from 'zod';
import { type BillingAction, type BillingEvent, emailOf, ids, ignore, parseBody, shaped } from './events.ts';

const eventSchema = z.looseObject({
  event_id: z.string().regex(/^evt_[a-z0-9]{1,100}$/),
  event_type: z.string().min(1).max(100),
  data: z.looseObject({ id: z.string().min(1).max(200) }),
});

const transactionSchema = z.looseObject({
  id: z.string(),
  status: z.string().nullish(),
  origin: z.string().nullish(),
  subscription_id: z.string().nullish(),
  customer_id: z.string().nullish(),
  custom_data: z.record(z.string(), z.unknown()).nullish(),
  items: z.array(z.looseObject({ price: z.looseObject({ id: z.string() }).nullish(), price_id: z.string().nullish() })).nullish(),
});

const adjustmentSchema = z.looseObject({
  action: z.string(),
  status: z.string().nullish(),
  type: z.string().nullish(),
  transaction_id: z.string(),
});

function transactionAction(object: unknown): BillingAction {
  const txn = shaped(transactionSchema, object, 'Paddle transaction');
  if (txn.status !== 'completed') return ignore(`transaction status ${JSON.stringify(txn.status ?? null)}`);
  const subscription = txn.subscription_id ?? null;
  switch (txn.origin) {
    case 'web':
    case 'api': {
      const externalId = subscription ?? txn.id;
      return {
        kind: 'purchase',
        externalId,
        prices: ids(...(txn.items ?? []).flatMap((item) => [item.price?.id, item.price_id])),
        email: emailOf(txn.custom_data?.email),
        customer: txn.customer_id ?? null,
        references: ids(externalId, txn.id),
      };
    }
    case 'subscription_recurring':
      return subscription ? { kind: 'renewal', find: [subscription], references: [txn.id] } : ignore('a recurring transaction without a subscription');
    default:
      return ignore(`transaction origin ${JSON.stringify(txn.origin ?? null)} neither buys nor renews`);
  }
}

export function parsePaddleEvent(body: Buffer): BillingEvent {
  const event = shaped(eventSchema, parseBody(body), 'Paddle event');
  let action: BillingAction;
  switch (event.event_type) {
    case 'transaction.completed':
      action = transactionAction(event.data);
      break;
    case 'adjustment.created':
    case 'adjustment.updated': {
      const adjustment = shaped(adjustmentSchema, event.data, 'Paddle adjustment');
      if (adjustment.action === 'chargeback') action = { kind: 'revoke', find: [adjustment.transaction_id], reason: 'chargeback' };
      else if (adjustment.action === 'refund' && adjustment.status === 'approved' && adjustment.type !== 'partial') {
        action = { kind: 'revoke', find: [adjustment.transaction_id], reason: 'refund' };
      } else action = ignore(`adjustment ${adjustment.action} (${adjustment.status ?? 'no status'}) does not revoke`);
      break;
    }
    default:
      action = ignore(`${event.event_type} does not change licenses`);
  }
  return { deliveryId: event.event_id, type: event.event_type, action };
}
