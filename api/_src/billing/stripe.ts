/**
 * @module billing/stripe
 * Stripe events → license actions (https://docs.stripe.com/billing/subscriptions/webhooks,
 * https://docs.stripe.com/api/invoices/object):
 * - `invoice.paid` with `billing_reason: subscription_create`: a new subscription → purchase (external id: the
 *   subscription); `manual`: a one-time Checkout/Payment Link purchase with invoice creation on → purchase (the
 *   invoice); `subscription_cycle`: a renewal of the subscription; other reasons (prorations, updates): ignored.
 * - `invoice_payment.paid`: the PaymentIntent (or, without one, the charge) that paid an invoice → linked to the
 *   invoice, so a refund or chargeback naming the payment finds the license that invoice bought or renewed; a
 *   payment later paid to another invoice is linked to that one (`invoicePaymentAction`).
 * - `invoice_payment.detached`: the PaymentIntent was detached from the invoice
 *   (https://docs.stripe.com/api/invoices/detach_payment): it pays no invoice until it is attached to one again, so
 *   its link is dropped and a later refund of it revokes nothing. The invoice's license stays: the invoice is open
 *   again, and Stripe collects it with a new payment (which `invoice_payment.paid` links) or the subscription lapses.
 * - `charge.refunded` with `refunded: true` (the whole charge): revoke; a partial refund changes nothing.
 * - `charge.dispute.created`: a chargeback → revoke.
 * - everything else, including `customer.subscription.deleted` (the license runs to its expiry): ignored.
 * Prices come from the invoice's lines: `price.id` before API version 2025-03-31.basil, `pricing.price_details.price`
 * after; the subscription from `subscription` or `parent.subscription_details.subscription`.
 * Payments: before basil the invoice names its `payment_intent` and `charge`, and a charge its `invoice`. Basil
 * removed all three (https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices):
 * an InvoicePayment (`inpay_…`: `invoice`, `status`, `payment.payment_intent` or `payment.charge`,
 * https://docs.stripe.com/api/invoice-payment/object) ties them now, and `invoice_payment.paid` reports it
 * (https://docs.stripe.com/changelog/basil/2025-05-28/partial-payments). The invoice's `payments` list is
 * includable, so not in a webhook's invoice unless Stripe adds it (https://docs.stripe.com/api/invoice-payment/list);
 * it is read when present. Stripe does not order deliveries (https://docs.stripe.com/webhooks, "Event ordering"), so
 * the link is kept whether `invoice.paid` came first or not (billing/integrations.ts `addLinks`). No API key is
 * needed: everything comes from the signed events.
 */
import * as z from 'zod';
import { type BillingAction, type BillingEvent, emailOf, ids, ignore, parseBody, shaped } from './events.ts';

const eventSchema = z.looseObject({
  id: z.string().regex(/^evt_[A-Za-z0-9]{1,100}$/),
  type: z.string().min(1).max(100),
  created: z.number().int().nonnegative().nullish(),
  data: z.looseObject({ object: z.looseObject({ id: z.string().min(1).max(200) }) }),
});

const idRef = z.union([z.string(), z.looseObject({ id: z.string() })]).nullish();

/**
 * An InvoicePayment: its payment under `payment`, or at its top as the preview API shows it
 * (https://docs.stripe.com/api/invoice-payment/object?api-version=2025-11-17.preview).
 */
const invoicePaymentSchema = z.looseObject({
  status: z.string().nullish(),
  invoice: idRef,
  payment: z.looseObject({ payment_intent: idRef, charge: idRef }).nullish(),
  payment_intent: idRef,
  charge: idRef,
  status_transitions: z.looseObject({ paid_at: z.number().int().nonnegative().nullish() }).nullish(),
});
type InvoicePayment = z.output<typeof invoicePaymentSchema>;

/** The PaymentIntent and charge of an InvoicePayment, unless its status says it is not paid (`open`, `canceled`). */
const paymentIds = (payment: InvoicePayment): string[] =>
  payment.status == null || payment.status === 'paid'
    ? ids(payment.payment?.payment_intent, payment.payment?.charge, payment.payment_intent, payment.charge)
    : [];

const invoiceSchema = z.looseObject({
  id: z.string(),
  billing_reason: z.string().nullish(),
  customer: idRef,
  customer_email: z.string().nullish(),
  subscription: idRef,
  payment_intent: idRef,
  charge: idRef,
  parent: z.looseObject({ subscription_details: z.looseObject({ subscription: idRef }).nullish() }).nullish(),
  payments: z.looseObject({ data: z.array(invoicePaymentSchema).nullish() }).nullish(),
  lines: z
    .looseObject({
      data: z.array(
        z.looseObject({
          price: z.looseObject({ id: z.string() }).nullish(),
          pricing: z.looseObject({ price_details: z.looseObject({ price: idRef }).nullish() }).nullish(),
        }),
      ),
    })
    .nullish(),
});

