/**
 * Payment providers end to end, through the HTTP routes, on a clock the test controls: each provider's signed
 * webhooks (payloads shaped like its documented examples) create, renew and revoke licenses; replays and bad
 * signatures change nothing; the new key reaches the buyer once through the claim link carried by the signed
 * `license.created` webhook; and the key is in no stored body, delivery record or log line.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { PaymentProvider } from '../../../db/schema.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp } from '../../../test/support/release-fixtures.ts';
import { call } from '../admin/testing.ts';
import { parseLicenseKey } from '../licensing/license-key.ts';
import { D, day, TEST_SECRETS_KEY, testDigester } from '../licensing/testing.ts';
import { createLicense, createPolicy, revokeLicense, rotateLicenseKey } from '../licensing/store.ts';
import { createPolicyBodySchema } from '../protocol/licensing.ts';
import { drain, type Receiver, startReceiver } from '../webhooks/testing.ts';
import { verifySignature } from '../webhooks/signature.ts';
import { Billing } from './service.ts';
import { InboundDeliveries } from '../inbound/deliveries.ts';
import { SecretBox } from '../github/secrets.ts';
import { cancelled, disputed, newPurchase, type Purchase, purchased, refunded, renewed, signAs, subscribed } from './testing.ts';

const clock = { now: D.getTime() };
const seconds = () => Math.floor(clock.now / 1000);
const PRICES: Record<PaymentProvider, string> = { stripe: 'price_1MoBy5LkdIwHu7ixZhnattbh', lemonsqueezy: '4242', paddle: 'pri_01gsz8x8sawmvhz1pv30nge1ke' };
const SECRETS: Record<PaymentProvider, string> = { stripe: 'whsec_test_2yTH1rBs9fhg7w0tCrc7NzY1', lemonsqueezy: 'ls-signing-secret', paddle: 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI' };
const SIGNATURE_HEADER: Record<PaymentProvider, string> = { stripe: 'stripe-signature', lemonsqueezy: 'x-signature', paddle: 'paddle-signature' };

let ctx: TestContext;
let slug = '';
let appId = '';
let policyId = '';
let mailer: Receiver;
let chatty: Receiver;
let mailerSecret = '';
const integrations = {} as Record<PaymentProvider, string>;
const logged: string[] = [];
const revealedKeys: string[] = [];

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map((arg) => (arg instanceof Error ? `${arg.message}\n${arg.stack}` : typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ')));
  }
  ctx = await createTestContext({ env: { SECRETS_KEY: TEST_SECRETS_KEY, RATE_LIMITS: 'off', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }, now: () => clock.now });
  slug = 'billing-app';
  appId = await insertApp(ctx.database.db, slug);
  policyId = (await createPolicy(ctx.deps, { actor: 'key:test' }, appId, createPolicyBodySchema.parse({ name: 'Yearly', duration_days: 365 }))).id;
  [mailer, chatty] = await Promise.all([startReceiver(), startReceiver()]);
  const hook = await call(ctx, 'POST', `/admin/apps/${slug}/webhooks`, { body: { url: mailer.url, events: ['license.created'] } });
  expect(hook.status).toBe(201);
  mailerSecret = hook.body.secret;
  // "Every kind" means every release kind: license.created (a claim URL, an email) goes only where it is asked for.
  expect((await call(ctx, 'POST', `/admin/apps/${slug}/webhooks`, { body: { url: chatty.url } })).status).toBe(201);
  for (const provider of ['stripe', 'lemonsqueezy', 'paddle'] as const) {
    const res = await call(ctx, 'POST', `/admin/apps/${slug}/integrations`, { body: { provider, signing_secret: SECRETS[provider], prices: { [PRICES[provider]]: policyId } } });
    expect(res.status).toBe(201);
    expect(res.body.webhook_url).toBe(`http://updates.test/billing/${res.body.id}/webhook`);
    integrations[provider] = res.body.id;
  }
});

afterAll(async () => {
  await ctx.deps.webhooks.stop();
  await Promise.all([mailer.close(), chatty.close()]);
  await ctx.close();
  jest.restoreAllMocks();
});

/** Posts `body` to the provider's integration, signed at `at` seconds (default: now) with `secret` (default: the right one). */
async function deliver(provider: PaymentProvider, body: string, options: { at?: number; secret?: string; header?: string | null } = {}) {
  const header = options.header === undefined ? signAs(provider, options.secret ?? SECRETS[provider], body, options.at ?? seconds()) : options.header;
  const res = await ctx.app.request(`/billing/${integrations[provider]}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(header === null ? {} : { [SIGNATURE_HEADER[provider]]: header }) },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const licensesOf = (p: Purchase) => ctx.database.db.selectFrom('licenses').selectAll().where('app_id', '=', appId).where('external_source', '=', p.provider).execute();
const licenseById = (id: string) => ctx.database.db.selectFrom('licenses').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function claimUrlsFor(licenseId: string): Promise<string[]> {
  await drain(ctx);
  return mailer.requests.map((r) => JSON.parse(r.body)).filter((e) => e.license?.id === licenseId).map((e) => e.license.claim_url);
}

async function claim(url: string, accept = 'application/json') {
  const res = await ctx.app.request(url.replace('http://updates.test', ''), { method: 'POST', headers: { accept } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe.each(['stripe', 'lemonsqueezy', 'paddle'] as const)('%s', (provider) => {
  let p: Purchase;
  let licenseId = '';

  beforeAll(() => {
    clock.now = D.getTime();
    p = newPurchase(provider, PRICES[provider]);
  });

  it('refuses a wrong signature, a missing one and (where the provider signs a time) a stale one, creating nothing', async () => {
    const body = purchased(p, D);
    const wrong = await deliver(provider, body, { secret: 'not-the-secret' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    expect((await deliver(provider, body, { header: null })).status).toBe(401);
    // The same bytes with one character changed: the signature no longer matches.
    expect((await deliver(provider, body.replace(p.email, p.email.toUpperCase()), { header: signAs(provider, SECRETS[provider], body, seconds()) })).status).toBe(401);
    if (provider !== 'lemonsqueezy') {
      const stale = await deliver(provider, body, { at: seconds() - 301 });
      expect(stale.status).toBe(401);
      expect(stale.body.error.message).toMatch(/more than 5 minutes before the server's time/);
      // A time ahead of the server's is refused as well, and said to be ahead.
      const ahead = await deliver(provider, body, { at: seconds() + 301 });
      expect(ahead.status).toBe(401);
      expect(ahead.body.error.message).toMatch(/more than 5 minutes after the server's time/);
      expect((await deliver(provider, body, { at: seconds() - 299 })).status).toBe(200); // inside 5 minutes: accepted
      expect((await licensesOf(p)).length).toBe(1);
    } else {
      expect((await licensesOf(p)).length).toBe(0);
    }
    const refusals = await ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'billing.webhook_refused').where('target', '=', `integration:${integrations[provider]}`).execute();
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(refusals)).not.toContain(SECRETS[provider]);
  });

  it('creates one license from a purchase, a replay of it and a second event about the same purchase', async () => {
    const body = purchased(p, D);
    const first = await deliver(provider, body);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ok: true, duplicate: false, outcome: provider === 'lemonsqueezy' ? 'created' : expect.stringMatching(/^(created|existing)$/) });
    licenseId = first.body.license_id;
    const replay = await deliver(provider, body);
    expect(replay.body).toEqual({ ok: true, duplicate: true, event: first.body.event });
    // Another event id for the same purchase (a resend, or Lemon Squeezy's subscription of the order).
    const again = await deliver(provider, provider === 'lemonsqueezy' ? subscribed(p, D) : purchased(p, D));
    expect(again.body.duplicate).toBe(false);
    expect(again.body.license_id ?? licenseId).toBe(licenseId);
    const licenses = await licensesOf(p);
    expect(licenses.filter((l) => l.external_id === licenses[0]!.external_id)).toHaveLength(1);
    expect(licenses[0]!.id).toBe(licenseId);
    expect(licenses[0]!.expires_at?.toISOString()).toBe(day(365).toISOString());
  });

  it('sends license.created, signed, with the claim URL and the buyer\'s email, only to the webhook that asked', async () => {
    await drain(ctx);
    const sent = mailer.requests.filter((r) => JSON.parse(r.body).license?.id === licenseId);
    expect(sent).toHaveLength(1);
    const request = sent[0]!;
    expect(request.headers['x-tauri-release-event']).toBe('license.created');
    expect(verifySignature(mailerSecret, request.body, String(request.headers['x-tauri-release-signature']), Math.floor(Date.now() / 1000))).toBe(true);
    const event = JSON.parse(request.body);
    expect(event.license).toMatchObject({ id: licenseId, policy_id: policyId, source: provider, customer: { email: p.email }, expires_at: day(365).toISOString() });
    expect(event.license.claim_url).toMatch(/^http:\/\/updates\.test\/claim\/[A-Za-z0-9_-]{43}$/);
    expect(chatty.requests.filter((r) => r.body.includes(licenseId))).toEqual([]);
  });

  it('shows the key once through the claim link; the second time there is nothing', async () => {
    const [url] = await claimUrlsFor(licenseId);
    const path = url!.replace('http://updates.test', '');
    const offer = await ctx.app.request(path);
    expect(offer.status).toBe(200);
    expect(offer.headers.get('cache-control')).toBe('no-store');
    expect(await offer.text()).not.toMatch(/trl_/); // a GET (a mail scanner) does not use the claim
    const first = await claim(url!);
    expect(first.status).toBe(200);
    const body = JSON.parse(first.text);
    revealedKeys.push(body.key);
    const parsed = parseLicenseKey(body.key);
    expect(parsed.success).toBe(true);
    const row = await licenseById(licenseId);
    expect(parsed.success && testDigester().digest(parsed.key).digest).toBe(row.key_digest);
    expect(body).toMatchObject({ license_id: licenseId, app: { slug } });
    expect((await claim(url!)).status).toBe(404);
    expect((await claim(url!, 'text/html')).status).toBe(404);
    expect((await ctx.app.request(path)).status).toBe(404);
    expect(await ctx.database.db.selectFrom('license_claims').selectAll().where('license_id', '=', licenseId).execute()).toEqual([]);
  });

  it('leaves the license to expire on cancellation', async () => {
    clock.now = day(200).getTime();
    const res = await deliver(provider, cancelled(p, day(200)));
    expect(res.body).toMatchObject({ duplicate: false, outcome: 'ignored' });
    expect(await licenseById(licenseId)).toMatchObject({ status: 'active', expires_at: day(365) });
  });

  it('extends the license on renewal, once per payment', async () => {
    clock.now = day(364).getTime();
    const payment = 'a1b2c3d4e5f60718';
    const res = await deliver(provider, renewed(p, day(364), payment));
    expect(res.body).toMatchObject({ outcome: 'renewed', license_id: licenseId });
    expect((await licenseById(licenseId)).expires_at?.toISOString()).toBe(day(730).toISOString());
    // The same payment told again in a new event (not a replay of the bytes) renews nothing more.
    clock.now = day(364.5).getTime();
    const again = await deliver(provider, renewed(p, day(364.5), payment));
    expect(again.body.outcome).toBe('ignored');
    expect((await licenseById(licenseId)).expires_at?.toISOString()).toBe(day(730).toISOString());
  });

  it('revokes the license on a refund', async () => {
    clock.now = day(370).getTime();
    const res = await deliver(provider, refunded(p, day(370)));
    expect(res.body).toMatchObject({ outcome: 'revoked', license_id: licenseId });
    expect((await licenseById(licenseId)).status).toBe('revoked');
    const audits = await ctx.database.db.selectFrom('audit_log').selectAll().where('target', '=', `license:${licenseId}`).orderBy('id').execute();
    expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(['license.create', 'license.claim', 'license.renew', 'license.revoke']));
    expect(audits.find((a) => a.action === 'license.revoke')!.actor).toBe(`integration:${integrations[provider]}`);
  });
});

describe('other events', () => {
  it('revokes on a Stripe chargeback', async () => {
    clock.now = D.getTime();
    const p = newPurchase('stripe', PRICES.stripe);
    const made = await deliver('stripe', purchased(p, D));
    expect(made.body.outcome).toBe('created');
    const res = await deliver('stripe', disputed(p, day(10)));
    expect(res.body).toMatchObject({ outcome: 'revoked', license_id: made.body.license_id });
  });

  it('ignores a purchase of a price the integration does not list, and a refund of an unknown payment', async () => {
    const p = newPurchase('paddle', 'pri_01notlistedxxxxxxxxxxxxxxx');
    const res = await deliver('paddle', purchased(p, D));
    expect(res.body).toMatchObject({ outcome: 'ignored' });
    expect(res.body.reason).toMatch(/not|no price/);
    expect((await licensesOf(p)).filter((l) => l.external_id === p.ids.subscription)).toEqual([]);
    expect((await deliver('paddle', refunded(p, D))).body.outcome).toBe('ignored');
  });

  it('applies one of two concurrent deliveries of the same event; the other is a duplicate', async () => {
    clock.now = D.getTime();
    const p = newPurchase('paddle', PRICES.paddle);
    const body = purchased(p, D);
    const answers = await Promise.all([deliver('paddle', body), deliver('paddle', body)]);
    expect(answers.map((a) => a.body.duplicate).sort()).toEqual([false, true]);
    expect(answers.find((a) => !a.body.duplicate)!.body.outcome).toBe('created');
    expect(await licensesOf(p).then((rows) => rows.filter((l) => l.external_id === p.ids.subscription))).toHaveLength(1);
  });

  it('gives the buyer a new key when the delivery that created the license failed before its claim; never re-keys an admin\'s license', async () => {
    const p = newPurchase('stripe', PRICES.stripe);
    const made = await deliver('stripe', purchased(p, D));
    const licenseId = made.body.license_id;
    const before = await licenseById(licenseId);
    // As if the first delivery had stopped between the license and its claim: neither ids nor claim were kept.
    await ctx.database.db.deleteFrom('payment_references').where('external_id', '=', p.ids.subscription).execute();
    await ctx.database.db.deleteFrom('license_claims').where('license_id', '=', licenseId).execute();
    const retried = await deliver('stripe', purchased(p, D));
    expect(retried.body).toMatchObject({ outcome: 'created', license_id: licenseId });
    expect((await licenseById(licenseId)).key_digest).not.toBe(before.key_digest);
    const urls = await claimUrlsFor(licenseId);
    expect(urls).toHaveLength(2);
    const key = JSON.parse((await claim(urls[1]!)).text).key;
    const parsed = parseLicenseKey(key);
    expect(parsed.success && testDigester().digest(parsed.key).digest).toBe((await licenseById(licenseId)).key_digest);
    expect((await claim(urls[0]!)).status).toBe(404);

    const q = newPurchase('paddle', PRICES.paddle);
    const own = await createLicense(ctx.deps, { actor: 'key:test' }, appId, { policy_id: policyId, entitlements: [], external_source: 'paddle', external_id: q.ids.subscription });
    const digest = (await licenseById(own.license.id)).key_digest;
    expect((await deliver('paddle', purchased(q, D))).body).toMatchObject({ outcome: 'existing', license_id: own.license.id });
    expect((await licenseById(own.license.id)).key_digest).toBe(digest);
  });

  it('hands out no claim of a key re-keyed away: the same purchase delivered at once to two instances announces one working key', async () => {
    clock.now = D.getTime();
    const p = newPurchase('paddle', PRICES.paddle);
    const body = purchased(p, D);
    // Another instance (its own Billing, so not queued behind this one's) whose delivery stops between the license
    // it made and that license's claim, until `resume()`.
    let reached!: () => void;
    let resume!: () => void;
    const paused = new Promise<void>((resolve) => (reached = resolve));
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    const db = ctx.database.db;
    let transactions = 0;
    const gated = new Proxy(db, {
      get: (target, name) => {
        if (name !== 'transaction') return typeof (target as any)[name] === 'function' ? (target as any)[name].bind(target) : (target as any)[name];
        return () => {
          const builder = target.transaction();
          if (++transactions !== 2) return builder;
          return { execute: async (work: any) => (reached(), await resumed, builder.execute(work)) };
        };
      },
    });
    const other = new Billing({
      db: gated,
      publicUrl: ctx.deps.config.publicUrl,
      webhooks: ctx.deps.webhooks,
      deliveries: new InboundDeliveries(db, { now: () => clock.now }),
      licensing: { licenses: ctx.deps.licenses, releaseCache: ctx.deps.releaseCache },
      secrets: new SecretBox(ctx.deps.config.github.secretsKey!),
      now: () => clock.now,
    });
    const headers = new Headers({ [SIGNATURE_HEADER.paddle]: signAs('paddle', SECRETS.paddle, body, seconds()) });
    const first = other.receive(integrations.paddle, headers, Buffer.from(body));
    await paused;
    const second = await deliver('paddle', body);
    resume();
    await first;
    const [license] = (await licensesOf(p)).filter((l) => l.external_id === p.ids.subscription);
    expect(second.body.license_id).toBe(license!.id);
    const urls = await claimUrlsFor(license!.id);
    const keys: string[] = [];
    for (const url of urls) {
      const taken = await claim(url);
      if (taken.status !== 200) continue;
      const parsed = parseLicenseKey(JSON.parse(taken.text).key);
      keys.push(parsed.success ? testDigester().digest(parsed.key).digest : 'malformed');
    }
    // Every key a claim URL hands out opens the license; at least one does.
    expect(keys.length).toBeGreaterThan(0);
    expect(keys).toEqual(keys.map(() => license!.key_digest));
  });

  it('answers existing, re-keying nothing, a retried purchase whose license was revoked after its delivery failed before the claim', async () => {
    clock.now = D.getTime();
    const p = newPurchase('stripe', PRICES.stripe);
    const made = await deliver('stripe', purchased(p, D));
    const licenseId = made.body.license_id;
    // As if the first delivery had stopped between the license and its claim; an admin revokes the license meanwhile.
    await ctx.database.db.deleteFrom('payment_references').where('external_id', '=', p.ids.subscription).execute();
    await ctx.database.db.deleteFrom('license_claims').where('license_id', '=', licenseId).execute();
    await revokeLicense(ctx.deps, { actor: 'key:test' }, appId, licenseId, { reason: 'chargeback by phone' });
    const before = await licenseById(licenseId);
    const retried = await deliver('stripe', purchased(p, D));
    expect([retried.status, retried.body]).toMatchObject([200, { outcome: 'existing', license_id: licenseId }]);
    expect((await licenseById(licenseId)).key_digest).toBe(before.key_digest);
  });

  /** Makes the first query of `table` that `method` builds after this call throw, as a lost connection would. */
  function failOnce(method: 'selectFrom' | 'deleteFrom', table: string) {
    const db = ctx.database.db as any;
    const real = db[method].bind(db);
    let failed = false;
    return jest.spyOn(db, method).mockImplementation(((from: string) => {
      if (from !== table || failed) return real(from);
      failed = true;
      throw new Error('connection lost (injected)');
    }) as any);
  }

  it('announces once, when the provider retries it, the claim of a purchase whose delivery failed applying held events', async () => {
    clock.now = D.getTime();
    const p = newPurchase('paddle', PRICES.paddle);
    const payment = 'e1b2c3d4e5f60718';
    clock.now = day(1).getTime();
    expect((await deliver('paddle', renewed(p, day(1), payment))).body).toMatchObject({ outcome: 'ignored' });
    clock.now = D.getTime();
    const announce = jest.spyOn(ctx.deps.webhooks, 'enqueueLicenseCreated');
    const body = purchased(p, D);
    // The held renewal is applied, then forgetting it fails: the license and its claim stay, the delivery fails.
    const failing = failOnce('deleteFrom', 'held_events');
    expect((await deliver('paddle', body)).status).toBe(500);
    failing.mockRestore();
    const [license] = (await licensesOf(p)).filter((l) => l.external_id === p.ids.subscription);
    expect(announce).not.toHaveBeenCalled();

    const retried = await deliver('paddle', body);
    expect(retried.body).toMatchObject({ duplicate: false, outcome: 'created', license_id: license!.id });
    // Another event about the same purchase, later, announces nothing more.
    expect((await deliver('paddle', purchased(p, D))).body).toMatchObject({ outcome: 'existing', license_id: license!.id });
    expect(announce).toHaveBeenCalledTimes(1);
    announce.mockRestore();
    const urls = await claimUrlsFor(license!.id);
    expect(urls).toHaveLength(1);
    // The renewal held before the purchase counted once: one period from the purchase, one more from the renewal.
    const sent = mailer.requests.map((r) => JSON.parse(r.body)).find((e) => e.license?.id === license!.id);
    expect(sent.license.expires_at).toBe(day(730).toISOString());
    expect((await licenseById(license!.id)).expires_at?.toISOString()).toBe(day(730).toISOString());
    const key = parseLicenseKey(JSON.parse((await claim(urls[0]!)).text).key);
    expect(key.success && testDigester().digest(key.key).digest).toBe((await licenseById(license!.id)).key_digest);
    expect(await ctx.database.db.selectFrom('held_events').selectAll().where('integration_id', '=', integrations.paddle).where('kind', '=', 'renew').execute()).toEqual([]);
  });

  it('fails a purchase delivery whose license.created could not be queued, and announces the claim on the retry', async () => {
    clock.now = D.getTime();
    const p = newPurchase('paddle', PRICES.paddle);
    const announce = jest.spyOn(ctx.deps.webhooks, 'enqueueLicenseCreated').mockRejectedValueOnce(new Error('database unavailable (injected)'));
    const body = purchased(p, D);
    expect((await deliver('paddle', body)).status).toBe(500);
    const retried = await deliver('paddle', body);
    expect(retried.body).toMatchObject({ duplicate: false, outcome: 'created' });
    expect(announce).toHaveBeenCalledTimes(2);
    announce.mockRestore();
    const urls = await claimUrlsFor(retried.body.license_id);
    expect(urls).toHaveLength(1);
    expect((await claim(urls[0]!)).status).toBe(200);
  });

  /** A Paddle purchase on day D whose delivery failed announcing its claim (500), and the license it made. */
  async function purchaseWhoseAnnouncementFailed() {
    clock.now = D.getTime();
    const p = newPurchase('paddle', PRICES.paddle);
    const announce = jest.spyOn(ctx.deps.webhooks, 'enqueueLicenseCreated').mockRejectedValueOnce(new Error('database unavailable (injected)'));
    const body = purchased(p, D);
    expect((await deliver('paddle', body)).status).toBe(500);
    announce.mockRestore();
    const [license] = (await licensesOf(p)).filter((l) => l.external_id === p.ids.subscription);
    return { body, license };
  }

  it('announces on a retry more than a week late the claim its failed delivery made, though claims made since pruned the expired ones', async () => {
    const { body, license } = await purchaseWhoseAnnouncementFailed();
    // Eight days on (the claim's 7 days are over), another purchase's claim prunes the expired claims.
    clock.now = day(8).getTime();
    expect((await deliver('paddle', purchased(newPurchase('paddle', PRICES.paddle), day(8)))).body).toMatchObject({ outcome: 'created' });

    const retried = await deliver('paddle', body);
    expect(retried.body).toMatchObject({ duplicate: false, outcome: 'created', license_id: license!.id });
    const urls = await claimUrlsFor(license!.id);
    expect(urls).toHaveLength(1);
    const sent = mailer.requests.map((r) => JSON.parse(r.body)).find((e) => e.license?.id === license!.id);
    expect(sent.license.claim_expires_at).toBe(day(15).toISOString());
    const key = parseLicenseKey(JSON.parse((await claim(urls[0]!)).text).key);
    expect(key.success && testDigester().digest(key.key).digest).toBe((await licenseById(license!.id)).key_digest);
  });

  it('announces no claim on a late retry when an admin re-keyed the license while the claim waited for it', async () => {
    const { body, license } = await purchaseWhoseAnnouncementFailed();
    await rotateLicenseKey(ctx.deps, { actor: 'key:test' }, appId, license!.id);
    clock.now = day(8).getTime();
    expect((await deliver('paddle', body)).body).toMatchObject({ duplicate: false, outcome: 'existing', license_id: license!.id });
    expect(await claimUrlsFor(license!.id)).toEqual([]);
    expect(await ctx.database.db.selectFrom('license_claims').selectAll().where('license_id', '=', license!.id).execute()).toEqual([]);
  });

  it('announces no claim when the retried purchase applies a refund held before it', async () => {
    clock.now = D.getTime();
    const p = newPurchase('paddle', PRICES.paddle);
    expect((await deliver('paddle', refunded(p, D))).body).toMatchObject({ outcome: 'ignored' });
    const announce = jest.spyOn(ctx.deps.webhooks, 'enqueueLicenseCreated');
    const body = purchased(p, D);
    const failing = failOnce('selectFrom', 'held_events as h');
    expect((await deliver('paddle', body)).status).toBe(500);
    failing.mockRestore();
    const retried = await deliver('paddle', body);
    expect(retried.body).toMatchObject({ outcome: 'revoked' });
    expect((await licenseById(retried.body.license_id)).status).toBe('revoked');
    expect((await deliver('paddle', purchased(p, D))).body).toMatchObject({ outcome: 'existing', license_id: retried.body.license_id });
    expect(announce).not.toHaveBeenCalled();
    announce.mockRestore();
    // Its claim, never announced, holds a key that opens nothing: pruned once expired, unlike an active license's.
    const claimsOf = () => ctx.database.db.selectFrom('license_claims').select('license_id').where('license_id', '=', retried.body.license_id).execute();
    expect(await claimsOf()).toHaveLength(1);
    clock.now = day(8).getTime();
    expect((await deliver('paddle', purchased(newPurchase('paddle', PRICES.paddle), day(8)))).body).toMatchObject({ outcome: 'created' });
    expect(await claimsOf()).toEqual([]);
  });

  it('answers 400 for a signed body that is not an event, and 404 for an unknown integration', async () => {
    const bad = await deliver('stripe', '{"hello":"world"}');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    const res = await ctx.app.request('/billing/00000000-0000-4000-8000-000000000000/webhook', { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect((await ctx.app.request('/billing/not-a-uuid/webhook', { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe('the integrations admin API', () => {
  it('never returns, audits or logs the signing secret, and refuses another app\'s policy', async () => {
    const list = await call(ctx, 'GET', `/admin/apps/${slug}/integrations`);
    expect(list.status).toBe(200);
    expect(list.body.integrations).toHaveLength(3);
    const patched = await call(ctx, 'PATCH', `/admin/apps/${slug}/integrations/${integrations.stripe}`, { body: { signing_secret: 'whsec_rotated_secret_value' } });
    expect(patched.status).toBe(200);
    const text = JSON.stringify([list.body, patched.body, await ctx.database.db.selectFrom('audit_log').selectAll().execute(), await ctx.database.db.selectFrom('payment_integrations').selectAll().execute()]);
    for (const secret of [...Object.values(SECRETS), 'whsec_rotated_secret_value']) expect(text).not.toContain(secret);
    const otherApp = await insertApp(ctx.database.db, 'other-app');
    const foreign = (await createPolicy(ctx.deps, { actor: 'key:test' }, otherApp, createPolicyBodySchema.parse({ name: 'Other' }))).id;
    const refused = await call(ctx, 'POST', `/admin/apps/${slug}/integrations`, { body: { provider: 'stripe', signing_secret: 'whsec_x123456', prices: { price_x: foreign } } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain(foreign);
    // The old secret no longer verifies; the new one does.
    const p = newPurchase('stripe', 'price_unlisted');
    expect((await deliver('stripe', purchased(p, D))).status).toBe(401);
    expect((await deliver('stripe', purchased(p, D), { secret: 'whsec_rotated_secret_value' })).status).toBe(200);
  });
});

describe('where keys never are', () => {
  it('no revealed key is in a stored webhook body, delivery record, audit entry, claim row or log line', async () => {
    await drain(ctx);
    expect(revealedKeys).toHaveLength(3);
    const db = ctx.database.db;
    const stored = JSON.stringify([
      await db.selectFrom('webhook_deliveries').selectAll().execute(),
      await db.selectFrom('inbound_deliveries').selectAll().execute(),
      await db.selectFrom('audit_log').selectAll().execute(),
      await db.selectFrom('license_claims').selectAll().execute(),
      await db.selectFrom('payment_references').selectAll().execute(),
      await db.selectFrom('licenses').selectAll().execute(),
    ]);
    const sent = [...mailer.requests, ...chatty.requests].map((r) => r.body).join('\n');
    for (const key of revealedKeys) {
      for (const variant of [key, key.toLowerCase(), key.slice(4)]) {
        expect(stored).not.toContain(variant);
        expect(sent).not.toContain(variant);
        expect(logged.join('\n')).not.toContain(variant);
      }
    }
  });
});
