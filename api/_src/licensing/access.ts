/**
 * @module licensing/access
 * What a known license may have right now: a refusal with a stable code (a 403 once the key is proven valid), or
 * an allowance, the cutoff date and entitlements eligibility.ts filters releases with.
 * - `fallback`: cutoff = the expiry, before and after it; grace days never move it (Keygen's
 *   `Release.within_expiry_for` for MAINTAIN/RESTRICT_ACCESS: `created_at ..expiry`; here the first publication).
 * - `revoke`: cutoff = the expiry; refused from the expiry plus the grace days on (`license_expired`).
 * - `allow`: no cutoff.
 * A license expires at its expiry instant: a release dated exactly then is still eligible.
 */
import { addDays, heldEntitlements, type License, type LicensePolicy, licenseExpiry } from './policy.ts';

export type LicenseRefusalCode = 'license_revoked' | 'license_suspended' | 'license_expired';

export interface LicenseAllowance {
  readonly allowed: true;
  /** Releases dated after it are not eligible (bar the patch line); null: no date limit. */
  readonly cutoff: Date | null;
  readonly entitlements: ReadonlySet<string>;
  /** The policy's `patchLineAfterExpiry`; it matters only once releases are dated after the cutoff. */
  readonly patchLineAfterCutoff: boolean;
  readonly expiresAt: Date | null;
  /** The expiry has passed (the license may still be allowed: `fallback`, `allow`, or `revoke` inside its grace). */
  readonly expired: boolean;
}

export interface LicenseRefusal {
  readonly allowed: false;
  readonly code: LicenseRefusalCode;
}

export type LicenseAccess = LicenseAllowance | LicenseRefusal;

/**
 * @example
 * const access = licenseAccess(license, policy, new Date());
 * if (!access.allowed) return forbidden(access.code);
 * const offer = eligibleReleases(releases, access);
 */
export function licenseAccess(license: License, policy: LicensePolicy, now: Date): LicenseAccess {
  if (license.status === 'revoked') return { allowed: false, code: 'license_revoked' };
  if (license.status === 'suspended') return { allowed: false, code: 'license_suspended' };
  const expiresAt = licenseExpiry(license, policy);
  const expired = expiresAt !== null && now.getTime() >= expiresAt.getTime();
  if (expired && policy.expiryStrategy === 'revoke' && now.getTime() >= addDays(expiresAt, policy.graceDays).getTime()) {
    return { allowed: false, code: 'license_expired' };
  }
  return {
    allowed: true,
    cutoff: policy.expiryStrategy === 'allow' ? null : expiresAt,
    entitlements: heldEntitlements(license, policy),
    patchLineAfterCutoff: policy.patchLineAfterExpiry,
    expiresAt,
    expired,
  };
}

/**
 * The span of instants `[from, until)` around `now` in which `licenseAccess` gives the same answer as at `now`: its
 * answer turns only at the expiry and, under `revoke`, at the end of the grace days. So a held license's access is
 * computed once per span (held.ts), not per check.
 */
export function accessSpan(license: License, policy: LicensePolicy, now: number): [from: number, until: number] {
  const expiresAt = licenseExpiry(license, policy)?.getTime() ?? null;
  if (expiresAt === null) return [-Infinity, Infinity];
  if (now < expiresAt) return [-Infinity, expiresAt];
  if (policy.expiryStrategy !== 'revoke') return [expiresAt, Infinity];
  const graceEnds = addDays(new Date(expiresAt), policy.graceDays).getTime();
  return now < graceEnds ? [expiresAt, graceEnds] : [graceEnds, Infinity];
}
