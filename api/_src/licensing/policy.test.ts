import { describe, expect, it } from '@jest/globals';
import { clockStart, heldEntitlements, licenseExpiry, renewedExpiry } from './policy.ts';
import { D, day, license, policy } from './testing.ts';

describe('licenseExpiry', () => {
  it('is creation + duration under the created basis', () => {
    expect(clockStart(license(), policy())).toBe(D);
    expect(licenseExpiry(license(), policy())).toEqual(day(365));
    expect(licenseExpiry(license(), policy({ durationDays: 30 }))).toEqual(day(30));
  });

  it('has not started under first_check until an install checks, whenever that is', () => {
    const yearly = policy({ expirationBasis: 'first_check' });
    expect(clockStart(license(), yearly)).toBeNull();
    expect(licenseExpiry(license(), yearly)).toBeNull();
    expect(licenseExpiry(license({ firstCheckedAt: day(40) }), yearly)).toEqual(day(405));
  });

  it('is the license own expires_at when set (a renewal or an admin), whatever the basis', () => {
    expect(licenseExpiry(license({ expiresAt: day(500) }), policy())).toEqual(day(500));
    expect(licenseExpiry(license({ expiresAt: day(500) }), policy({ expirationBasis: 'first_check' }))).toEqual(day(500));
  });

  it('is null under a perpetual policy', () => {
    expect(licenseExpiry(license(), policy({ durationDays: null }))).toBeNull();
  });
});

describe('renewedExpiry', () => {
  const yearly = policy();

  it('adds a period to the expiry when renewed before it', () => {
    expect(renewedExpiry(license(), yearly, day(300))).toEqual(day(730));
    expect(renewedExpiry(license({ expiresAt: day(730) }), yearly, day(700))).toEqual(day(1095));
  });

  it('adds a period to now when renewed after the expiry: the lapsed days are not given back', () => {
    expect(renewedExpiry(license(), yearly, day(400))).toEqual(day(765));
    // At the expiry instant the license has expired.
    expect(renewedExpiry(license(), yearly, day(365))).toEqual(day(730));
  });

  it('counts a never-checked first_check license as starting now, plus the renewed period', () => {
    expect(renewedExpiry(license(), policy({ expirationBasis: 'first_check' }), day(100))).toEqual(day(830));
  });

  it('is null under a perpetual policy', () => {
    expect(renewedExpiry(license(), policy({ durationDays: null }), day(100))).toBeNull();
  });
});

describe('heldEntitlements', () => {
  it('unites the policy and the license entitlements', () => {
    const held = heldEntitlements(license({ entitlements: ['beta', 'pro'] }), policy({ entitlements: ['pro', 'updates'] }));
    expect([...held].sort()).toEqual(['beta', 'pro', 'updates']);
  });
});
