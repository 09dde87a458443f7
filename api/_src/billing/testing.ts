/**
 * @module billing/testing
 * Webhook bodies shaped like each provider's documented examples (Stripe's event and invoice objects, Lemon
 * Squeezy's order, subscription and subscription-invoice webhooks, Paddle Billing's transaction and adjustment
 * notifications), and the signature header each provider would send for them. A Stripe purchase is shaped by its
 * endpoint's API version: before 2025-03-31.basil, or basil's (no payment on the invoice nor invoice on the charge;
 * the InvoicePayment of `invoice_payment.paid` ties them).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { PaymentProvider } from '../../../db/schema.ts';

/** The header a provider would send for `body` at `unixSeconds`. */
export function signAs(provider: PaymentProvider, secret: string, body: string, unixSeconds: number): string {
  const mac = (data: string) => createHmac('sha256', secret).update(data).digest('hex');
  switch (provider) {
    case 'stripe':
      return `t=${unixSeconds},v1=${mac(`${unixSeconds}.${body}`)}`;
    case 'paddle':
      return `ts=${unixSeconds};h1=${mac(`${unixSeconds}:${body}`)}`;
    case 'lemonsqueezy':
      return mac(body);
  }
}

const token = (bytes = 8) => randomBytes(bytes).toString('hex');

/** One customer's purchase on one provider: the ids every later event of it names. */
export interface Purchase {
  provider: PaymentProvider;
  /** The price (Stripe, Paddle) or variant (Lemon Squeezy) id bought. */
  price: string;
  email: string;
  /** Stripe: the endpoint's API version is basil's (2025-03-31.basil and later). */
  basil: boolean;
  ids: Record<'customer' | 'subscription' | 'invoice' | 'invoice_payment' | 'payment_intent' | 'charge' | 'order' | 'transaction', string>;
}

export function newPurchase(provider: PaymentProvider, price: string, email = 'buyer@example.com', options: { basil?: boolean } = {}): Purchase {
  const n = () => String(Math.floor(Math.random() * 1e9) + 1);
  const none = { customer: '', subscription: '', invoice: '', invoice_payment: '', payment_intent: '', charge: '', order: '', transaction: '' };
  const basil = options.basil === true;
  switch (provider) {
    case 'stripe':
      return {
        provider, price, email, basil,
        ids: { ...none, customer: `cus_${token()}`, subscription: `sub_${token()}`, invoice: `in_${token()}`, invoice_payment: `inpay_${token()}`, payment_intent: `pi_${token()}`, charge: `ch_${token()}` },
      };
    case 'lemonsqueezy':
      return { provider, price, email, basil, ids: { ...none, order: n(), subscription: n(), customer: n() } };
    case 'paddle':
      return { provider, price, email, basil, ids: { ...none, customer: `ctm_${token(13)}`, subscription: `sub_${token(13)}`, transaction: `txn_${token(13)}` } };
  }
}

const iso = (at: Date) => at.toISOString();

function stripeEvent(p: Purchase, type: string, object: Record<string, unknown>, at: Date): string {
  return JSON.stringify({
    id: `evt_${token(12)}`,
    object: 'event',
    api_version: p.basil ? '2025-05-28.basil' : '2024-06-20',
    created: Math.floor(at.getTime() / 1000),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  });
}

type StripePayment = { invoice: string; invoice_payment: string; payment_intent: string; charge: string };

/** The ids of the purchase's first payment, or of the renewal payment `payment` names. */
const stripePayment = (p: Purchase, payment?: string): StripePayment =>
  payment === undefined
    ? { invoice: p.ids.invoice, invoice_payment: p.ids.invoice_payment, payment_intent: p.ids.payment_intent, charge: p.ids.charge }
    : { invoice: `in_${payment}`, invoice_payment: `inpay_${payment}`, payment_intent: `pi_${payment}`, charge: `ch_${payment}` };

