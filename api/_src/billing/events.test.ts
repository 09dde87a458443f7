/**
 * Each provider's events mapped to license actions, beyond the end-to-end paths: Stripe's basil-era invoice
 * shape, partial refunds (never a revoke), orders not yet paid, Paddle's chargebacks and one-off charges, and
 * signed bodies that are not events.
 */
import { describe, expect, it } from '@jest/globals';
import { ApiError } from '../http/api-error.ts';
import { PayloadError } from './events.ts';
import { parseLemonSqueezyEvent } from './lemonsqueezy.ts';
import { parsePaddleEvent } from './paddle.ts';
import { parseProviderEvent } from './parse-event.ts';
import { parseStripeEvent } from './stripe.ts';
import { disputed, invoicePaymentPaid, newPurchase, purchased, refunded, renewed } from './testing.ts';

const D = new Date('2026-03-01T12:00:00Z');
const day = (days: number) => new Date(D.getTime() + days * 86_400_000);
const edit = (body: string, change: (event: any) => void) => {
  const event = JSON.parse(body);
  change(event);
  return Buffer.from(JSON.stringify(event));
};

describe('Stripe', () => {
  const p = newPurchase('stripe', 'price_123');
  it('reads a basil-era invoice: the price under pricing.price_details, the subscription under parent', () => {
    const body = edit(purchased(p, D), (event) => {
      const invoice = event.data.object;
      delete invoice.subscription;
      delete invoice.payment_intent;
      delete invoice.charge;
      invoice.parent = { type: 'subscription_details', subscription_details: { subscription: p.ids.subscription } };
      invoice.lines.data = [{ id: 'il_1', pricing: { type: 'price_details', price_details: { price: 'price_basil', product: 'prod_1' } } }];
    });
    expect(parseStripeEvent(body).action).toMatchObject({ kind: 'purchase', externalId: p.ids.subscription, prices: ['price_basil'], email: p.email, customer: p.ids.customer });
  });
  it('revokes on a whole refund only, and ignores proration invoices', () => {
    expect(parseStripeEvent(Buffer.from(refunded(p, D))).action).toMatchObject({ kind: 'revoke', reason: 'refund', find: [p.ids.charge, p.ids.payment_intent, p.ids.invoice] });
    expect(parseStripeEvent(edit(refunded(p, D), (event) => (event.data.object.refunded = false))).action.kind).toBe('ignore');
    expect(parseStripeEvent(edit(purchased(p, D), (event) => (event.data.object.billing_reason = 'subscription_update'))).action.kind).toBe('ignore');
  });
  describe('on API versions from 2025-03-31.basil', () => {
    const b = newPurchase('stripe', 'price_123', 'buyer@example.com', { basil: true });
    it('links the PaymentIntent of invoice_payment.paid to its invoice; not an open or canceled one, nor one without a Stripe payment', () => {
      expect(parseStripeEvent(Buffer.from(invoicePaymentPaid(b, D))).action).toEqual({ kind: 'link', to: b.ids.invoice, references: [b.ids.payment_intent], paidAt: D });
      // A charge without a PaymentIntent is named under payment.charge; the preview API puts both at the top.
      const charge = edit(invoicePaymentPaid(b, D), (event) => (event.data.object.payment = { type: 'charge', charge: b.ids.charge }));
      expect(parseStripeEvent(charge).action).toEqual({ kind: 'link', to: b.ids.invoice, references: [b.ids.charge], paidAt: D });
      const preview = edit(invoicePaymentPaid(b, D), (event) => {
        delete event.data.object.payment;
        Object.assign(event.data.object, { payment_intent: null, charge: b.ids.charge });
      });
      expect(parseStripeEvent(preview).action).toEqual({ kind: 'link', to: b.ids.invoice, references: [b.ids.charge], paidAt: D });
      // Without the payment's paid_at, the event's time says when it was paid (a later payment moves the link).
      const untimed = edit(invoicePaymentPaid(b, D), (event) => {
        delete event.data.object.status_transitions;
        event.created = Math.floor(day(2).getTime() / 1000);
      });
      expect(parseStripeEvent(untimed).action).toMatchObject({ kind: 'link', paidAt: day(2) });
      expect(parseStripeEvent(edit(invoicePaymentPaid(b, D), (event) => (event.data.object.status = 'canceled'))).action.kind).toBe('ignore');
      expect(parseStripeEvent(edit(invoicePaymentPaid(b, D), (event) => (event.data.object.payment = { type: 'payment_record', payment_record: 'prec_1' }))).action.kind).toBe('ignore');
      expect(parseStripeEvent(edit(invoicePaymentPaid(b, D), (event) => delete event.data.object.invoice)).action.kind).toBe('ignore');
    });
    it('buys and renews without the invoice naming a payment, and reads the payments an invoice carries when expanded', () => {
      expect(parseStripeEvent(Buffer.from(purchased(b, D))).action).toEqual({
        kind: 'purchase', externalId: b.ids.subscription, prices: ['price_123'], email: b.email, customer: b.ids.customer, references: [b.ids.subscription, b.ids.invoice],
      });
      expect(parseStripeEvent(Buffer.from(renewed(b, D, 'f00d'))).action).toEqual({ kind: 'renewal', find: [b.ids.subscription], references: ['in_f00d'] });
      const withPayments = edit(purchased(b, D), (event) => {
        event.data.object.payments = {
          object: 'list',
          data: [
            { id: 'inpay_open', object: 'invoice_payment', invoice: b.ids.invoice, status: 'open', payment: { type: 'payment_intent', payment_intent: 'pi_open' } },
            { id: b.ids.invoice_payment, object: 'invoice_payment', invoice: b.ids.invoice, status: 'paid', payment: { type: 'payment_intent', payment_intent: b.ids.payment_intent } },
          ],
          has_more: false,
        };
      });
      expect(parseStripeEvent(withPayments).action).toMatchObject({ kind: 'purchase', references: [b.ids.subscription, b.ids.invoice, b.ids.payment_intent] });
    });
    it('revokes through the PaymentIntent on a refund or dispute whose charge names no invoice', () => {
      expect(parseStripeEvent(Buffer.from(refunded(b, D))).action).toEqual({ kind: 'revoke', find: [b.ids.charge, b.ids.payment_intent], reason: 'refund' });
      expect(parseStripeEvent(Buffer.from(disputed(b, D))).action).toEqual({ kind: 'revoke', find: [b.ids.charge, b.ids.payment_intent], reason: 'chargeback' });
    });
  });
  it('refuses a body without an event id', () => {
    expect(() => parseStripeEvent(edit(purchased(p, D), (event) => delete event.id))).toThrow(PayloadError);
    expect(() => parseStripeEvent(Buffer.from('not json'))).toThrow(PayloadError);
  });
});

