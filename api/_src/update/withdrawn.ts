/**
 * @module update/withdrawn
 * Releases published once and withdrawn since (archived, or yanked): offered to no one, but still part of what a
 * license was entitled to. The patch-line rule (licensing/eligibility.ts) dates a license's line by the newest
 * release at or before its cutoff; without these, yanking that release would move the line back and take the
 * fallback customers' fix (the yank's replacement, say 1.2.2 for a broken 1.2.0) away from them.
 */
import type { ReleaseEntitlement } from '../licensing/eligibility.ts';
import type { ChannelPlacement } from '../protocol/offer.ts';
import { isPrerelease, safeParseVersion } from '../protocol/semver.ts';

/** As the snapshot query reads it (dates as JSON text from its subquery, or Dates). */
export interface WithdrawnInput {
  version: string;
  channel: string;
  first_published_at: Date | string;
  entitlement_date: Date | string | null;
  required_entitlements: readonly string[] | null;
}

export interface WithdrawnRelease extends ChannelPlacement {
  readonly entitlement: ReleaseEntitlement;
}

const dateOf = (value: Date | string) => (value instanceof Date ? value : new Date(value));

/** The withdrawn releases with a valid version, with what eligibility compares (`channelEntitlement`: what a channel requires). */
export function withdrawnReleases(inputs: readonly WithdrawnInput[], channelEntitlement: (channel: string) => string | null): WithdrawnRelease[] {
  return inputs.flatMap((input) => {
    const parsed = safeParseVersion(input.version);
    if (!parsed.success) return [];
    const entitlement: ReleaseEntitlement = {
      version: input.version,
      firstPublishedAt: dateOf(input.first_published_at),
      entitlementDate: input.entitlement_date === null ? null : dateOf(input.entitlement_date),
      requiredEntitlements: input.required_entitlements ?? [],
      channelEntitlement: channelEntitlement(input.channel),
    };
    return [{ channel: input.channel, prerelease: isPrerelease(parsed.version), entitlement }];
  });
}
