/**
 * @module billing/lemonsqueezy
 * Lemon Squeezy events → license actions (https://docs.lemonsqueezy.com/help/webhooks/event-types,
 * https://docs.lemonsqueezy.com/api/orders, …/api/subscriptions, …/api/subscription-invoices):
 * - `order_created` with `status: paid`: purchase (external id `order:<id>`, price: the first item's variant);
 * - `subscription_created`: records that the subscription belongs to its order (`order:<order_id>`), so its
 *   renewals and refunds find the license the order created (it creates none itself: one purchase, one license);
 * - `subscription_payment_success` with `billing_reason: renewal`: renewal of that subscription, once per
 *   subscription invoice (`initial` is the purchase itself);
 * - `order_refunded` (unless `status: partial_refund`) and `subscription_payment_refunded`: revoke;
 * - `subscription_cancelled`, `subscription_expired` and the rest: ignored (the license runs to its expiry).
 * Lemon Squeezy sends no event id and no timestamp: the delivery id is the event name, the object's type and id,
 * and its `updated_at`, so a replay is refused and a later change of the same object is not.
 */
import * as z from 'zod';
import { type BillingAction, type BillingEvent, emailOf, ids, ignore, parseBody, shaped } from './events.ts';

const id = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()]).transform(String);

const eventSchema = z.looseObject({
  meta: z.looseObject({ event_name: z.string().regex(/^[a-z_]{1,60}$/) }),
  data: z.looseObject({
    type: z.string().regex(/^[a-z-]{1,40}$/),
    id,
    attributes: z.looseObject({ updated_at: z.string().regex(/^[0-9A-Za-z:.+ -]{1,40}$/) }),
  }),
});

const orderSchema = z.looseObject({
  status: z.string().nullish(),
  user_email: z.string().nullish(),
  customer_id: id.nullish(),
  first_order_item: z.looseObject({ variant_id: id }).nullish(),
});
const subscriptionSchema = z.looseObject({ order_id: id });
const subscriptionInvoiceSchema = z.looseObject({ subscription_id: id, billing_reason: z.string().nullish() });

const order = (value: string) => `order:${value}`;
const subscription = (value: string) => `subscription:${value}`;
const subscriptionInvoice = (value: string) => `subscription-invoice:${value}`;

export function parseLemonSqueezyEvent(body: Buffer): BillingEvent {
  const event = shaped(eventSchema, parseBody(body), 'Lemon Squeezy event');
  const { meta, data } = event;
  const name = meta.event_name;
  let action: BillingAction;
  switch (name) {
    case 'order_created': {
      const attributes = shaped(orderSchema, data.attributes, 'Lemon Squeezy order');
      action = attributes.status !== 'paid'
        ? ignore(`order status ${JSON.stringify(attributes.status ?? null)} is not paid`)
        : {
            kind: 'purchase',
            externalId: order(data.id),
            prices: ids(attributes.first_order_item?.variant_id),
            email: emailOf(attributes.user_email),
            customer: ids(attributes.customer_id)[0] ?? null,
            references: [order(data.id)],
          };
      break;
    }
    case 'subscription_created': {
      const attributes = shaped(subscriptionSchema, data.attributes, 'Lemon Squeezy subscription');
      action = { kind: 'link', to: order(attributes.order_id), references: [subscription(data.id)], paidAt: null };
      break;
    }
    case 'subscription_payment_success': {
      const attributes = shaped(subscriptionInvoiceSchema, data.attributes, 'Lemon Squeezy subscription invoice');
      action = attributes.billing_reason === 'renewal'
        ? { kind: 'renewal', find: [subscription(attributes.subscription_id)], references: [subscriptionInvoice(data.id)] }
        : ignore(`billing_reason ${JSON.stringify(attributes.billing_reason ?? null)} is not a renewal`);
      break;
    }
    case 'order_refunded': {
      const attributes = shaped(orderSchema, data.attributes, 'Lemon Squeezy order');
      action = attributes.status === 'partial_refund' ? ignore('a partial refund') : { kind: 'revoke', find: [order(data.id)], reason: 'refund' };
      break;
    }
    case 'subscription_payment_refunded': {
      const attributes = shaped(subscriptionInvoiceSchema, data.attributes, 'Lemon Squeezy subscription invoice');
      action = { kind: 'revoke', find: [subscriptionInvoice(data.id), subscription(attributes.subscription_id)], reason: 'refund' };
      break;
    }
    default:
      action = ignore(`${name} does not change licenses`);
  }
  return { deliveryId: `${name}:${data.type}:${data.id}:${data.attributes.updated_at}`, type: name, action };
}