function stripeInvoice(p: Purchase, reason: string, invoice: StripePayment): Record<string, unknown> {
  if (p.basil) {
    return {
      id: invoice.invoice,
      object: 'invoice',
      amount_paid: 4900,
      billing_reason: reason,
      currency: 'usd',
      customer: p.ids.customer,
      customer_email: p.email,
      lines: {
        object: 'list',
        data: [{
          id: `il_${token()}`,
          object: 'line_item',
          amount: 4900,
          parent: { type: 'subscription_item_details', subscription_item_details: { subscription: p.ids.subscription, subscription_item: `si_${token()}` } },
          pricing: { type: 'price_details', price_details: { price: p.price, product: 'prod_NWjs8kKbJWmuuc' }, unit_amount_decimal: '4900' },
          quantity: 1,
        }],
        has_more: false,
      },
      parent: { type: 'subscription_details', subscription_details: { metadata: {}, subscription: p.ids.subscription } },
      status: 'paid',
    };
  }
  return {
    id: invoice.invoice,
    object: 'invoice',
    amount_paid: 4900,
    billing_reason: reason,
    charge: invoice.charge,
    currency: 'usd',
    customer: p.ids.customer,
    customer_email: p.email,
    lines: {
      object: 'list',
      data: [{ id: `il_${token()}`, object: 'line_item', amount: 4900, price: { id: p.price, object: 'price', product: 'prod_NWjs8kKbJWmuuc', recurring: { interval: 'year' } }, quantity: 1 }],
      has_more: false,
    },
    paid: true,
    payment_intent: invoice.payment_intent,
    status: 'paid',
    subscription: p.ids.subscription,
  };
}

function lemonEvent(name: string, type: string, id: string, attributes: Record<string, unknown>, at: Date): string {
  return JSON.stringify({
    meta: { event_name: name, custom_data: null, test_mode: true },
    data: { type, id, attributes: { store_id: 1, created_at: iso(at), updated_at: iso(at), test_mode: true, ...attributes }, links: { self: `https://api.lemonsqueezy.com/v1/${type}/${id}` } },
  });
}

function paddleEvent(type: string, data: Record<string, unknown>, at: Date): string {
  return JSON.stringify({ event_id: `evt_${token(13)}`, event_type: type, occurred_at: iso(at), notification_id: `ntf_${token(13)}`, data });
}

function paddleTransaction(p: Purchase, id: string, origin: string, at: Date): Record<string, unknown> {
  return {
    id,
    status: 'completed',
    customer_id: p.ids.customer,
    address_id: 'add_01h848pep46enq8y372x7maj0p',
    business_id: null,
    custom_data: { email: p.email },
    origin,
    collection_mode: 'automatic',
    subscription_id: p.ids.subscription,
    invoice_id: `inv_${token(13)}`,
    billing_period: { starts_at: iso(at), ends_at: iso(new Date(at.getTime() + 365 * 86_400_000)) },
    items: [{ price_id: p.price, price: { id: p.price, product_id: 'pro_01gsz4t5hdjse780zja8vvr7jg', description: 'Yearly', billing_cycle: { interval: 'year', frequency: 1 } }, quantity: 1 }],
    billed_at: iso(at),
    created_at: iso(at),
    updated_at: iso(at),
  };
}

/** The event that buys the purchase (Lemon Squeezy: the order; its subscription comes in `subscribed`). */
export function purchased(p: Purchase, at: Date): string {
  switch (p.provider) {
    case 'stripe':
      return stripeEvent(p, 'invoice.paid', stripeInvoice(p, 'subscription_create', stripePayment(p)), at);
    case 'lemonsqueezy':
      return lemonEvent('order_created', 'orders', p.ids.order, {
        customer_id: Number(p.ids.customer),
        identifier: '104e18a2-d755-4d4b-80c4-a6c1dcbe1c10',
        order_number: Number(p.ids.order),
        user_name: 'Darlene Daugherty',
        user_email: p.email,
        currency: 'USD',
        status: 'paid',
        refunded: false,
        total: 4900,
        first_order_item: { id: 1, order_id: Number(p.ids.order), product_id: 1, variant_id: Number(p.price), product_name: 'Yearly license', variant_name: 'Default', price: 4900 },
      }, at);
    case 'paddle':
      return paddleEvent('transaction.completed', paddleTransaction(p, p.ids.transaction, 'web', at), at);
  }
}

/** Lemon Squeezy's `subscription_created` of the purchase (the others have no separate event for it). */
export function subscribed(p: Purchase, at: Date): string {
  return lemonEvent('subscription_created', 'subscriptions', p.ids.subscription, {
    customer_id: Number(p.ids.customer),
    order_id: Number(p.ids.order),
    order_item_id: 1,
    product_id: 1,
    variant_id: Number(p.price),
    user_email: p.email,
    status: 'active',
    renews_at: iso(new Date(at.getTime() + 365 * 86_400_000)),
    ends_at: null,
  }, at);
}

