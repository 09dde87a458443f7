/**
 * @module licensing/eligibility
 * Which releases a license allowance (access.ts) may have. A release is eligible when
 * - its entitlement date (an admin's back-date, else its first publication, which an archive and re-publish
 *   does not move) is at or before the cutoff, and
 * - the license holds every entitlement the release requires, and the one its channel requires (ALL-match, as
 *   Keygen's `license.entitled?(release.entitlements)`).
 * With the policy's patch-line rule, a release dated after the cutoff is also eligible when it has the same
 * major.minor as the newest entitled release dated at or before the cutoff (keygen-api#569).
 * Never-published releases are never eligible. Choosing the newest eligible release above the client's version
 * is the update check's job.
 */
import { compareVersions, safeParseVersion, type Version } from '../protocol/semver.ts';
import type { LicenseAllowance } from './access.ts';

export interface ReleaseEntitlement {
  /** Normalised semver. */
  readonly version: string;
  /** null: never published. */
  readonly firstPublishedAt: Date | null;
  /** An admin's back-date, used instead of the first publication. */
  readonly entitlementDate: Date | null;
  readonly requiredEntitlements: readonly string[];
  /** What the release's channel requires (`release_channels.required_entitlement`); null: nothing. */
  readonly channelEntitlement: string | null;
}

type Allowance = Pick<LicenseAllowance, 'cutoff' | 'entitlements' | 'patchLineAfterCutoff'>;

/** The date the cutoff is compared with; null for a release never published. */
export function entitlementDateOf(release: ReleaseEntitlement): Date | null {
  return release.entitlementDate ?? release.firstPublishedAt;
}

export function holdsEntitlements(release: ReleaseEntitlement, held: ReadonlySet<string>): boolean {
  if (release.channelEntitlement !== null && !held.has(release.channelEntitlement)) return false;
  return release.requiredEntitlements.every((entitlement) => held.has(entitlement));
}

function datedWithin(release: ReleaseEntitlement, cutoff: Date | null): boolean {
  const date = entitlementDateOf(release);
  return date !== null && (cutoff === null || date.getTime() <= cutoff.getTime());
}

const lineOf = (version: Version) => `${version.major}.${version.minor}`;

/** major.minor of the newest entitled release dated at or before the cutoff; null when there is none. */
function lastEligibleLine(releases: readonly ReleaseEntitlement[], allowance: Allowance): string | null {
  let newest: Version | null = null;
  for (const release of releases) {
    if (!datedWithin(release, allowance.cutoff) || !holdsEntitlements(release, allowance.entitlements)) continue;
    const parsed = safeParseVersion(release.version);
    if (parsed.success && (newest === null || compareVersions(parsed.version, newest) > 0)) newest = parsed.version;
  }
  return newest && lineOf(newest);
}

/**
 * A predicate for the releases of `releases` the allowance may have. The list is what the patch-line rule looks
 * at: pass the releases the check considers (its channels), so the line is the one that client was entitled to.
 * @example releases.filter(eligibilityPredicate(releases, access))
 */
export function eligibilityPredicate<R extends ReleaseEntitlement>(releases: readonly R[], allowance: Allowance): (release: R) => boolean {
  const line = allowance.cutoff !== null && allowance.patchLineAfterCutoff ? lastEligibleLine(releases, allowance) : null;
  return (release) => {
    if (!holdsEntitlements(release, allowance.entitlements)) return false;
    if (datedWithin(release, allowance.cutoff)) return true;
    if (line === null || entitlementDateOf(release) === null) return false;
    const parsed = safeParseVersion(release.version);
    return parsed.success && lineOf(parsed.version) === line;
  };
}

export function eligibleReleases<R extends ReleaseEntitlement>(releases: readonly R[], allowance: Allowance): R[] {
  return releases.filter(eligibilityPredicate(releases, allowance));
}
