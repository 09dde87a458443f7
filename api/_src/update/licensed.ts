/**
 * @module update/licensed
 * What a licensed app's check and download add to an open app's: which releases the license's allowance
 * (licensing/access.ts) admits, as the predicate select.ts takes, and the answers, all `private, no-store` with
 * no ETag (cache-control.ts), so no cache shares one license's answer with another.
 */
import type { LicenseAllowance } from '../licensing/access.ts';
import { eligibilityPredicate } from '../licensing/eligibility.ts';
import { type ChannelPlacement, neverOffered, offeredOnChannels } from '../protocol/offer.ts';
import { LICENSED_NO_CONTENT_HEADERS } from './cache-control.ts';
import type { ReleaseEligibility, Selection } from './select.ts';
import type { AppSnapshot } from './snapshot.ts';

/**
 * The releases the allowance admits. The patch-line rule looks at the releases a client could be offered: those
 * of the channels it is served from (`servesFrom`), or, for a download (no channel), every offered release; and
 * those published once and withdrawn since, so yanking the release a license's line was dated by keeps the line.
 */
export function licensedEligibility(snapshot: AppSnapshot, servesFrom: ReadonlySet<string> | null, allowance: LicenseAllowance): ReleaseEligibility {
  // Only the patch-line rule reads the list, and only once releases can be dated after a cutoff.
  const onChannels = (r: ChannelPlacement) => (servesFrom ? offeredOnChannels(r, servesFrom) : !neverOffered(r));
  const considered =
    allowance.cutoff !== null && allowance.patchLineAfterCutoff
      ? [...snapshot.releases, ...snapshot.withdrawn].filter(onChannels).map((r) => r.entitlement)
      : [];
  const eligible = eligibilityPredicate(considered, allowance);
  return (release) => eligible(release.entitlement);
}

/** A licensed check's answer: 200 with the selected release, else 204 ("nothing newer this license may have"). */
export function licensedAnswer(selection: Exclude<Selection, { kind: 'unknown_channel' }>) {
  if (selection.kind === 'update') return { status: 200 as const, headers: selection.answer.licensedHeaders, body: selection.answer.body };
  return { status: 204 as const, headers: LICENSED_NO_CONTENT_HEADERS, body: null };
}
