/**
 * @module update/select
 * Which artifact, if any, an update check gets. Pure over a snapshot; every outcome is a case of
 * `Selection` with its own reason, and the route maps them to 200, 204 or 404.
 *
 * Releases (the published ones, `snapshot.releases`) are walked newest first; the first the offer rules
 * (protocol/offer.ts) admit and that fits the platform wins:
 * - channel: the release is in the client's channel or one it follows (`snapshot.channels`, protocol/channels.ts),
 *   and is not a pre-release filed under `stable`; a channel the app does not know is `unknown_channel`, never
 *   another channel's answer;
 * - staged rollout (protocol/rollout.ts): at 100% everyone, at 0% nobody, in between only installs whose bucket
 *   is in the cohort; an install outside it walks on to the newest older release it is eligible for (the
 *   previous full release), if that is newer than what it runs, rather than getting nothing.
 * - yank: an install running a yanked version that nothing newer is offered to gets the yank's
 *   replacement, even when it is lower (a downgrade the app must allow, see the README), with
 *   `"replaces_yanked": "<its version>"` in the body so the app can tell it from any other lower version.
 *
 * - license (licensed apps only): the caller's `eligible` predicate (update/licensed.ts, from the license's
 *   allowance) admits the release; a yank's replacement too. Open apps pass none, and nothing changes for them.
 *
 * `staged` on every outcome says whether a staged rollout took part in the decision; the route then
 * sends the private, `Vary: X-Install-Id` headers so no shared cache gives the answer to another install.
 */
import { type Architecture, type BundleType, DEFAULT_BUNDLE_PREFERENCE, type OperatingSystem } from '../protocol/platforms.ts';
import { isUpgrade, offeredOnChannels, runsYanked } from '../protocol/offer.ts';
import { inCohort } from '../protocol/rollout.ts';
import { compareVersions, type Version } from '../protocol/semver.ts';
import type { AppSnapshot, ManifestAnswer, SnapshotArtifact, SnapshotRelease } from './snapshot.ts';

export interface UpdateQuery {
  current: Version;
  os: OperatingSystem;
  arch: Architecture;
  /** The bundle the installed app reports; null when it does not say (absent or `unknown`). */
  bundle: BundleType | null;
  channel: string;
  /** `X-Install-Id` or `?install_id=`; null: in no staged rollout's cohort. */
  installId?: string | null;
}

export type Selection =
  | {
      kind: 'update';
      release: SnapshotRelease;
      artifact: SnapshotArtifact;
      /** The body and headers to send: `artifact`, or its `below_minimum` variant. */
      answer: ManifestAnswer;
      /** Offered as the replacement of the yanked version the install runs; may be lower than it. */
      replacesYanked: boolean;
      staged: boolean;
    }
  /** No eligible release is newer than the running version. */
  | { kind: 'up_to_date'; staged: boolean }
  /** Newer releases exist, but none has an artifact for this platform and bundle. */
  | { kind: 'no_matching_artifact'; staged: boolean }
  /** The only fitting artifacts have no signature, and the client would reject them. */
  | { kind: 'unsigned'; staged: boolean }
  /** The app has no such channel (not configured, no release ever published on it). */
  | { kind: 'unknown_channel'; staged: false };

/** A selection a check is answered with (an unknown channel is a 404 instead). */
export type Offer = Exclude<Selection, { kind: 'unknown_channel' }>;

// The non-update outcomes carry no per-check data: one frozen object each, no allocation on the hot path.
const OUTCOMES = {
  up_to_date: [{ kind: 'up_to_date', staged: false }, { kind: 'up_to_date', staged: true }],
  no_matching_artifact: [{ kind: 'no_matching_artifact', staged: false }, { kind: 'no_matching_artifact', staged: true }],
  unsigned: [{ kind: 'unsigned', staged: false }, { kind: 'unsigned', staged: true }],
} as const satisfies Record<string, readonly [Selection, Selection]>;
const UNKNOWN_CHANNEL: Selection = { kind: 'unknown_channel', staged: false };
const outcome = (kind: keyof typeof OUTCOMES, staged: boolean): Selection => OUTCOMES[kind][staged ? 1 : 0];

