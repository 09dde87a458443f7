/**
 * @module billing/service
 * A payment provider's webhook delivery, from raw bytes to its effect on licenses:
 * 1. the integration (404 when unknown or inactive) and its signing secret (503 without SECRETS_KEY);
 * 2. the signature over the raw body (401, audited, when missing, wrong or stale: signatures.ts);
 * 3. the event, mapped to an action (400 when the signed body is not one of the provider's events);
 * 4. a replay (the same event id, already processed: inbound/deliveries.ts) is answered `duplicate: true`;
 * 5. the action, through the licensing store (licensing/store.ts, audited as `integration:<id>`): purchase →
 *    create the license (idempotent by the provider's id) and a one-time claim of its key; renewal → extend,
 *    once per payment; refund or chargeback → revoke; a renewal or revocation that finds no license yet is held
 *    (held-events.ts, audited as `billing.renewal_held` / `billing.revocation_held`) and applied by the purchase,
 *    renewal or link that later reaches it;
 *    link → the payment ids of a purchase told apart from it (audited as `billing.link`; a payment paid later
 *    to another purchase moves there; links whose purchase never came are pruned after HOLD_DAYS, a detached
 *    one never); unlink → a payment detached from its purchase no longer reaches it (audited as `billing.link`);
 *    the provider ids seen are remembered for later events;
 * 6. `license.created` goes to the vendor's webhooks with the claim URL and the buyer's email, never the key, and
 *    the claim is marked announced; then the delivery is recorded as processed.
 * A failure after step 4 answers 5xx without recording the delivery, so the provider's retry processes it: a retried
 * purchase whose claim was made but never announced announces it then (unless a held refund revoked the license).
 */
