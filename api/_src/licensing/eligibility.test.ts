import { describe, expect, it } from '@jest/globals';
import { type LicenseAllowance, licenseAccess } from './access.ts';
import { eligibilityPredicate, eligibleReleases, entitlementDateOf, type ReleaseEntitlement } from './eligibility.ts';
import type { License, LicensePolicy } from './policy.ts';
import { day, license, policy, release } from './testing.ts';

function allowance(lic: License, pol: LicensePolicy, now: Date): LicenseAllowance {
  const access = licenseAccess(lic, pol, now);
  if (!access.allowed) throw new Error(`refused: ${access.code}`);
  return access;
}

const versions = (releases: readonly ReleaseEntitlement[]) => releases.map((r) => r.version);

describe('a yearly fallback license bought on day D', () => {
  const releases = [
    release('1.0.0', -30),
    release('1.1.0', 100),
    release('1.2.0', 364),
    release('1.2.1', 365), // the expiry instant itself
    release('1.3.0', 366),
    release('2.0.0', 500),
    release('2.1.0-draft', null),
  ];

  it('gets everything first published up to its expiry, at any time', () => {
    for (const now of [day(0), day(364), day(365), day(366), day(800), day(5000)]) {
      expect(versions(eligibleReleases(releases, allowance(license(), policy(), now)))).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.2.1']);
    }
  });

  it('never gets a release first published after the expiry, even 14 grace days later', () => {
    const withGrace = policy({ graceDays: 14 });
    for (const now of [day(366), day(379), day(380), day(900)]) {
      const eligible = eligibilityPredicate(releases, allowance(license(), withGrace, now));
      expect(releases.filter((r) => r.firstPublishedAt !== null && r.firstPublishedAt > day(365)).some(eligible)).toBe(false);
    }
  });

  it('dates a release by its back-date when an admin set one, so a late patch reaches fallback customers', () => {
    const patch = release('1.2.2', 400, { entitlementDate: day(360) });
    expect(entitlementDateOf(patch)).toEqual(day(360));
    expect(versions(eligibleReleases([...releases, patch], allowance(license(), policy(), day(450))))).toContain('1.2.2');
  });

  it('after a renewal past the expiry, gets what was published up to the new expiry', () => {
    const renewed = license({ expiresAt: day(765) });
    expect(versions(eligibleReleases(releases, allowance(renewed, policy(), day(400))))).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.2.1', '1.3.0', '2.0.0']);
  });
});

describe('strategies and eligibility', () => {
  const releases = [release('1.0.0', 10), release('1.1.0', 300), release('1.2.0', 370), release('1.3.0', 600)];

  it('revoke inside its grace days gets the releases up to the expiry only', () => {
    const revoking = policy({ expiryStrategy: 'revoke', graceDays: 14 });
    expect(versions(eligibleReleases(releases, allowance(license(), revoking, day(370))))).toEqual(['1.0.0', '1.1.0']);
  });

  it('allow gets every published release, long after the expiry', () => {
    const all = eligibleReleases([...releases, release('9.0.0-draft', null)], allowance(license(), policy({ expiryStrategy: 'allow' }), day(2000)));
    expect(versions(all)).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.3.0']);
  });
});

describe('entitlements', () => {
  const releases = [
    release('1.0.0', 10),
    release('1.1.0', 20, { requiredEntitlements: ['pro'] }),
    release('1.2.0', 30, { requiredEntitlements: ['pro', 'enterprise'] }),
    release('1.3.0-beta.1', 40, { channelEntitlement: 'beta' }),
  ];

  it('requires every entitlement of the release and the one of its channel', () => {
    const of = (entitlements: string[], granted: string[] = []) =>
      versions(eligibleReleases(releases, allowance(license({ entitlements }), policy({ entitlements: granted }), day(50))));
    expect(of([])).toEqual(['1.0.0']);
    expect(of(['pro'])).toEqual(['1.0.0', '1.1.0']);
    expect(of(['enterprise'], ['pro'])).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    expect(of(['beta'])).toEqual(['1.0.0', '1.3.0-beta.1']);
  });
});

describe('the patch-line rule', () => {
  const releases = [
    release('2.2.0', 100),
    release('2.3.0', 200),
    release('2.3.1', 300),
    release('2.3.2', 400), // after the expiry (day 365), same line as 2.3.1
    release('2.3.3-rc.1', 410),
    release('2.4.0', 420),
    release('3.3.0', 430), // same minor number, another major
  ];
  const withRule = policy({ patchLineAfterExpiry: true });

  it('after the expiry, adds the later releases of the last eligible major.minor line, and nothing else', () => {
    expect(versions(eligibleReleases(releases, allowance(license(), withRule, day(500))))).toEqual(['2.2.0', '2.3.0', '2.3.1', '2.3.2', '2.3.3-rc.1']);
  });

  it('is off unless the policy sets it', () => {
    expect(versions(eligibleReleases(releases, allowance(license(), policy(), day(500))))).toEqual(['2.2.0', '2.3.0', '2.3.1']);
  });

  it('takes the newest release by version, not the last published, as the line', () => {
    const outOfOrder = [release('2.3.0', 100), release('2.2.5', 300), release('2.2.6', 400), release('2.3.1', 410)];
    expect(versions(eligibleReleases(outOfOrder, allowance(license(), withRule, day(500))))).toEqual(['2.3.0', '2.2.5', '2.3.1']);
  });

  it('takes the line from entitled releases only, and still requires entitlements after the expiry', () => {
    const gated = [
      release('2.3.0', 100),
      release('2.4.0', 200, { requiredEntitlements: ['pro'] }),
      release('2.3.1', 400),
      release('2.4.1', 400, { requiredEntitlements: ['pro'] }),
    ];
    expect(versions(eligibleReleases(gated, allowance(license(), withRule, day(500))))).toEqual(['2.3.0', '2.3.1']);
    expect(versions(eligibleReleases(gated, allowance(license({ entitlements: ['pro'] }), withRule, day(500))))).toEqual(['2.3.0', '2.4.0', '2.4.1']);
  });

  it('adds nothing when no release was dated at or before the cutoff, nor when there is no cutoff', () => {
    const late = [release('1.0.0', 400), release('1.0.1', 410)];
    expect(eligibleReleases(late, allowance(license(), withRule, day(500)))).toEqual([]);
    const allow = policy({ expiryStrategy: 'allow', patchLineAfterExpiry: true });
    expect(versions(eligibleReleases(late, allowance(license(), allow, day(500))))).toEqual(['1.0.0', '1.0.1']);
  });

  it('never adds a release that was never published', () => {
    const drafts = [release('2.3.0', 100), release('2.3.1', null)];
    expect(versions(eligibleReleases(drafts, allowance(license(), withRule, day(500))))).toEqual(['2.3.0']);
  });
});