type Fit = SnapshotArtifact | 'unsigned' | null;

/**
 * The artifact an install gets from one release's artifacts for its platform. A client that names
 * its bundle gets exactly that bundle; one that does not gets the platform default: the artifact
 * marked default, else the first by `DEFAULT_BUNDLE_PREFERENCE`, else one without a bundle. The
 * default is chosen before signatures are looked at, so a missing signature never silently switches
 * an install to another bundle type.
 */
export function fitArtifact(candidates: readonly SnapshotArtifact[], os: OperatingSystem, bundle: BundleType | null): Fit {
  let chosen: SnapshotArtifact | undefined;
  if (bundle !== null) {
    chosen = candidates.find((a) => a.bundle === bundle);
  } else {
    chosen = candidates.find((a) => a.isDefault);
    for (const preferred of DEFAULT_BUNDLE_PREFERENCE[os]) {
      if (chosen) break;
      chosen = candidates.find((a) => a.bundle === preferred);
    }
    chosen ??= candidates.find((a) => a.bundle === null);
  }
  if (!chosen) return null;
  return chosen.signed ? chosen : 'unsigned';
}

function update(release: SnapshotRelease, artifact: SnapshotArtifact, query: UpdateQuery, staged: boolean): Selection {
  const below = artifact.belowMinimum !== null && compareVersions(query.current, release.minSupportedVersion!) < 0;
  return { kind: 'update', release, artifact, answer: below ? artifact.belowMinimum! : artifact, replacesYanked: false, staged };
}

/** Whether a license may have a release; absent for open apps. */
export type ReleaseEligibility = (release: SnapshotRelease) => boolean;

/** The replacement of the yanked version the install runs, if it has one that fits; rollout does not gate it. */
function replacementFor(snapshot: AppSnapshot, query: UpdateQuery, platform: string, staged: boolean, eligible?: ReleaseEligibility): Selection | null {
  for (const { version, replacement, answers } of snapshot.yanked) {
    if (replacement === null || !runsYanked(version, query.current)) continue;
    if (eligible !== undefined && !eligible(replacement)) return null;
    const candidates = replacement.platforms.get(platform);
    const fit = candidates ? fitArtifact(candidates, query.os, query.bundle) : null;
    if (fit === null || fit === 'unsigned') return null;
    return { kind: 'update', release: replacement, artifact: fit, answer: answers.get(fit)!, replacesYanked: true, staged };
  }
  return null;
}

export function selectUpdate(snapshot: AppSnapshot, query: UpdateQuery, eligible?: ReleaseEligibility): Selection {
  const channels = snapshot.channels.get(query.channel);
  if (channels === undefined) return UNKNOWN_CHANNEL;
  const platform = `${query.os}-${query.arch}`;
  const installId = query.installId ?? null;
  let newer = false;
  let unsigned = false;
  let staged = false;
  // Newest first: the first fitting release wins, and an older one may serve a platform the newest lacks.
  for (const release of snapshot.releases) {
    if (!isUpgrade(release.version, query.current)) break;
    if (!offeredOnChannels(release, channels)) continue;
    if (eligible !== undefined && !eligible(release)) continue;
    if (release.staged) staged = true;
    if (!inCohort(release.rolloutPercent, release.rolloutSeed, installId)) continue;
    newer = true;
    const candidates = release.platforms.get(platform);
    if (!candidates) continue;
    const fit = fitArtifact(candidates, query.os, query.bundle);
    if (fit === 'unsigned') unsigned = true;
    else if (fit) return update(release, fit, query, staged);
  }
  if (snapshot.yanked.length > 0) {
    const replacement = replacementFor(snapshot, query, platform, staged, eligible);
    if (replacement) return replacement;
  }
  if (unsigned) return outcome('unsigned', staged);
  return outcome(newer ? 'no_matching_artifact' : 'up_to_date', staged);
}