import type { Kysely } from 'kysely';
import type { Database, PaymentIntegrationRow } from '../../../db/schema.ts';
import type { LicensingActor, LicensingDeps } from '../licensing/store.ts';
import { audit } from '../audit/audit.ts';
import { SecretsKeyError, type SecretBox } from '../github/secrets.ts';
import { ApiError, notFound } from '../http/api-error.ts';
import type { InboundDeliveries } from '../inbound/deliveries.ts';
import type { BillingWebhookAnswer } from '../protocol/billing.ts';
import type { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import type { LicenseCreatedDetails } from '../webhooks/payload.ts';
import { parseLicenseKey } from '../licensing/license-key.ts';
import { requireDigester } from '../licensing/store-context.ts';
import { claimNewKey, claimUnannounced, markClaimAnnounced, reissueUnannouncedClaim } from './claims.ts';
import type { BillingAction } from './events.ts';
import { HOLD_DAYS, type HeldEvent, heldWithPurchase, holdEvent, releaseHeld } from './held-events.ts';
import { addLinks, addReferences, detachLinks, externalIdFor, integrationForDelivery, openSigningSecret, pruneUnreachedLinks, removeReference } from './integrations.ts';
import { SIGNATURE_HEADERS, verifyProviderSignature } from './signatures.ts';
import { isUuid } from '../protocol/uuid.ts';


/** The licensing store, loaded by the first delivery that changes a license rather than at every cold start. */
const licensingStore = () => import('../licensing/store.ts');

type Integration = PaymentIntegrationRow & { app_slug: string; app_name: string };
interface Created {
  license: { id: string; policy_id: string; expires_at: string | null };
  claim: { token: string; expiresAt: Date };
}
type Outcome = Omit<BillingWebhookAnswer, 'ok' | 'duplicate' | 'event'> & { created?: Created };
interface AppliedHold {
  license: string;
  event: string;
  kind: HeldEvent['kind'];
  /** After a renewal: the license's new expiry. */
  expiresAt?: string | null;
}

/**
 * The answer to an event that let held events through: `what` it did first, then each held renewal and revocation.
 * A revocation decides the outcome (and a purchase revoked so announces no key); a renewal answers `renewed` where
 * the event itself changed no license.
 */
function withHeld(outcome: Outcome, what: string, applied: readonly AppliedHold[]): Outcome {
  if (applied.length === 0) return outcome;
  const reason = [what, ...applied.map((held) => `${held.kind === 'renew' ? 'renewed' : 'revoked'} by the held ${held.event}`)].join('; ');
  const revoked = applied.find((held) => held.kind === 'revoke');
  if (revoked) return { outcome: 'revoked', license_id: revoked.license, reason };
  const renewed = applied.at(-1)!;
  if (outcome.outcome === 'ignored') return { outcome: 'renewed', license_id: renewed.license, reason };
  const created = outcome.created && { ...outcome.created, license: { ...outcome.created.license, expires_at: renewed.expiresAt ?? outcome.created.license.expires_at } };
  return { ...outcome, reason, ...(created ? { created } : {}) };
}

export interface BillingOptions {
  db: Kysely<Database>;
  publicUrl: string;
  webhooks: Pick<WebhookDispatcher, 'enqueueLicenseCreated'>;
  deliveries: InboundDeliveries;
  /** What the licensing store is handed (its clock is `now` too). */
  licensing: Omit<LicensingDeps, 'db' | 'now'>;
  /** Sealing key for signing secrets and claims; null without SECRETS_KEY (`npm start` makes one under DATA_DIR). */
  secrets: SecretBox | null;
  /** Milliseconds clock: signature tolerance, license dates, claim expiry. */
  now?: () => number;
}

export class Billing {
  readonly #db: Kysely<Database>;
  readonly #publicUrl: string;
  readonly #webhooks: BillingOptions['webhooks'];
  readonly #deliveries: InboundDeliveries;
  readonly #licensing: LicensingDeps;
  readonly #now: () => number;
  /** Deliveries of one integration are applied one at a time on an instance (a purchase and its retry race otherwise). */
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #secrets: SecretBox | null;

  constructor(options: BillingOptions) {
    this.#db = options.db;
    this.#publicUrl = options.publicUrl;
    this.#webhooks = options.webhooks;
    this.#deliveries = options.deliveries;
    this.#secrets = options.secrets;
    this.#now = options.now ?? Date.now;
    this.#licensing = { ...options.licensing, db: options.db, now: this.#now };
  }

  /** The sealing key, or 503 `secrets_key_missing`. */
  secrets(): SecretBox {
    if (!this.#secrets) throw new ApiError(503, 'secrets_key_missing', 'payment integrations need SECRETS_KEY (32 random bytes, base64: openssl rand -base64 32)');
    return this.#secrets;
  }

  now(): Date {
    return new Date(this.#now());
  }

  claimUrl(token: string): string {
    return `${this.#publicUrl}/claim/${token}`;
  }

  /** `POST /billing/{integration}/webhook`. */
  async receive(integrationId: string, headers: Pick<Headers, 'get'>, body: Buffer): Promise<BillingWebhookAnswer> {
    const integration = isUuid(integrationId) ? await integrationForDelivery(this.#db, integrationId.toLowerCase()) : undefined;
    if (!integration || !integration.active) throw notFound('no active payment integration here; the webhook URL is shown by GET /admin/apps/{app}/integrations');
    const receivedAt = this.now();
    const verdict = verifyProviderSignature(integration.provider, this.#signingSecret(integration), body, headers.get(SIGNATURE_HEADERS[integration.provider]), Math.floor(receivedAt.getTime() / 1000));
    if (!verdict.ok) {
      const header = SIGNATURE_HEADERS[integration.provider];
      await audit(this.#db, 'system', { action: 'billing.webhook_refused', appId: integration.app_id, target: `integration:${integration.id}`, details: { provider: integration.provider, reason: verdict.reason } });
      const why = { missing: `no ${header} header`, malformed: `${header} is not in the provider's format`, mismatch: `${header} does not match the integration's signing secret`, stale: `${header} is signed more than 5 minutes ${verdict.ahead ? 'after' : 'before'} the server's time (${verdict.ahead ? 'a clock is off' : 'a replay, or a clock is off'})` };
      throw new ApiError(401, 'unauthorized', why[verdict.reason]);
    }
    const { parseProviderEvent } = await import('./parse-event.ts');
    const event = parseProviderEvent(integration.provider, body);
    const source = `${integration.provider}:${integration.id}`;
    if (await this.#deliveries.seen(source, event.deliveryId)) return { ok: true, duplicate: true, event: event.type };
    return this.#serially(integration.id, async () => {
      // Checked again in turn: the same event may have been applied while this delivery waited.
      if (await this.#deliveries.seen(source, event.deliveryId)) return { ok: true as const, duplicate: true, event: event.type };
      const { created, ...outcome } = await this.#apply(integration, event.action, `${integration.provider} ${event.type} ${event.deliveryId}`);
      if (created) await this.#announce(integration, created, event.action);
      await this.#deliveries.record(source, event.deliveryId, receivedAt);
      return { ok: true as const, duplicate: false, event: event.type, ...outcome };
    });
  }

  #serially<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.catch(() => undefined);
    this.#queues.set(key, settled);
    void settled.then(() => {
      if (this.#queues.get(key) === settled) this.#queues.delete(key);
    });
    return run;
  }

  #signingSecret(integration: Integration): string {
    try {
      return openSigningSecret(this.secrets(), integration);
    } catch (error) {
      if (error instanceof SecretsKeyError) throw new ApiError(503, 'unavailable', 'the integration\'s signing secret was sealed under another SECRETS_KEY; set it again with PATCH /admin/apps/{app}/integrations/{id}');
      throw error;
    }
  }

  async #apply(integration: Integration, action: BillingAction, event: string): Promise<Outcome> {
    const actor: LicensingActor = { kind: 'integration', id: integration.id };
    const appId = integration.app_id;
    switch (action.kind) {
      case 'ignore':
        return { outcome: 'ignored', reason: action.reason };
      case 'link': {
        const { added, moved } = await this.#db.transaction().execute(async (trx) => {
          await pruneUnreachedLinks(trx, integration.id, this.now());
          const changes = await addLinks(trx, integration.id, action, this.now());
          if (changes.added.length > 0 || changes.moved.length > 0) {
            await audit(trx, { actor: `integration:${integration.id}` }, { action: 'billing.link', appId, target: `integration:${integration.id}`, details: { event, to: action.to, references: changes.added, moved: changes.moved } });
          }
          return changes;
        });
        const told = [
          ...(added.length > 0 ? [`linked ${added.join(', ')} to ${action.to}`] : []),
          ...moved.map((link) => `moved ${link.reference} from ${link.from} to ${action.to} (paid to it later)`),
        ];
        const reason = told.length > 0 ? told.join('; ') : `${action.references.join(', ')} already linked`;
        return withHeld({ outcome: 'ignored', reason }, reason, await this.#applyHeld(integration, actor));
      }
      case 'unlink': {
        const detached = await this.#db.transaction().execute(async (trx) => {
          const references = await detachLinks(trx, integration.id, action, this.now());
          if (references.length > 0) {
            await audit(trx, { actor: `integration:${integration.id}` }, { action: 'billing.link', appId, target: `integration:${integration.id}`, details: { event, detached_from: action.from, references } });
          }
          return references;
        });
        return { outcome: 'ignored', reason: detached.length > 0 ? `detached ${detached.join(', ')} from ${action.from}: a refund of it revokes nothing` : `${action.references.join(', ')} not linked to ${action.from}` };
      }
      case 'purchase': {
        const outcome = await this.#purchase(integration, action, actor);
        if (outcome.outcome !== 'created') return outcome;
        // Applied before its key is announced: a purchase refunded before it was told gets no claim, and the claim's
        // webhook tells the expiry that renewals told before it gave.
        const applied = (await this.#applyHeld(integration, actor)).filter((held) => held.license === outcome.license_id);
        return withHeld(outcome, `license ${outcome.license_id} created`, applied);
      }
      case 'renewal': {
        const externalId = await externalIdFor(this.#db, integration.id, action.find);
        const license = externalId ? await this.#licenseOf(integration, externalId) : null;
        if (!externalId || !license) return this.#hold(integration, action.find, { kind: 'renew', event, payments: action.references });
        const { outcome } = await this.#renew(integration, actor, { externalId, license }, action.references);
        if (outcome.outcome !== 'renewed') return outcome;
        const applied = (await this.#applyHeld(integration, actor)).filter((held) => held.license === license);
        return withHeld(outcome, `license ${license} renewed`, applied);
      }
      case 'revoke': {
        const externalId = await externalIdFor(this.#db, integration.id, action.find);
        const license = externalId ? await this.#licenseOf(integration, externalId) : null;
        const reason = `${action.reason}: ${event}`.slice(0, 500);
        if (!license) return this.#hold(integration, action.find, { kind: 'revoke', event: reason });
        await (await licensingStore()).revokeLicense(this.#licensing, actor, appId, license, { reason });
        return { outcome: 'revoked', license_id: license };
      }
    }
  }

  async #purchase(integration: Integration, action: Extract<BillingAction, { kind: 'purchase' }>, actor: LicensingActor): Promise<Outcome> {
    const price = action.prices.find((id) => Object.hasOwn(integration.prices, id));
    if (price === undefined) return { outcome: 'ignored', reason: `no price of the purchase (${action.prices.join(', ') || 'none'}) is in the integration's prices` };
    const { createLicense, rotateLicenseKey } = await licensingStore();
    const made = await createLicense(this.#licensing, actor, integration.app_id, {
      policy_id: integration.prices[price]!,
      entitlements: [],
      external_source: integration.provider,
      external_id: action.externalId,
    });
    let key = made.key;
    if (!made.created) {
      const existing: Outcome = { outcome: 'existing', license_id: made.license.id };
      // A license revoked since (a held refund, an admin) gets no claim: its key opens nothing, and it cannot be re-keyed.
      if (made.license.status === 'revoked') return existing;
      // Its ids are remembered in the same transaction as its claim: a license without them was created by a
      // delivery that failed before the claim, so its key never reached anyone and a new one is made for the buyer.
      if ((await externalIdFor(this.#db, integration.id, [action.externalId])) !== null) {
        // A delivery that failed after the claim, before announcing it: the claim is announced now.
        const claim = await reissueUnannouncedClaim(this.#db, this.secrets(), requireDigester(this.#licensing), made.license.id, this.now());
        return claim ? { outcome: 'created', license_id: made.license.id, created: { license: made.license, claim } } : existing;
      }
      if (!(await this.#createdHere(integration, made.license.id))) return existing;
      key = (await rotateLicenseKey(this.#licensing, actor, integration.app_id, made.license.id)).key;
    }
    const parsed = parseLicenseKey(key!);
    if (!parsed.success) throw new Error('the licensing store returned a malformed key');
    const now = this.now();
    const claim = await this.#db.transaction().execute(async (trx) => {
      const fresh = await claimNewKey(trx, this.secrets(), requireDigester(this.#licensing), { appId: integration.app_id, licenseId: made.license.id, key: parsed.key }, now);
      if (fresh) await addReferences(trx, integration.id, action.externalId, action.references);
      return fresh;
    });
    // Re-keyed meanwhile by the same purchase delivered to another instance, which announces its own claim.
    if (!claim) return { outcome: 'existing', license_id: made.license.id };
    return { outcome: 'created', license_id: made.license.id, created: { license: made.license, claim } };
  }

  /**
   * One more period for `license`, once per payment (`references[0]`): the payment is remembered first, so a second
   * event about it renews nothing, and forgotten again if the renewal fails.
   */
  async #renew(integration: Integration, actor: LicensingActor, to: { externalId: string; license: string }, references: readonly [string, ...string[]]): Promise<{ outcome: Outcome; expiresAt?: string | null }> {
    const [payment] = references;
    if (!(await addReferences(this.#db, integration.id, to.externalId, [payment])).includes(payment)) return { outcome: { outcome: 'ignored', reason: `payment ${payment} already renewed the license` } };
    let expiresAt: string | null;
    try {
      expiresAt = (await (await licensingStore()).renewLicense(this.#licensing, actor, integration.app_id, to.license)).expires_at;
    } catch (error) {
      await removeReference(this.#db, integration.id, payment);
      // A revoked license or a perpetual policy: nothing to extend, and the provider's retries would not change that.
      if (error instanceof ApiError && error.status === 409) return { outcome: { outcome: 'ignored', reason: error.message } };
      throw error;
    }
    await addReferences(this.#db, integration.id, to.externalId, references.slice(1));
    return { outcome: { outcome: 'renewed', license_id: to.license }, expiresAt };
  }

  /** A renewal or revocation that found no license, kept for the purchase, renewal or link that may reach it later. */
  async #hold(integration: Integration, references: readonly string[], held: HeldEvent): Promise<Outcome> {
    const [what, action] = held.kind === 'renew' ? ['renewal', 'billing.renewal_held'] as const : ['revocation', 'billing.revocation_held'] as const;
    await this.#db.transaction().execute(async (trx) => {
      const added = await holdEvent(trx, integration.id, references, held, this.now());
      if (added.length > 0) {
        await audit(trx, { actor: `integration:${integration.id}` }, { action, appId: integration.app_id, target: `integration:${integration.id}`, details: { event: held.event, references: added } });
      }
    });
    return { outcome: 'ignored', reason: `no license was created from ${references.join(', ')} yet; the ${what} is held ${HOLD_DAYS} days for a purchase or payment told later` };
  }

  /**
   * Applies the held renewals and revocations that now find a license (the event just applied told their purchase
   * or payment), until none is left that does: a held renewal files its payment ids, which a held refund may name.
   */
  async #applyHeld(integration: Integration, actor: LicensingActor): Promise<AppliedHold[]> {
    const applied: AppliedHold[] = [];
    for (let progressed = true; progressed;) {
      progressed = false;
      for (const held of await heldWithPurchase(this.#db, integration.id)) {
        const license = await this.#licenseOf(integration, held.externalId);
        if (!license) continue;
        if (held.kind === 'renew') {
          const { outcome, expiresAt } = await this.#renew(integration, actor, { externalId: held.externalId, license }, held.payments);
          if (outcome.outcome === 'renewed') applied.push({ license, event: held.event, kind: 'renew', expiresAt });
        } else {
          await (await licensingStore()).revokeLicense(this.#licensing, actor, integration.app_id, license, { reason: held.event });
          applied.push({ license, event: held.event, kind: 'revoke' });
        }
        await releaseHeld(this.#db, integration.id, held.event);
        progressed = true;
      }
    }
    return applied;
  }

  /** The id of the app's license from `externalId` of this provider, or null. */
  async #licenseOf(integration: Integration, externalId: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom('licenses')
      .select('id')
      .where('app_id', '=', integration.app_id)
      .where('external_source', '=', integration.provider)
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    return row?.id ?? null;
  }

  /** Whether this integration created the license (an admin's license of the same external id is never re-keyed). */
  async #createdHere(integration: Integration, licenseId: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'license.create')
      .where('target', '=', `license:${licenseId}`)
      .where('actor', '=', `integration:${integration.id}`)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * `license.created` to the app's webhooks that list it, then the claim is marked announced (a claim a retry
   * reissued meanwhile is announced by that retry). A failure to enqueue or mark fails the delivery, so the
   * provider's retry announces the claim: at worst twice (the first URL then dead), never not at all.
   */
  async #announce(integration: Integration, created: Created, action: BillingAction): Promise<void> {
    if (action.kind !== 'purchase') return;
    const { license, claim } = created;
    const details: LicenseCreatedDetails = {
      id: license.id,
      policy_id: license.policy_id,
      expires_at: license.expires_at,
      source: integration.provider,
      external_id: action.externalId,
      customer: { email: action.email, provider_id: action.customer },
      claim_url: this.claimUrl(claim.token),
      claim_expires_at: claim.expiresAt.toISOString(),
    };
    if (!(await claimUnannounced(this.#db, claim.token))) return;
    await this.#webhooks.enqueueLicenseCreated({ id: integration.app_id, slug: integration.app_slug }, details, `integration:${integration.id}`, this.now());
    await markClaimAnnounced(this.#db, claim.token, this.now());
  }
}
