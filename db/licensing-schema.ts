/**
 * @module licensing-schema
 * The licensing tables (migration 2026_12_07_0011, api/_src/licensing/), part of schema.ts's `Database` and
 * re-exported by it; the licensing columns of apps, releases and release_channels are in schema.ts.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { CreatedAt, Timestamp, UpdatedAt } from './column-types.ts';

export const EXPIRY_STRATEGIES = ['fallback', 'revoke', 'allow'] as const;
export type ExpiryStrategy = (typeof EXPIRY_STRATEGIES)[number];

export const EXPIRATION_BASES = ['created', 'first_check'] as const;
export type ExpirationBasis = (typeof EXPIRATION_BASES)[number];

export const LICENSE_STATUSES = ['active', 'suspended', 'revoked'] as const;
export type LicenseStatus = (typeof LICENSE_STATUSES)[number];

/** How an app's licenses last and what their expiry means (api/_src/licensing/policy.ts). */
export interface LicensePoliciesTable {
  id: Generated<string>;
  app_id: string;
  name: string;
  /** null: licenses never expire. */
  duration_days: number | null;
  expiry_strategy: Generated<ExpiryStrategy>;
  expiration_basis: Generated<ExpirationBasis>;
  /** Delays `revoke`; never moves a `fallback` cutoff. */
  grace_days: Generated<number>;
  /** Installs per license; null: any number. */
  max_machines: number | null;
  /** Granted to every license of the policy. */
  entitlements: ColumnType<string[], string | undefined, string>;
  patch_line_after_expiry: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface LicensesTable {
  id: Generated<string>;
  app_id: string;
  policy_id: string;
  /** HMAC-SHA256 hex of the key under the secret `key_secret_id` names; the key itself is never stored. */
  key_digest: string;
  key_secret_id: string;
  /** `trl_` and 4 characters of the key, for support search. */
  key_prefix: string;
  status: Generated<LicenseStatus>;
  /** null: computed from the policy (api/_src/licensing/policy.ts `licenseExpiry`). */
  expires_at: Timestamp | null;
  entitlements: ColumnType<string[], string | undefined, string>;
  /** Where the license was created from (`stripe`, `paddle`, …) and its id there; unique per app, so creation is idempotent. */
  external_source: string | null;
  external_id: string | null;
  /** The first update check by any install: starts the clock under the `first_check` basis. */
  first_checked_at: Timestamp | null;
  /** Raised on every change, so an instance's in-memory copy never goes back to an older state. */
  revision: Generated<number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** Installs counted against a license's machine limit (api/_src/licensing/machines.ts). */
export interface LicenseMachinesTable {
  id: Generated<string>;
  license_id: string;
  /** SHA-256 hex of the license id and the install id (`installIdDigest`); the install id itself is never stored. */
  install_digest: string;
  first_seen_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  /** Set: no longer counted; the install takes a place again on its next check. */
  deactivated_at: Timestamp | null;
}

export type LicensePolicyRow = Selectable<LicensePoliciesTable>;
export type LicenseRow = Selectable<LicensesTable>;
export type NewLicense = Insertable<LicensesTable>;
export type LicenseMachineRow = Selectable<LicenseMachinesTable>;
