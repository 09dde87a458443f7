/**
 * @module licensing/testing
 * A clock the tests control (day D and days after it), and policies, licenses and releases to build cases from.
 */
import type { License, LicensePolicy } from './policy.ts';
import type { ReleaseEntitlement } from './eligibility.ts';

/** Day D: the purchase in every scenario. */
export const D = new Date('2026-03-01T12:00:00.000Z');

/** `days` (may be fractional or negative) after D. */
export function day(days: number): Date {
  return new Date(D.getTime() + days * 86_400_000);
}

export function policy(overrides: Partial<LicensePolicy> = {}): LicensePolicy {
  return {
    durationDays: 365,
    expiryStrategy: 'fallback',
    expirationBasis: 'created',
    graceDays: 0,
    maxMachines: null,
    entitlements: [],
    patchLineAfterExpiry: false,
    ...overrides,
  };
}

export function license(overrides: Partial<License> = {}): License {
  return { status: 'active', expiresAt: null, entitlements: [], createdAt: D, firstCheckedAt: null, ...overrides };
}

/** A release first published `publishedDay` days after D. */
export function release(version: string, publishedDay: number | null, overrides: Partial<ReleaseEntitlement> = {}): ReleaseEntitlement {
  return {
    version,
    firstPublishedAt: publishedDay === null ? null : day(publishedDay),
    entitlementDate: null,
    requiredEntitlements: [],
    channelEntitlement: null,
    ...overrides,
  };
}