/** The event of a renewal payment; `payment` names it (a new one per renewal). */
export function renewed(p: Purchase, at: Date, payment = token()): string {
  switch (p.provider) {
    case 'stripe':
      return stripeEvent(p, 'invoice.paid', stripeInvoice(p, 'subscription_cycle', stripePayment(p, payment)), at);
    case 'lemonsqueezy':
      return lemonEvent('subscription_payment_success', 'subscription-invoices', String(parseInt(payment.slice(0, 8), 16)), {
        subscription_id: Number(p.ids.subscription),
        customer_id: Number(p.ids.customer),
        user_email: p.email,
        billing_reason: 'renewal',
        status: 'paid',
        refunded: false,
        total: 4900,
      }, at);
    case 'paddle':
      return paddleEvent('transaction.completed', paddleTransaction(p, `txn_${payment}`, 'subscription_recurring', at), at);
  }
}

/** A full refund of the purchase's first payment (Stripe: or of the renewal payment `payment` names). */
export function refunded(p: Purchase, at: Date, payment?: string): string {
  switch (p.provider) {
    case 'stripe': {
      const paid = stripePayment(p, payment);
      return stripeEvent(p, 'charge.refunded', {
        id: paid.charge,
        object: 'charge',
        amount: 4900,
        amount_refunded: 4900,
        refunded: true,
        payment_intent: paid.payment_intent,
        ...(p.basil ? {} : { invoice: paid.invoice }),
      }, at);
    }
    case 'lemonsqueezy':
      return lemonEvent('order_refunded', 'orders', p.ids.order, { user_email: p.email, status: 'refunded', refunded: true, refunded_at: iso(at), first_order_item: { variant_id: Number(p.price) } }, at);
    case 'paddle':
      return paddleEvent('adjustment.updated', {
        id: `adj_${token(13)}`,
        action: 'refund',
        type: 'full',
        transaction_id: p.ids.transaction,
        subscription_id: p.ids.subscription,
        customer_id: p.ids.customer,
        reason: 'error',
        status: 'approved',
        created_at: iso(at),
        updated_at: iso(at),
      }, at);
  }
}

/** A cancellation: the license is left to expire. */
export function cancelled(p: Purchase, at: Date): string {
  switch (p.provider) {
    case 'stripe':
      return stripeEvent(p, 'customer.subscription.deleted', { id: p.ids.subscription, object: 'subscription', customer: p.ids.customer, status: 'canceled' }, at);
    case 'lemonsqueezy':
      return lemonEvent('subscription_cancelled', 'subscriptions', p.ids.subscription, { order_id: Number(p.ids.order), status: 'cancelled', user_email: p.email }, at);
    case 'paddle':
      return paddleEvent('subscription.canceled', { id: p.ids.subscription, status: 'canceled', customer_id: p.ids.customer }, at);
  }
}

/** Stripe's `charge.dispute.created` for the purchase's charge (a chargeback). */
export function disputed(p: Purchase, at: Date): string {
  return stripeEvent(p, 'charge.dispute.created', { id: `dp_${token()}`, object: 'dispute', amount: 4900, charge: p.ids.charge, payment_intent: p.ids.payment_intent, reason: 'fraudulent', status: 'needs_response' }, at);
}

/**
 * Stripe's `invoice_payment.paid` (basil): the InvoicePayment tying the purchase's first payment (or the renewal
 * payment `payment` names) to its invoice.
 */
export function invoicePaymentPaid(p: Purchase, at: Date, payment?: string): string {
  return invoicePaymentEvent(p, 'invoice_payment.paid', at, payment);
}

/**
 * Stripe's `invoice_payment.detached`: the purchase's first payment (or the renewal payment `payment` names) detached
 * from its invoice at `at` (https://docs.stripe.com/api/invoices/detach_payment).
 */
export function invoicePaymentDetached(p: Purchase, at: Date, payment?: string): string {
  return invoicePaymentEvent(p, 'invoice_payment.detached', at, payment);
}

/** An InvoicePayment event: paid at `at`, or (`.detached`) canceled at `at`. */
function invoicePaymentEvent(p: Purchase, type: 'invoice_payment.paid' | 'invoice_payment.detached', at: Date, payment?: string): string {
  const paid = stripePayment(p, payment);
  const seconds = Math.floor(at.getTime() / 1000);
  const detached = type === 'invoice_payment.detached';
  return stripeEvent(p, type, {
    id: paid.invoice_payment,
    object: 'invoice_payment',
    amount_paid: 4900,
    amount_requested: 4900,
    created: seconds,
    currency: 'usd',
    invoice: paid.invoice,
    is_default: !detached,
    livemode: false,
    payment: { type: 'payment_intent', payment_intent: paid.payment_intent },
    status: detached ? 'canceled' : 'paid',
    status_transitions: { canceled_at: detached ? seconds : null, paid_at: detached ? null : seconds },
  }, at);
}
