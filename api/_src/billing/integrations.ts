/**
 * @module billing/integrations
 * An app's payment integrations as rows and as the admin API shows them. The signing secret is sealed under
 * SECRETS_KEY with the integration's id as associated data (so a sealed secret copied to another row does not
 * open) and never leaves the server: not in an answer, the audit log or a log line.
 */
import type { Db, PaymentIntegrationRow } from '../../../db/schema.ts';
import type { SecretBox } from '../github/secrets.ts';
import type { IntegrationView } from '../protocol/billing.ts';
import { HOLD_DAYS } from './held-events.ts';
import { insertNewReferences } from './reference-rows.ts';


const contextOf = (integrationId: string) => `payment-integration:${integrationId}`;

export const sealSigningSecret = (box: SecretBox, integrationId: string, secret: string) => box.seal(secret, contextOf(integrationId));
export const openSigningSecret = (box: SecretBox, row: Pick<PaymentIntegrationRow, 'id' | 'signing_secret_sealed'>) =>
  box.open(row.signing_secret_sealed, contextOf(row.id));

/** Where the provider posts: `POST /billing/{integration}/webhook`. */
export const billingWebhookUrl = (publicUrl: string, integrationId: string) => `${publicUrl}/billing/${integrationId}/webhook`;

export function toIntegrationView(row: PaymentIntegrationRow, publicUrl: string): IntegrationView {
  return {
    id: row.id,
    app_id: row.app_id,
    provider: row.provider,
    description: row.description,
    prices: row.prices,
    active: row.active,
    webhook_url: billingWebhookUrl(publicUrl, row.id),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function findIntegration(db: Db, appId: string, id: string, forUpdate = false): Promise<PaymentIntegrationRow | undefined> {
  const query = db.selectFrom('payment_integrations').selectAll().where('app_id', '=', appId).where('id', '=', id);
  return (forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

/** An integration with its app, for an incoming delivery (which names the integration only). */
export function integrationForDelivery(db: Db, id: string) {
  return db
    .selectFrom('payment_integrations')
    .innerJoin('apps', 'apps.id', 'payment_integrations.app_id')
    .selectAll('payment_integrations')
    .select(['apps.slug as app_slug', 'apps.name as app_name'])
    .where('payment_integrations.id', '=', id)
    .executeTakeFirst();
}

/** The policy ids in `prices` that are not the app's policies (the admin API refuses them). */
export async function unknownPolicies(db: Db, appId: string, prices: Record<string, string>): Promise<string[]> {
  const wanted = [...new Set(Object.values(prices))];
  if (wanted.length === 0) return [];
  const found = await db.selectFrom('license_policies').select('id').where('app_id', '=', appId).where('id', 'in', wanted).execute();
  const known = new Set(found.map((row) => row.id));
  return wanted.filter((id) => !known.has(id));
}

/** The license external id one of `references` belongs to, directly or through a link (payment_links), or null. */
export async function externalIdFor(db: Db, integrationId: string, references: readonly string[]): Promise<string | null> {
  if (references.length === 0) return null;
  const linked = db.selectFrom('payment_links').select('linked_to').where('integration_id', '=', integrationId).where('reference', 'in', references);
  const row = await db
    .selectFrom('payment_references')
    .select('external_id')
    .where('integration_id', '=', integrationId)
    .where((eb) => eb.or([eb('reference', 'in', references), eb('reference', 'in', linked)]))
    .orderBy('created_at')
    .executeTakeFirst();
  return row?.external_id ?? null;
}

/** What `addLinks` changed: links it made, and links it moved from another purchase's id. */
export interface LinkChanges {
  added: string[];
  moved: Array<{ reference: string; from: string }>;
}

/**
 * Remembers `references` as ids of the purchase `to` names, whether or not that purchase was made yet (the lookup
 * goes through the link either way). A known one keeps its link, unless this payment is later than the one that
 * made it (`paidAt`, events.ts `link`): then it moves to `to`, so a refund finds what the payment paid last.
 */
export async function addLinks(db: Db, integrationId: string, link: { to: string; references: readonly string[]; paidAt: Date | null }, now: Date): Promise<LinkChanges> {
  const { to, paidAt } = link;
  const others = link.references.filter((reference) => reference !== to);
  if (others.length === 0) return { added: [], moved: [] };
  const known = await lockedLinks(db, integrationId, others);
  // Stripe dates in whole seconds: a payment in the second its earlier one was detached (`detachLinks`) came after it.
  const later = (row: (typeof known)[number]) =>
    paidAt !== null && (row.paid_at === null || row.paid_at < paidAt || (row.linked_to === null && row.paid_at.getTime() === paidAt.getTime()));
  const fresh = others.filter((reference) => !known.some((row) => row.reference === reference));
  const inserted = fresh.length === 0 ? [] : await db
    .insertInto('payment_links')
    .values(fresh.map((reference) => ({ integration_id: integrationId, reference, linked_to: to, paid_at: paidAt, created_at: now })))
    .onConflict((oc) => oc.columns(['integration_id', 'reference']).doNothing())
    .returning('reference')
    .execute();
  const moved: LinkChanges['moved'] = [];
  const added = inserted.map((row) => row.reference);
  for (const row of known.filter(later)) {
    await db.updateTable('payment_links').set({ linked_to: to, paid_at: paidAt, created_at: now }).where('integration_id', '=', integrationId).where('reference', '=', row.reference).execute();
    if (row.linked_to === null) added.push(row.reference);
    else if (row.linked_to !== to) moved.push({ reference: row.reference, from: row.linked_to });
  }
  return { added, moved };
}

/** The links filed for `references`, locked until the transaction ends. */
function lockedLinks(db: Db, integrationId: string, references: readonly string[]) {
  return db
    .selectFrom('payment_links')
    .select(['reference', 'linked_to', 'paid_at'])
    .where('integration_id', '=', integrationId)
    .where('reference', 'in', references)
    .forUpdate()
    .execute();
}

/**
 * Forgets that `references` pay the purchase `from` names (Stripe: a PaymentIntent detached from its invoice), so a
 * refund of them finds no license: their links are kept with no purchase, dated `detachedAt`, so a payment told late
 * that is older than the detachment does not link them again (`addLinks`), and a later one does. A link made after
 * the detachment is such a later payment, and stays. Returns the references that no longer reach a purchase.
 * Only links are undone: Stripe detaches on API versions after 2025-03-31.basil, whose invoices do not name their
 * payment (stripe.ts), so a purchase never files a detachable payment as its own id.
 */
export async function detachLinks(db: Db, integrationId: string, detach: { from: string; references: readonly string[]; detachedAt: Date | null }, now: Date): Promise<string[]> {
  const { from, detachedAt } = detach;
  const others = detach.references.filter((reference) => reference !== from);
  if (others.length === 0) return [];
  const known = await lockedLinks(db, integrationId, others);
  // A PaymentIntent pays one invoice at a time: a link earlier than its detachment is the one it undoes; one to another
  // invoice in the same second (Stripe dates in whole seconds) was made after it, once the payment had left `from`.
  const undone = (row: (typeof known)[number]) =>
    row.linked_to !== null &&
    (detachedAt !== null && row.paid_at !== null
      ? row.paid_at < detachedAt || (row.paid_at.getTime() === detachedAt.getTime() && row.linked_to === from)
      : row.linked_to === from);
  const detached: string[] = [];
  for (const row of known.filter(undone)) {
    await db.updateTable('payment_links').set({ linked_to: null, paid_at: detachedAt ?? row.paid_at, created_at: now }).where('integration_id', '=', integrationId).where('reference', '=', row.reference).execute();
    detached.push(row.reference);
  }
  const fresh = others.filter((reference) => !known.some((row) => row.reference === reference));
  if (detachedAt !== null && fresh.length > 0) {
    await db
      .insertInto('payment_links')
      .values(fresh.map((reference) => ({ integration_id: integrationId, reference, linked_to: null, paid_at: detachedAt, created_at: now })))
      .onConflict((oc) => oc.columns(['integration_id', 'reference']).doNothing())
      .execute();
  }
  return detached;
}

/**
 * Forgets links last made or moved more than `HOLD_DAYS` before `now` (`created_at`, which `addLinks` and
 * `detachLinks` reset) whose purchase was never told: payments of something this integration does not sell (another
 * product on the same Stripe account) would otherwise pile up for ever. Counted from the first link, a payment moved
 * late in those days to such an invoice would lose its `paid_at` soon after the move, and an event of its earlier
 * payment told after that would link it back to the earlier invoice, so that a refund revokes a license it no longer
 * pays. That event predates the move and Stripe resends an event for 3 days: counted from the move, the link
 * outlives its deliveries.
 * A detached payment's link (no `linked_to`, `detachLinks`) is kept: it is all that stops an event of its earlier
 * payment, told however late, from linking it to that invoice again, so that a refund revokes a license it no longer
 * pays. Detachments are rare, and one row each.
 */
export async function pruneUnreachedLinks(db: Db, integrationId: string, now: Date): Promise<void> {
  await db
    .deleteFrom('payment_links')
    .where('integration_id', '=', integrationId)
    .where('linked_to', 'is not', null)
    .where('created_at', '<', new Date(now.getTime() - HOLD_DAYS * 86_400_000))
    .where((eb) => eb.not(eb.exists(eb
      .selectFrom('payment_references as r')
      .select('r.reference')
      .whereRef('r.integration_id', '=', 'payment_links.integration_id')
      .whereRef('r.reference', '=', 'payment_links.linked_to'))))
    .execute();
}

/** Remembers `references` as `externalId`'s; returns those that were new (a known one keeps its license). */
export function addReferences(db: Db, integrationId: string, externalId: string, references: readonly string[]): Promise<string[]> {
  return insertNewReferences(db, 'payment_references', integrationId, references, { external_id: externalId });
}

/** Forgets one reference (a renewal that failed after its payment was remembered). */
export async function removeReference(db: Db, integrationId: string, reference: string): Promise<void> {
  await db.deleteFrom('payment_references').where('integration_id', '=', integrationId).where('reference', '=', reference).execute();
}
