/**
 * @module protocol/offer
 * Who is offered which release. The update check (update/select.ts) walks an app's releases newest first and offers
 * the first one these rules admit that fits the platform; the static manifest (manifest/static-manifest.ts) and the
 * dashboard's summaries (ui/client/release-facts.ts) apply the same rules, so all three describe one offer
 * (offer-agreement.test.ts compares them over random release sets). Pure and browser-safe.
 *
 * - Only a published release is offered: a draft, an archived or a yanked release to no one (installs running a
 *   yanked version are offered its replacement instead).
 * - A client of channel C is offered releases filed under C or a channel C follows (its `servesFrom`, channels.ts),
 * - but never a pre-release filed under `stable`, to anyone, a client following stable included.
 * - A staged rollout offers a release to the installs in its cohort (rollout.ts `inCohort`); one that sends no
 *   install id gets it only at 100%.
 * - Only a version higher than the one installed, except a yanked version's replacement, which may be lower.
 */
import { DEFAULT_CHANNEL } from './channels.ts';
import { compareVersions, type Version } from './semver.ts';

/** The only status whose releases are offered. */
export const OFFERED_STATUS = 'published';

/** Where a release is filed and whether its version is a pre-release: what decides which channels offer it. */
export interface ChannelPlacement {
  readonly channel: string;
  readonly prerelease: boolean;
}

/** A pre-release filed under stable is offered to nobody. */
export function neverOffered(release: ChannelPlacement): boolean {
  return release.prerelease && release.channel === DEFAULT_CHANNEL;
}

/** Whether a client served from `servesFrom` (its channel and those it follows) may be offered the release. */
export function offeredOnChannels(release: ChannelPlacement, servesFrom: ReadonlySet<string>): boolean {
  return servesFrom.has(release.channel) && !neverOffered(release);
}

/** An install running `current` is offered `candidate` only when it is higher (a yanked version's replacement aside). */
export function isUpgrade(candidate: Version, current: Version): boolean {
  return compareVersions(candidate, current) > 0;
}

/** Installs running exactly a yanked version are the ones offered its replacement. */
export function runsYanked(yanked: Version, current: Version): boolean {
  return compareVersions(yanked, current) === 0;
}
