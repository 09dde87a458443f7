/**
 * @module licensing/policy
 * What a license policy and a license are, and when a license expires. A policy says how long a license lasts
 * (`durationDays`, null: perpetual), from when (`expirationBasis`: its creation, or the first update check by any
 * of its installs), and what expiry means (`expiryStrategy`, applied in access.ts):
 * - `fallback`: releases first published at or before the expiry stay available, never a newer one (the
 *   "perpetual fallback" of Keygen's MAINTAIN/RESTRICT_ACCESS and JetBrains' on-prem licenses);
 * - `revoke`: nothing after the expiry plus `graceDays`;
 * - `allow`: the expiry is informational.
 * Days are 24-hour UTC days.
 */
import type { ExpirationBasis, ExpiryStrategy, LicenseStatus } from '../../../db/schema.ts';

export interface LicensePolicy {
  /** null: licenses never expire. */
  readonly durationDays: number | null;
  readonly expiryStrategy: ExpiryStrategy;
  readonly expirationBasis: ExpirationBasis;
  /** How long after the expiry `revoke` waits before refusing; it never moves a `fallback` cutoff. */
  readonly graceDays: number;
  /** Installs (by `X-Install-Id`) a license may update; null: any number. */
  readonly maxMachines: number | null;
  /** Granted to every license of the policy, on top of the license's own. */
  readonly entitlements: readonly string[];
  /** After expiry, also the later releases of the newest eligible release's major.minor line (eligibility.ts). */
  readonly patchLineAfterExpiry: boolean;
}

export interface License {
  readonly status: LicenseStatus;
  /** When set, the expiry (renewals and admins set it); null: computed from the policy, see `licenseExpiry`. */
  readonly expiresAt: Date | null;
  readonly entitlements: readonly string[];
  /** When the license began: the start of its clock under the `created` basis. */
  readonly createdAt: Date;
  /** The first update check by any of its installs: the start of its clock under the `first_check` basis. */
  readonly firstCheckedAt: Date | null;
}

const DAY_MS = 86_400_000;

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

/** When the license's clock started, or null when it has not (a `first_check` license never checked). */
export function clockStart(license: License, policy: LicensePolicy): Date | null {
  return policy.expirationBasis === 'created' ? license.createdAt : license.firstCheckedAt;
}

/**
 * The license's expiry: its own `expiresAt` when set, else its clock's start plus the policy's duration. Null when
 * it has none: a perpetual policy, or a `first_check` license no install has checked with yet.
 * @example licenseExpiry({ ...license, createdAt: d }, yearly) // d + 365 days
 */
export function licenseExpiry(license: License, policy: LicensePolicy): Date | null {
  if (license.expiresAt) return license.expiresAt;
  if (policy.durationDays === null) return null;
  const start = clockStart(license, policy);
  return start && addDays(start, policy.durationDays);
}

/**
 * The expiry after one renewal: one more period from the current expiry, or from `now` when the license has
 * already expired (the lapsed time is not paid for twice). A license whose clock has not started is renewed as if
 * its first check were now. Null under a perpetual policy: nothing to extend.
 */
export function renewedExpiry(license: License, policy: LicensePolicy, now: Date): Date | null {
  if (policy.durationDays === null) return null;
  const expiry = licenseExpiry(license, policy) ?? addDays(now, policy.durationDays);
  return addDays(expiry.getTime() > now.getTime() ? expiry : now, policy.durationDays);
}

/** Every entitlement a license holds: its own and its policy's. */
export function heldEntitlements(license: License, policy: LicensePolicy): ReadonlySet<string> {
  return new Set([...policy.entitlements, ...license.entitlements]);
}
