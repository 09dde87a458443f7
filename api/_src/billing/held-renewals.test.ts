/**
 * A renewal told before anything ties it to a license (Lemon Squeezy's `subscription_payment_success` before the
 * `subscription_created` of its order; a Stripe or Paddle renewal before a purchase delivery that failed and is
 * retried) is held like a refund, through the webhook route with each provider's event bodies: the purchase or link
 * that later reaches it applies it once, and it is dropped after 30 days.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { PaymentProvider } from '../../../db/schema.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp } from '../../../test/support/release-fixtures.ts';
import { call } from '../admin/testing.ts';
import { D, day, TEST_SECRETS_KEY } from '../licensing/testing.ts';
import { createPolicy } from '../licensing/store.ts';
import { createPolicyBodySchema } from '../protocol/licensing.ts';
import { newPurchase, type Purchase, purchased, renewed, signAs, subscribed } from './testing.ts';

const clock = { now: D.getTime() };
const PRICES: Record<PaymentProvider, string> = { stripe: 'price_1MoBy5LkdIwHu7ixZhnattbh', lemonsqueezy: '4242', paddle: 'pri_01gsz8x8sawmvhz1pv30nge1ke' };
const SECRETS: Record<PaymentProvider, string> = { stripe: 'whsec_test_2yTH1rBs9fhg7w0tCrc7NzY1', lemonsqueezy: 'ls-signing-secret', paddle: 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI' };
const SIGNATURE_HEADER: Record<PaymentProvider, string> = { stripe: 'stripe-signature', lemonsqueezy: 'x-signature', paddle: 'paddle-signature' };

let ctx: TestContext;
const integrations = {} as Record<PaymentProvider, string>;

beforeAll(async () => {
  ctx = await createTestContext({ env: { SECRETS_KEY: TEST_SECRETS_KEY, RATE_LIMITS: 'off' }, now: () => clock.now });
  const appId = await insertApp(ctx.database.db, 'held-renewals-app');
  const policy = (await createPolicy(ctx.deps, { actor: 'key:test' }, appId, createPolicyBodySchema.parse({ name: 'Yearly', duration_days: 365 }))).id;
  for (const provider of ['stripe', 'lemonsqueezy', 'paddle'] as const) {
    const res = await call(ctx, 'POST', '/admin/apps/held-renewals-app/integrations', { body: { provider, signing_secret: SECRETS[provider], prices: { [PRICES[provider]]: policy } } });
    expect(res.status).toBe(201);
    integrations[provider] = res.body.id;
  }
});

afterEach(() => {
  jest.restoreAllMocks();
});

afterAll(async () => {
  await ctx.deps.webhooks.stop();
  await ctx.close();
});

const at = (days: number) => {
  clock.now = day(days).getTime();
  return day(days);
};
const expiryOf = async (licenseId: string) => (await ctx.database.db.selectFrom('licenses').select('expires_at').where('id', '=', licenseId).executeTakeFirstOrThrow()).expires_at?.toISOString();
const heldOf = (provider: PaymentProvider) => ctx.database.db.selectFrom('held_events').selectAll().where('integration_id', '=', integrations[provider]).execute();
const eventIdOf = (provider: PaymentProvider, body: string) => {
  const event = JSON.parse(body);
  return provider === 'paddle' ? event.event_id : provider === 'stripe' ? event.id : `${event.meta.event_name}:${event.data.type}:${event.data.id}:${event.data.attributes.updated_at}`;
};

describe.each(['stripe', 'lemonsqueezy', 'paddle'] as const)('%s', (provider) => {
  async function deliver(body: string) {
    const res = await ctx.app.request(`/billing/${integrations[provider]}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER[provider]]: signAs(provider, SECRETS[provider], body, Math.floor(clock.now / 1000)) },
      body,
    });
    expect(res.status).toBe(200);
    return (await res.json()) as any;
  }

  /**
   * A purchase whose renewals can come before what ties them to its license: Lemon Squeezy's order is told, its
   * `subscription_created` is `tie`; elsewhere the purchase itself (its first delivery failed) is.
   */
  async function untiedPurchase(): Promise<{ p: Purchase; licenseId: string | null; tie: (when: Date) => Promise<any> }> {
    const p = newPurchase(provider, PRICES[provider]);
    let licenseId: string | null = null;
    if (provider === 'lemonsqueezy') licenseId = (await deliver(purchased(p, at(0)))).license_id;
    return { p, licenseId, tie: (when) => deliver(provider === 'lemonsqueezy' ? subscribed(p, when) : purchased(p, when)) };
  }

  it('holds a renewal told before its purchase is tied to a license, and applies it once when it is', async () => {
    const { p, licenseId, tie } = await untiedPurchase();
    const payment = 'a1b2c3d4e5f60718';
    const renewal = renewed(p, at(364), payment);
    const held = await deliver(renewal);
    expect(held).toMatchObject({ outcome: 'ignored' });
    expect(held.reason).toContain('the renewal is held 30 days');
    const event = `${provider} ${held.event} ${eventIdOf(provider, renewal)}`;
    expect((await heldOf(provider)).map((row) => [row.kind, row.event])).toEqual([['renew', event]]);
    const audit = await ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'billing.renewal_held').execute();
    expect(audit.at(-1)).toMatchObject({ actor: `integration:${integrations[provider]}`, details: { event } });
    if (licenseId) expect(await expiryOf(licenseId)).toBe(day(365).toISOString());

    const announce = jest.spyOn(ctx.deps.webhooks, 'enqueueLicenseCreated');
    const tied = await tie(at(364.5));
    expect(tied.reason).toMatch(new RegExp(`; renewed by the held ${event.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    const license = licenseId ?? tied.license_id;
    expect(tied).toMatchObject({ outcome: provider === 'lemonsqueezy' ? 'renewed' : 'created', license_id: license });
    // One more period than the purchase gave: from day 365 (Lemon Squeezy's order), or from the purchase told at 364.5.
    const renewedTo = provider === 'lemonsqueezy' ? day(730) : day(364.5 + 730);
    expect(await expiryOf(license)).toBe(renewedTo.toISOString());
    if (provider !== 'lemonsqueezy') {
      expect(announce).toHaveBeenCalledTimes(1);
      expect(announce.mock.calls[0]![1]).toMatchObject({ id: license, expires_at: renewedTo.toISOString() });
    }
    expect(await heldOf(provider)).toEqual([]);

    // The same payment told again in a new event renews nothing more.
    const again = await deliver(renewed(p, at(365), payment));
    expect(again).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('already renewed') });
    expect(await expiryOf(license)).toBe(renewedTo.toISOString());
  });

  it('holds two renewals of one subscription, and applies both', async () => {
    const { p, licenseId, tie } = await untiedPurchase();
    expect(await deliver(renewed(p, at(364), 'b1b2c3d4e5f60718'))).toMatchObject({ outcome: 'ignored' });
    expect(await deliver(renewed(p, at(380), 'c1b2c3d4e5f60718'))).toMatchObject({ outcome: 'ignored' });
    expect(new Set((await heldOf(provider)).map((row) => row.event)).size).toBe(2);
    const tied = await tie(at(381));
    const license = licenseId ?? tied.license_id;
    expect(tied.reason.match(/renewed by the held/g)).toHaveLength(2);
    // Lemon Squeezy's license expired at day 365, so the first renewal counts from day 381 (the lapse is not paid twice).
    expect(await expiryOf(license)).toBe((provider === 'lemonsqueezy' ? day(381 + 730) : day(381 + 1095)).toISOString());
    expect(await heldOf(provider)).toEqual([]);
  });

  it('drops a held renewal after 30 days: a renewal of something the integration never sold', async () => {
    const { p, licenseId, tie } = await untiedPurchase();
    await deliver(renewed(p, at(364), 'd1b2c3d4e5f60718'));
    // The next renewal held 31 days later prunes it; the purchase tied after that is not renewed by it.
    await deliver(renewed(newPurchase(provider, PRICES[provider]), at(395)));
    expect((await heldOf(provider)).map((row) => row.created_at.toISOString())).toEqual([day(395).toISOString()]);
    const tied = await tie(at(395));
    expect(tied.reason ?? '').not.toContain('renewed by the held');
    expect(await expiryOf(licenseId ?? tied.license_id)).toBe((provider === 'lemonsqueezy' ? day(365) : day(395 + 365)).toISOString());
    await ctx.database.db.deleteFrom('held_events').execute();
  });
});