const chargeSchema = z.looseObject({ id: z.string(), refunded: z.boolean().nullish(), payment_intent: idRef, invoice: idRef });
const disputeSchema = z.looseObject({ id: z.string(), charge: idRef, payment_intent: idRef });

function invoiceAction(object: unknown): BillingAction {
  const invoice = shaped(invoiceSchema, object, 'Stripe invoice');
  const subscription = ids(invoice.subscription, invoice.parent?.subscription_details?.subscription)[0] ?? null;
  const prices = ids(...(invoice.lines?.data ?? []).flatMap((line) => [line.price?.id, line.pricing?.price_details?.price]));
  // The invoice first: a renewal is applied once per invoice.
  const paid = (invoice.payments?.data ?? []).flatMap(paymentIds);
  const payment = [invoice.id, ...ids(invoice.payment_intent, invoice.charge, ...paid)] as [string, ...string[]];
  const purchase = (externalId: string): BillingAction => ({
    kind: 'purchase',
    externalId,
    prices,
    email: emailOf(invoice.customer_email),
    customer: ids(invoice.customer)[0] ?? null,
    references: ids(externalId, ...payment),
  });
  switch (invoice.billing_reason) {
    case 'subscription_create':
      return subscription ? purchase(subscription) : ignore('a subscription_create invoice without a subscription');
    case 'manual':
      return subscription ? ignore('a manual invoice of an existing subscription') : purchase(invoice.id);
    case 'subscription_cycle':
      return subscription ? { kind: 'renewal', find: [subscription], references: payment } : ignore('a subscription_cycle invoice without a subscription');
    default:
      return ignore(`invoice billing_reason ${JSON.stringify(invoice.billing_reason ?? null)} neither buys nor renews`);
  }
}

/** Unix seconds as a Date; null for none or a time no Date holds. */
function secondsAt(seconds: number | null | undefined): Date | null {
  if (seconds == null) return null;
  const at = new Date(seconds * 1000);
  return Number.isNaN(at.getTime()) ? null : at;
}

/**
 * The link of a paid InvoicePayment. A PaymentIntent pays one invoice at a time, but may be detached from one and
 * attached to another (https://docs.stripe.com/api/invoices/detach_payment: "the PaymentIntent becomes available
 * for use with other invoices"), so a refund of it refunds the invoice it paid last: `paidAt` (the payment's
 * `status_transitions.paid_at`, else the event's `created`) lets the latest win in whatever order deliveries come.
 */
function invoicePaymentAction(object: unknown, eventCreated: number | null | undefined): BillingAction {
  const payment = shaped(invoicePaymentSchema, object, 'Stripe invoice payment');
  const invoice = ids(payment.invoice)[0];
  if (!invoice) return ignore('an invoice payment without an invoice');
  if (payment.status != null && payment.status !== 'paid') return ignore(`an invoice payment with status ${JSON.stringify(payment.status)}`);
  const references = paymentIds(payment);
  // An out-of-band payment or a PaymentRecord: nothing a refund or dispute event could name.
  if (references.length === 0) return ignore('an invoice payment with no PaymentIntent or charge');
  return { kind: 'link', to: invoice, references, paidAt: secondsAt(payment.status_transitions?.paid_at) ?? secondsAt(eventCreated) };
}

/** The unlink of a detached InvoicePayment: its payment, whatever its status now, from its invoice, at the event's time. */
function detachedPaymentAction(object: unknown, eventCreated: number | null | undefined): BillingAction {
  const payment = shaped(invoicePaymentSchema, object, 'Stripe invoice payment');
  const invoice = ids(payment.invoice)[0];
  if (!invoice) return ignore('an invoice payment without an invoice');
  const references = ids(payment.payment?.payment_intent, payment.payment?.charge, payment.payment_intent, payment.charge);
  if (references.length === 0) return ignore('an invoice payment with no PaymentIntent or charge');
  return { kind: 'unlink', from: invoice, references, detachedAt: secondsAt(eventCreated) };
}

export function parseStripeEvent(body: Buffer): BillingEvent {
  const event = shaped(eventSchema, parseBody(body), 'Stripe event');
  const object = event.data.object;
  let action: BillingAction;
  switch (event.type) {
    case 'invoice.paid':
      action = invoiceAction(object);
      break;
    case 'invoice_payment.paid':
      action = invoicePaymentAction(object, event.created);
      break;
    case 'invoice_payment.detached':
      action = detachedPaymentAction(object, event.created);
      break;
    case 'charge.refunded': {
      const charge = shaped(chargeSchema, object, 'Stripe charge');
      action = charge.refunded === true
        ? { kind: 'revoke', find: ids(charge.id, charge.payment_intent, charge.invoice), reason: 'refund' }
        : ignore('a partial refund');
      break;
    }
    case 'charge.dispute.created': {
      const dispute = shaped(disputeSchema, object, 'Stripe dispute');
      action = { kind: 'revoke', find: ids(dispute.charge, dispute.payment_intent), reason: 'chargeback' };
      break;
    }
    default:
      action = ignore(`${event.type} does not change licenses`);
  }
  return { deliveryId: event.id, type: event.type, action };
}
