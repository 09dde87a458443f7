/**
 * Stripe on API versions from 2025-03-31.basil, end to end through the webhook route: the invoice no longer names
 * its payment and the charge no longer names its invoice, so `invoice_payment.paid` links the PaymentIntent to the
 * invoice. A refund or chargeback revokes the license whichever of `invoice.paid` and `invoice_payment.paid` came
 * first; a refund told before either is held and applied by the one that reaches it; a redelivery changes nothing;
 * a link is the integration's own. (The pre-basil paths: billing.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp } from '../../../test/support/release-fixtures.ts';
import { call } from '../admin/testing.ts';
import { D, day, TEST_SECRETS_KEY } from '../licensing/testing.ts';
import { createPolicy } from '../licensing/store.ts';
import { createPolicyBodySchema } from '../protocol/licensing.ts';
import { disputed, invoicePaymentDetached, invoicePaymentPaid, newPurchase, type Purchase, purchased, refunded, renewed, signAs } from './testing.ts';

const PRICE = 'price_1MoBy5LkdIwHu7ixZhnattbh';
const SECRET = 'whsec_test_2yTH1rBs9fhg7w0tCrc7NzY1';
const OTHER_SECRET = 'whsec_test_other_app_0123456789';
const clock = { now: D.getTime() };

let ctx: TestContext;
let integration = '';
let otherIntegration = '';

async function addIntegration(slug: string, secret: string): Promise<string> {
  const appId = await insertApp(ctx.database.db, slug);
  const policy = (await createPolicy(ctx.deps, { actor: 'key:test' }, appId, createPolicyBodySchema.parse({ name: 'Yearly', duration_days: 365 }))).id;
  const res = await call(ctx, 'POST', `/admin/apps/${slug}/integrations`, { body: { provider: 'stripe', signing_secret: secret, prices: { [PRICE]: policy } } });
  expect(res.status).toBe(201);
  return res.body.id;
}

beforeAll(async () => {
  ctx = await createTestContext({ env: { SECRETS_KEY: TEST_SECRETS_KEY, RATE_LIMITS: 'off' }, now: () => clock.now });
  integration = await addIntegration('basil-app', SECRET);
  otherIntegration = await addIntegration('basil-other-app', OTHER_SECRET);
});

afterEach(() => {
  jest.restoreAllMocks();
});

afterAll(async () => {
  await ctx.deps.webhooks.stop();
  await ctx.close();
});

async function deliver(body: string, to = { id: integration, secret: SECRET }) {
  const res = await ctx.app.request(`/billing/${to.id}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signAs('stripe', to.secret, body, Math.floor(clock.now / 1000)) },
    body,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

const basilPurchase = () => newPurchase('stripe', PRICE, 'buyer@example.com', { basil: true });
const statusOf = async (licenseId: string) => (await ctx.database.db.selectFrom('licenses').select('status').where('id', '=', licenseId).executeTakeFirstOrThrow()).status;
const linksOf = (id: string) => ctx.database.db.selectFrom('payment_links').select(['reference', 'linked_to']).where('integration_id', '=', id).orderBy('reference').execute();
const linkAudits = () => ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'billing.link').execute();
const heldOf = (id: string) => ctx.database.db.selectFrom('held_events').select(['reference', 'event']).where('integration_id', '=', id).orderBy('reference').execute();
const eventIdOf = (body: string) => (JSON.parse(body) as { id: string }).id;

describe('Stripe on basil', () => {
  let p: Purchase;
  let licenseId = '';

  it('revokes on a refund when invoice_payment.paid follows invoice.paid', async () => {
    clock.now = D.getTime();
    p = basilPurchase();
    const made = await deliver(purchased(p, D));
    expect(made).toMatchObject({ outcome: 'created' });
    licenseId = made.license_id;

    const linked = await deliver(invoicePaymentPaid(p, D));
    expect(linked).toMatchObject({ duplicate: false, outcome: 'ignored', reason: `linked ${p.ids.payment_intent} to ${p.ids.invoice}` });
    const audit = (await linkAudits()).filter((row) => row.target === `integration:${integration}`);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: `integration:${integration}`, details: { to: p.ids.invoice, references: [p.ids.payment_intent] } });

    clock.now = day(2).getTime();
    expect(await deliver(refunded(p, day(2)))).toMatchObject({ outcome: 'revoked', license_id: licenseId });
    expect(await statusOf(licenseId)).toBe('revoked');
  });

  it('changes nothing on a redelivery of invoice_payment.paid, nor on a new event about the same payment', async () => {
    const body = invoicePaymentPaid(p, D);
    const [links, audits] = [await linksOf(integration), await linkAudits()];
    expect(await deliver(body)).toMatchObject({ duplicate: false, outcome: 'ignored', reason: `${p.ids.payment_intent} already linked` });
    expect(await deliver(body)).toEqual({ ok: true, duplicate: true, event: 'invoice_payment.paid' });
    expect(await linksOf(integration)).toEqual(links);
    expect(await linkAudits()).toHaveLength(audits.length);
  });

  it('revokes on a chargeback when invoice_payment.paid came before invoice.paid', async () => {
    clock.now = D.getTime();
    const q = basilPurchase();
    expect(await deliver(invoicePaymentPaid(q, D))).toMatchObject({ outcome: 'ignored', reason: `linked ${q.ids.payment_intent} to ${q.ids.invoice}` });
    const made = await deliver(purchased(q, D));
    expect(made).toMatchObject({ outcome: 'created' });
    clock.now = day(20).getTime();
    expect(await deliver(disputed(q, day(20)))).toMatchObject({ outcome: 'revoked', license_id: made.license_id });
    expect(await statusOf(made.license_id)).toBe('revoked');
  });

  it('renews once per invoice and revokes on a refund of the renewal payment, its link told first', async () => {
    clock.now = D.getTime();
    const r = basilPurchase();
    const made = await deliver(purchased(r, D));
    clock.now = day(364).getTime();
    const payment = '0123456789abcdef';
    await deliver(invoicePaymentPaid(r, day(364), payment));
    expect(await deliver(renewed(r, day(364), payment))).toMatchObject({ outcome: 'renewed', license_id: made.license_id });
    expect(await deliver(renewed(r, day(364), payment))).toMatchObject({ outcome: 'ignored' });
    const license = await ctx.database.db.selectFrom('licenses').select('expires_at').where('id', '=', made.license_id).executeTakeFirstOrThrow();
    expect(license.expires_at?.toISOString()).toBe(day(730).toISOString());
    clock.now = day(365).getTime();
    expect(await deliver(refunded(r, day(365), payment))).toMatchObject({ outcome: 'revoked', license_id: made.license_id });
  });

  it('holds a refund told before the payment\'s link, and revokes when the link reaches the license', async () => {
    clock.now = D.getTime();
    const t = basilPurchase();
    const made = await deliver(purchased(t, D));
    clock.now = day(1).getTime();
    const refund = refunded(t, day(1));
    // The charge names no invoice on basil, and the payment is not linked yet: nothing to revoke, so it is held.
    const held = await deliver(refund);
    expect(held).toMatchObject({ outcome: 'ignored' });
    expect(held.reason).toContain('held 30 days');
    expect(await statusOf(made.license_id)).toBe('active');
    const event = `refund: stripe charge.refunded ${eventIdOf(refund)}`;
    expect(await heldOf(integration)).toEqual(expect.arrayContaining([
      { reference: t.ids.charge, event }, { reference: t.ids.payment_intent, event },
    ]));
    const audit = await ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'billing.revocation_held').execute();
    expect(audit.at(-1)).toMatchObject({ actor: `integration:${integration}`, details: { event } });

    const linked = await deliver(invoicePaymentPaid(t, D));
    expect(linked).toMatchObject({ outcome: 'revoked', license_id: made.license_id, reason: `linked ${t.ids.payment_intent} to ${t.ids.invoice}; revoked by the held ${event}` });
    expect(await statusOf(made.license_id)).toBe('revoked');
    const revoke = await ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'license.revoke').where('target', '=', `license:${made.license_id}`).executeTakeFirstOrThrow();
    expect(revoke).toMatchObject({ actor: `integration:${integration}`, details: { reason: event } });
    // Applied once: nothing of that event is held any more.
    expect((await heldOf(integration)).filter((row) => row.event === event)).toEqual([]);
  });

  it('holds a refund told before the purchase itself, and revokes the license the purchase makes without announcing it', async () => {
    clock.now = D.getTime();
    const u = basilPurchase();
    // invoice.paid failed and is retried later; its payment's link and the refund arrive first.
    await deliver(invoicePaymentPaid(u, D));
    expect(await deliver(refunded(u, day(1)))).toMatchObject({ outcome: 'ignored' });
    const announce = jest.spyOn(ctx.deps.webhooks, 'enqueueLicenseCreated');
    const bought = await deliver(purchased(u, D));
    expect(announce).not.toHaveBeenCalled();
    expect(bought).toMatchObject({ outcome: 'revoked' });
    expect(bought.reason).toMatch(/^license [0-9a-f-]{36} created; revoked by the held refund: stripe charge\.refunded /);
    expect(await statusOf(bought.license_id)).toBe('revoked');
  });

  it('holds a refund of a renewal payment told before the renewal, and revokes when the renewal is told', async () => {
    clock.now = D.getTime();
    const w = basilPurchase();
    const made = await deliver(purchased(w, D));
    clock.now = day(364).getTime();
    const payment = 'fedcba9876543210';
    await deliver(invoicePaymentPaid(w, day(364), payment));
    expect(await deliver(refunded(w, day(364), payment))).toMatchObject({ outcome: 'ignored' });
    expect(await statusOf(made.license_id)).toBe('active');
    const renewal = await deliver(renewed(w, day(364), payment));
    expect(renewal).toMatchObject({ outcome: 'revoked', license_id: made.license_id });
    expect(renewal.reason).toMatch(new RegExp(`^license ${made.license_id} renewed; revoked by the held refund: `));
    expect(await statusOf(made.license_id)).toBe('revoked');
  });

  it('drops a held refund after 30 days: a refund of something the integration never sold', async () => {
    clock.now = D.getTime();
    const v = basilPurchase();
    await deliver(refunded(v, D));
    expect((await heldOf(integration)).map((row) => row.reference)).toContain(v.ids.payment_intent);
    // The next refund held 31 days later prunes it; the purchase told after that is not revoked.
    clock.now = day(31).getTime();
    await deliver(refunded(basilPurchase(), day(31)));
    expect((await heldOf(integration)).map((row) => row.reference)).not.toContain(v.ids.payment_intent);
    await deliver(invoicePaymentPaid(v, D));
    const announce = jest.spyOn(ctx.deps.webhooks, 'enqueueLicenseCreated');
    const bought = await deliver(purchased(v, day(31)));
    expect(bought).toMatchObject({ outcome: 'created' });
    expect(await statusOf(bought.license_id)).toBe('active');
    expect(announce).toHaveBeenCalledTimes(1);
  });

  /** Two purchases whose invoices the same PaymentIntent paid, one after the other (detached, then attached again). */
  async function sharedPayment() {
    clock.now = D.getTime();
    const first = basilPurchase();
    const second = basilPurchase();
    Object.assign(second.ids, { payment_intent: first.ids.payment_intent, charge: first.ids.charge });
    const [a, b] = [await deliver(purchased(first, D)), await deliver(purchased(second, day(1)))];
    return { first, second, firstLicense: a.license_id as string, secondLicense: b.license_id as string };
  }

  it('moves a payment\'s link to the invoice it paid later, and a refund of it revokes that invoice\'s license', async () => {
    const { first, second, firstLicense, secondLicense } = await sharedPayment();
    await deliver(invoicePaymentPaid(first, D));
    const moved = await deliver(invoicePaymentPaid(second, day(1)));
    expect(moved).toMatchObject({ outcome: 'ignored', reason: `moved ${first.ids.payment_intent} from ${first.ids.invoice} to ${second.ids.invoice} (paid to it later)` });
    const audit = (await linkAudits()).filter((row) => (row.details as { to?: string }).to === second.ids.invoice);
    expect(audit).toMatchObject([{ actor: `integration:${integration}`, details: { references: [], moved: [{ reference: first.ids.payment_intent, from: first.ids.invoice }] } }]);
    clock.now = day(2).getTime();
    expect(await deliver(refunded(first, day(2)))).toMatchObject({ outcome: 'revoked', license_id: secondLicense });
    expect(await statusOf(firstLicense)).toBe('active');
  });

  it('keeps a payment\'s link to the invoice it paid later when the earlier payment is told last', async () => {
    const { first, second, firstLicense, secondLicense } = await sharedPayment();
    await deliver(invoicePaymentPaid(second, day(1)));
    expect(await deliver(invoicePaymentPaid(first, D))).toMatchObject({ outcome: 'ignored', reason: `${first.ids.payment_intent} already linked` });
    clock.now = day(2).getTime();
    expect(await deliver(refunded(first, day(2)))).toMatchObject({ outcome: 'revoked', license_id: secondLicense });
    expect(await statusOf(firstLicense)).toBe('active');
  });

  it('drops the link of a payment detached from its invoice: a refund of it then revokes nothing; attached again, it does', async () => {
    const { first, second, firstLicense, secondLicense } = await sharedPayment();
    await deliver(invoicePaymentPaid(first, D));
    clock.now = day(1).getTime();
    const detached = await deliver(invoicePaymentDetached(first, day(1)));
    expect(detached).toMatchObject({ outcome: 'ignored', reason: `detached ${first.ids.payment_intent} from ${first.ids.invoice}: a refund of it revokes nothing` });
    expect((await linkAudits()).filter((row) => (row.details as { detached_from?: string }).detached_from === first.ids.invoice)).toMatchObject([
      { actor: `integration:${integration}`, details: { references: [first.ids.payment_intent] } },
    ]);
    // Told again (a resend of the same detachment): nothing more to detach.
    expect(await deliver(invoicePaymentDetached(first, day(1)))).toMatchObject({ reason: `${first.ids.payment_intent} not linked to ${first.ids.invoice}` });
    clock.now = day(2).getTime();
    expect(await deliver(refunded(first, day(2)))).toMatchObject({ outcome: 'ignored' });
    expect(await statusOf(firstLicense)).toBe('active');
    await ctx.database.db.deleteFrom('held_events').where('integration_id', '=', integration).execute();

    // Attached to the second invoice and paid after the detachment: a refund revokes that invoice's license.
    expect(await deliver(invoicePaymentPaid(second, day(1.5)))).toMatchObject({ reason: `linked ${first.ids.payment_intent} to ${second.ids.invoice}` });
    expect(await deliver(refunded(first, day(2)))).toMatchObject({ outcome: 'revoked', license_id: secondLicense });
    expect(await statusOf(firstLicense)).toBe('active');
  });

  it('links a payment detached and attached to another invoice within one second to that invoice, in either order told', async () => {
    // Stripe dates in whole seconds: a payment attached to an invoice in the second it left another paid it after.
    for (const order of ['detached first', 'paid first'] as const) {
      const { first, second, firstLicense, secondLicense } = await sharedPayment();
      await deliver(invoicePaymentPaid(first, D));
      clock.now = day(1).getTime();
      const told = [invoicePaymentDetached(first, day(1)), invoicePaymentPaid(second, day(1))];
      for (const body of order === 'detached first' ? told : told.reverse()) await deliver(body);
      expect([order, (await linksOf(integration)).filter((row) => row.reference === first.ids.payment_intent)]).toEqual([
        order,
        [{ reference: first.ids.payment_intent, linked_to: second.ids.invoice }],
      ]);
      clock.now = day(2).getTime();
      expect(await deliver(refunded(first, day(2)))).toMatchObject({ outcome: 'revoked', license_id: secondLicense });
      expect(await statusOf(firstLicense)).toBe('active');
      await ctx.database.db.deleteFrom('held_events').where('integration_id', '=', integration).execute();
    }
  });

  it('keeps a payment detached when its earlier payment to the invoice is told after the detachment', async () => {
    clock.now = D.getTime();
    const q = basilPurchase();
    const made = await deliver(purchased(q, D));
    clock.now = day(1).getTime();
    expect(await deliver(invoicePaymentDetached(q, day(1)))).toMatchObject({ outcome: 'ignored' });
    expect(await deliver(invoicePaymentPaid(q, D))).toMatchObject({ outcome: 'ignored', reason: `${q.ids.payment_intent} already linked` });
    expect((await linksOf(integration)).filter((row) => row.reference === q.ids.payment_intent)).toEqual([{ reference: q.ids.payment_intent, linked_to: null }]);
    expect(await deliver(refunded(q, day(2)))).toMatchObject({ outcome: 'ignored' });
    expect(await statusOf(made.license_id)).toBe('active');
    await ctx.database.db.deleteFrom('held_events').where('integration_id', '=', integration).execute();
  });

  it('keeps a payment detached past the 30 days that prune links: its earlier payment told later still links nothing', async () => {
    for (const linkedFirst of [false, true]) {
      clock.now = D.getTime();
      const q = basilPurchase();
      const made = await deliver(purchased(q, D));
      if (linkedFirst) await deliver(invoicePaymentPaid(q, D));
      clock.now = day(29).getTime();
      expect(await deliver(invoicePaymentDetached(q, day(29)))).toMatchObject({ outcome: 'ignored' });
      // Any link told more than 30 days after the row was made (the link, or else the detachment) prunes those due.
      const later = day(linkedFirst ? 31 : 60);
      clock.now = later.getTime();
      await deliver(invoicePaymentPaid(basilPurchase(), later));
      const detached = { reference: q.ids.payment_intent, linked_to: null };
      expect([linkedFirst, (await linksOf(integration)).filter((row) => row.reference === q.ids.payment_intent)]).toEqual([linkedFirst, [detached]]);
      expect(await deliver(invoicePaymentPaid(q, D))).toMatchObject({ outcome: 'ignored', reason: `${q.ids.payment_intent} already linked` });
      expect(await deliver(refunded(q, later))).toMatchObject({ outcome: 'ignored' });
      expect(await statusOf(made.license_id)).toBe('active');
      await ctx.database.db.deleteFrom('held_events').where('integration_id', '=', integration).execute();
    }
  });

  it('counts a link\'s 30 days from its last move: moved, or attached again, to an invoice it does not sell, its earlier payment told later still links nothing', async () => {
    for (const via of ['moved', 'attached again'] as const) {
      clock.now = D.getTime();
      const sold = basilPurchase();
      // Another product's invoice on the same Stripe account, paid by the same PaymentIntent: never bought here.
      const unsold = basilPurchase();
      Object.assign(unsold.ids, { payment_intent: sold.ids.payment_intent, charge: sold.ids.charge });
      const payment = sold.ids.payment_intent;
      const made = await deliver(purchased(sold, D));
      await deliver(invoicePaymentPaid(sold, D));
      if (via === 'attached again') {
        clock.now = day(1).getTime();
        await deliver(invoicePaymentDetached(sold, day(1)));
      }
      clock.now = day(29).getTime();
      expect([via, (await deliver(invoicePaymentPaid(unsold, day(29)))).reason]).toEqual([
        via,
        via === 'moved' ? `moved ${payment} from ${sold.ids.invoice} to ${unsold.ids.invoice} (paid to it later)` : `linked ${payment} to ${unsold.ids.invoice}`,
      ]);
      // 31 days after the first link, 2 after the move: a link told now prunes those due, not this one.
      clock.now = day(31).getTime();
      await deliver(invoicePaymentPaid(basilPurchase(), day(31)));
      const linkOf = async () => (await linksOf(integration)).filter((row) => row.reference === payment);
      expect([via, await linkOf()]).toEqual([via, [{ reference: payment, linked_to: unsold.ids.invoice }]]);
      // A late resend of its day-0 payment to the sold invoice is older than the move: it links nothing back there.
      expect(await deliver(invoicePaymentPaid(sold, D))).toMatchObject({ outcome: 'ignored', reason: `${payment} already linked` });
      expect(await deliver(refunded(sold, day(31)))).toMatchObject({ outcome: 'ignored' });
      expect(await statusOf(made.license_id)).toBe('active');
      await ctx.database.db.deleteFrom('held_events').where('integration_id', '=', integration).execute();
      // 30 days after the move it is pruned like any link whose purchase never came.
      clock.now = day(60).getTime();
      await deliver(invoicePaymentPaid(basilPurchase(), day(60)));
      expect([via, await linkOf()]).toEqual([via, []]);
    }
  });

  it('prunes after 30 days the links of payments whose purchase never came, and keeps those of purchases it knows', async () => {
    clock.now = D.getTime();
    const known = basilPurchase();
    await deliver(purchased(known, D));
    await deliver(invoicePaymentPaid(known, D));
    // A payment of another product on the same Stripe account: its invoice.paid is never told to this integration.
    const stranger = basilPurchase();
    await deliver(invoicePaymentPaid(stranger, D));
    const references = async () => (await linksOf(integration)).map((row) => row.reference);
    expect(await references()).toEqual(expect.arrayContaining([known.ids.payment_intent, stranger.ids.payment_intent]));
    clock.now = day(31).getTime();
    await deliver(invoicePaymentPaid(basilPurchase(), day(31)));
    expect(await references()).toContain(known.ids.payment_intent);
    expect(await references()).not.toContain(stranger.ids.payment_intent);
  });

  it('keeps a link to the integration that was told it: another app\'s integration does not revoke through it', async () => {
    clock.now = D.getTime();
    const s = basilPurchase();
    const made = await deliver(purchased(s, D));
    // The same payment told to another app's integration (another Stripe endpoint) links it there only.
    await deliver(invoicePaymentPaid(s, D), { id: otherIntegration, secret: OTHER_SECRET });
    expect(await linksOf(otherIntegration)).toEqual([{ reference: s.ids.payment_intent, linked_to: s.ids.invoice }]);
    expect(await deliver(refunded(s, day(1)))).toMatchObject({ outcome: 'ignored' });
    expect(await statusOf(made.license_id)).toBe('active');
  });
});