describe('Lemon Squeezy', () => {
  const p = newPurchase('lemonsqueezy', '42');
  it('keys a delivery by event, object and updated_at, so the same order changed later is a new delivery', () => {
    const first = parseLemonSqueezyEvent(Buffer.from(purchased(p, D)));
    expect(first.deliveryId).toBe(`order_created:orders:${p.ids.order}:${D.toISOString()}`);
    expect(parseLemonSqueezyEvent(Buffer.from(refunded(p, new Date(D.getTime() + 1000)))).deliveryId).not.toBe(first.deliveryId);
  });
  it('creates only from a paid order and revokes only on a whole refund', () => {
    expect(parseLemonSqueezyEvent(edit(purchased(p, D), (event) => (event.data.attributes.status = 'pending'))).action.kind).toBe('ignore');
    expect(parseLemonSqueezyEvent(Buffer.from(refunded(p, D))).action).toEqual({ kind: 'revoke', find: [`order:${p.ids.order}`], reason: 'refund' });
    expect(parseLemonSqueezyEvent(edit(refunded(p, D), (event) => (event.data.attributes.status = 'partial_refund'))).action.kind).toBe('ignore');
  });
});

describe('Paddle Billing', () => {
  const p = newPurchase('paddle', 'pri_1');
  it('revokes on a chargeback and an approved full refund, not on a pending or partial one', () => {
    expect(parsePaddleEvent(Buffer.from(refunded(p, D))).action).toEqual({ kind: 'revoke', find: [p.ids.transaction], reason: 'refund' });
    expect(parsePaddleEvent(edit(refunded(p, D), (event) => (event.data.action = 'chargeback'))).action).toMatchObject({ kind: 'revoke', reason: 'chargeback' });
    expect(parsePaddleEvent(edit(refunded(p, D), (event) => (event.data.status = 'pending_approval'))).action.kind).toBe('ignore');
    expect(parsePaddleEvent(edit(refunded(p, D), (event) => (event.data.type = 'partial'))).action.kind).toBe('ignore');
  });
  it('buys from web and api transactions only; a one-time purchase is keyed by its transaction', () => {
    expect(parsePaddleEvent(edit(purchased(p, D), (event) => (event.data.origin = 'subscription_charge'))).action.kind).toBe('ignore');
    const oneTime = parsePaddleEvent(edit(purchased(p, D), (event) => (event.data.subscription_id = null))).action;
    expect(oneTime).toMatchObject({ kind: 'purchase', externalId: p.ids.transaction, prices: ['pri_1'], email: p.email });
  });
});

describe('ids the database cannot store', () => {
  // A lone surrogate cannot be written as UTF-8: it reached the audit entry's JSON and failed there with a 500.
  const refusal = (run: () => unknown): unknown => {
    try {
      run();
    } catch (error) {
      return error instanceof ApiError ? { status: error.status, code: error.code } : error;
    }
    return 'accepted';
  };
  it.each([
    ['stripe', 'a subscription', newPurchase('stripe', 'price_1'), (event: any): void => void (event.data.object.subscription = 'sub_\ud800')],
    ['paddle', 'a subscription', newPurchase('paddle', 'pri_1'), (event: any): void => void (event.data.subscription_id = 'sub_\udc00x')],
    ['stripe', 'a customer', newPurchase('stripe', 'price_1'), (event: any): void => void (event.data.object.customer = 'cus_\ud800')],
  ] as const)('refuses %s purchase whose id holds a lone surrogate (%s) with a 400, as it does control characters', (provider, _what, p, change) => {
    expect(refusal(() => parseProviderEvent(provider, edit(purchased(p, D), change)))).toEqual({ status: 400, code: 'invalid_request' });
  });
});
