/**
 * @module billing-schema
 * Payment integrations, the provider ids behind each license, and one-time key claims (migrations
 * 2026_12_07_0015, 0017 to 0022, api/_src/billing/), part of schema.ts's `Database` and re-exported by it.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { CreatedAt, Timestamp, UpdatedAt } from './column-types.ts';

export const PAYMENT_PROVIDERS = ['stripe', 'lemonsqueezy', 'paddle'] as const;
export type PaymentProvider = (typeof PAYMENT_PROVIDERS)[number];

export interface PaymentIntegrationsTable {
  id: Generated<string>;
  app_id: string;
  provider: PaymentProvider;
  description: string | null;
  /** The provider's webhook signing secret, sealed under SECRETS_KEY; never returned. */
  signing_secret_sealed: string;
  /** Price (Stripe, Paddle) or variant (Lemon Squeezy) id → license policy id. */
  prices: ColumnType<Record<string, string>, string | undefined, string>;
  active: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** A provider id (order, subscription, invoice, payment) → the external id of the license it belongs to. */
export interface PaymentReferencesTable {
  integration_id: string;
  reference: string;
  external_id: string;
  created_at: CreatedAt;
}

/** A provider id → another id of the same purchase (Stripe: a PaymentIntent or charge → its invoice; Lemon Squeezy: a subscription → its order). */
export interface PaymentLinksTable {
  integration_id: string;
  reference: string;
  /** Null: the payment was detached from what it paid (Stripe's `invoice_payment.detached`) and pays nothing now. */
  linked_to: string | null;
  /** When the provider says the payment was paid to `linked_to` (or detached): a later payment moves the link; null never moves. */
  paid_at: Timestamp | null;
  /** When the link was last made, moved or detached (despite its name): the 30 days of pruning count from it. */
  created_at: UpdatedAt;
}

export type HeldEventKind = 'revoke' | 'renew';

/** A refund, chargeback or renewal that found no license yet, by each provider id it named; applied when one of them does. */
export interface HeldEventsTable {
  integration_id: string;
  reference: string;
  event: string;
  kind: ColumnType<HeldEventKind, HeldEventKind | undefined, never>;
  /** A renewal's payment ids (the first renews once); null for a revocation. */
  payments: ColumnType<string[] | null, string | null | undefined, never>;
  created_at: CreatedAt;
}

/** A new license's key waiting for its buyer: deleted on the first claim, unusable after `expires_at`. */
export interface LicenseClaimsTable {
  token_digest: string;
  app_id: string;
  license_id: string;
  key_sealed: string;
  expires_at: Timestamp;
  /** When its URL went to the vendor's webhooks; null until then (a retried purchase announces it). */
  announced_at: Timestamp | null;
  created_at: CreatedAt;
}

export type PaymentIntegrationRow = Selectable<PaymentIntegrationsTable>;
