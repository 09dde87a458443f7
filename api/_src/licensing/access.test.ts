import { describe, expect, it } from '@jest/globals';
import { accessSpan, licenseAccess } from './access.ts';
import { day, license, policy } from './testing.ts';

const allowed = (access: ReturnType<typeof licenseAccess>) => {
  if (!access.allowed) throw new Error(`refused: ${access.code}`);
  return access;
};

describe('licenseAccess', () => {
  it('refuses revoked and suspended licenses, before and after expiry, whatever the strategy', () => {
    for (const expiryStrategy of ['fallback', 'revoke', 'allow'] as const) {
      for (const now of [day(1), day(400)]) {
        expect(licenseAccess(license({ status: 'revoked' }), policy({ expiryStrategy }), now)).toEqual({ allowed: false, code: 'license_revoked' });
        expect(licenseAccess(license({ status: 'suspended' }), policy({ expiryStrategy }), now)).toEqual({ allowed: false, code: 'license_suspended' });
      }
    }
  });

  describe('fallback', () => {
    const yearly = policy({ expiryStrategy: 'fallback', graceDays: 14 });

    it('cuts off at the expiry before and after it, and grace days never move the cutoff', () => {
      for (const now of [day(0), day(364), day(365), day(366), day(365 + 14), day(2000)]) {
        expect(allowed(licenseAccess(license(), yearly, now)).cutoff).toEqual(day(365));
      }
    });

    it('says when the expiry has passed: at the expiry instant and after', () => {
      expect(allowed(licenseAccess(license(), yearly, day(364.999))).expired).toBe(false);
      expect(allowed(licenseAccess(license(), yearly, day(365))).expired).toBe(true);
    });
  });

  describe('revoke with 14 grace days', () => {
    const revoking = policy({ expiryStrategy: 'revoke', graceDays: 14 });

    it('allows up to the expiry, with the expiry as cutoff', () => {
      const access = allowed(licenseAccess(license(), revoking, day(364)));
      expect(access).toMatchObject({ cutoff: day(365), expired: false });
    });

    it('inside the grace days: still allowed, cutoff still the expiry', () => {
      for (const now of [day(365), day(370), day(378.999)]) {
        expect(allowed(licenseAccess(license(), revoking, now))).toMatchObject({ cutoff: day(365), expired: true });
      }
    });

    it('refuses with license_expired from the end of the grace days on', () => {
      for (const now of [day(379), day(380), day(5000)]) {
        expect(licenseAccess(license(), revoking, now)).toEqual({ allowed: false, code: 'license_expired' });
      }
    });

    it('refuses at the expiry itself without grace days', () => {
      expect(licenseAccess(license(), policy({ expiryStrategy: 'revoke' }), day(365))).toEqual({ allowed: false, code: 'license_expired' });
      expect(licenseAccess(license(), policy({ expiryStrategy: 'revoke' }), day(364.9)).allowed).toBe(true);
    });
  });

  describe('allow', () => {
    it('has no cutoff, even long after the expiry, and still says it expired', () => {
      const access = allowed(licenseAccess(license(), policy({ expiryStrategy: 'allow' }), day(3000)));
      expect(access).toMatchObject({ cutoff: null, expired: true, expiresAt: day(365) });
    });
  });

  it('has no cutoff for a perpetual policy, nor for a first_check license no install has checked with', () => {
    expect(allowed(licenseAccess(license(), policy({ durationDays: null }), day(5000)))).toMatchObject({ cutoff: null, expired: false });
    const unstarted = allowed(licenseAccess(license(), policy({ expirationBasis: 'first_check', expiryStrategy: 'revoke' }), day(5000)));
    expect(unstarted).toMatchObject({ cutoff: null, expired: false, expiresAt: null });
  });

  it('starts a first_check license clock at its first check', () => {
    const firstCheck = policy({ expirationBasis: 'first_check', expiryStrategy: 'revoke' });
    const checked = license({ firstCheckedAt: day(100) });
    expect(allowed(licenseAccess(checked, firstCheck, day(400))).cutoff).toEqual(day(465));
    expect(licenseAccess(checked, firstCheck, day(465))).toEqual({ allowed: false, code: 'license_expired' });
  });

  it('follows a renewal: an explicit expires_at lifts a revoke refusal and moves a fallback cutoff', () => {
    expect(licenseAccess(license({ expiresAt: day(765) }), policy({ expiryStrategy: 'revoke' }), day(400)).allowed).toBe(true);
    expect(allowed(licenseAccess(license({ expiresAt: day(765) }), policy(), day(400))).cutoff).toEqual(day(765));
  });

  it('grants the policy and license entitlements together, and passes on the patch-line rule', () => {
    const access = allowed(
      licenseAccess(license({ entitlements: ['beta'] }), policy({ entitlements: ['pro'], patchLineAfterExpiry: true }), day(1)),
    );
    expect([...access.entitlements].sort()).toEqual(['beta', 'pro']);
    expect(access.patchLineAfterCutoff).toBe(true);
  });
});

describe('accessSpan', () => {
  it('bounds an instant span in which licenseAccess answers as it does at that instant', () => {
    const instants = [-10, 0, 100, 364.999, 365, 365.001, 370, 378.999, 379, 379.5, 2000].map(day);
    for (const expiryStrategy of ['fallback', 'revoke', 'allow'] as const) {
      for (const [lic, pol] of [
        [license(), policy({ expiryStrategy, graceDays: 14 })],
        [license(), policy({ expiryStrategy, graceDays: 0 })],
        [license({ expiresAt: day(30) }), policy({ expiryStrategy })],
        [license(), policy({ expiryStrategy, durationDays: null })],
        [license({ status: 'suspended' }), policy({ expiryStrategy })],
      ] as const) {
        for (const now of instants) {
          const [from, until] = accessSpan(lic, pol, now.getTime());
          expect(from).toBeLessThanOrEqual(now.getTime());
          expect(until).toBeGreaterThan(now.getTime());
          const answer = licenseAccess(lic, pol, now);
          for (const other of instants.filter((t) => t.getTime() >= from && t.getTime() < until)) expect(licenseAccess(lic, pol, other)).toEqual(answer);
          // Just outside the span the answer differs: the span is not wider than it must be, nor narrower.
          if (until !== Infinity && answer.allowed) expect(licenseAccess(lic, pol, new Date(until))).not.toEqual(answer);
        }
      }
    }
  });
});
