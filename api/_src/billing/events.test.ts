/**
 * Each provider's events mapped to license actions, beyond the end-to-end paths: Stripe's basil-era invoice
 * shape, partial refunds (never a revoke), orders not yet paid, Paddle's chargebacks and one-off charges, and
 * signed bodies that are not events.
 */
import { describe, expect, it } from '@jest/globals';
import { PayloadError } from './events.ts';
import { parseLemonSqueezyEvent } from './lemonsqueezy.ts';
import { parsePaddleEvent } from './paddle.ts';
import { parseStripeEvent } from './stripe.ts';
import { newPurchase, purchased, refunded } from './testing.ts';

const D = new Date('2026-03-01T12:00:00Z');
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
