/**
 * @module billing/integrations
 * An app's payment integrations as rows and as the admin API shows them. The signing secret is sealed under
 * SECRETS_KEY with the integration's id as associated data (so a sealed secret copied to another row does not
 * open) and never leaves the server: not in an answer, the audit log or a log line.
 */
import type { Db, PaymentIntegrationRow } from '../../../db/schema.ts';
import type { SecretBox } from '../github/secrets.ts';
import type { IntegrationView } from '../protocol/billing.ts';
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

/**
 * Remembers `references` as ids of the purchase `to` names, whether or not that purchase was made yet (the lookup
 * goes through the link either way); returns those that were new (a known one keeps its link).
 */
export function addLinks(db: Db, integrationId: string, to: string, references: readonly string[]): Promise<string[]> {
  const others = references.filter((reference) => reference !== to);
  return insertNewReferences(db, 'payment_links', integrationId, others, { linked_to: to });
}

/** Remembers `references` as `externalId`'s; returns those that were new (a known one keeps its license). */
export function addReferences(db: Db, integrationId: string, externalId: string, references: readonly string[]): Promise<string[]> {
  return insertNewReferences(db, 'payment_references', integrationId, references, { external_id: externalId });
}

/** Forgets one reference (a renewal that failed after its payment was remembered). */
export async function removeReference(db: Db, integrationId: string, reference: string): Promise<void> {
  await db.deleteFrom('payment_references').where('integration_id', '=', integrationId).where('reference', '=', reference).execute();
}
