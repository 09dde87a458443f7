/**
 * @module update/select
 * Which artifact, if any, an update check gets. Pure over a snapshot; every outcome is a case of
 * `Selection` with its own reason, and the route maps them to 200 or 204.
 *
 * Eligibility is a list of named predicates over (release, query), so channel fallback and staged
 * rollouts can be added as further predicates without touching the loop.
 */
import { type Architecture, type BundleType, DEFAULT_BUNDLE_PREFERENCE, type OperatingSystem } from '../protocol/platforms.ts';
import { compareVersions, type Version } from '../protocol/semver.ts';
import type { AppSnapshot, SnapshotArtifact, SnapshotRelease } from './snapshot.ts';

export const DEFAULT_CHANNEL = 'stable';

export interface UpdateQuery {
  current: Version;
  os: OperatingSystem;
  arch: Architecture;
  /** The bundle the installed app reports; null when it does not say (absent or `unknown`). */
  bundle: BundleType | null;
  channel: string;
}

export type Selection =
  | { kind: 'update'; release: SnapshotRelease; artifact: SnapshotArtifact }
  /** No eligible release is newer than the running version. */
  | { kind: 'up_to_date' }
  /** Newer releases exist, but none has an artifact for this platform and bundle. */
  | { kind: 'no_matching_artifact' }
  /** The only fitting artifacts have no signature, and the client would reject them. */
  | { kind: 'unsigned' };

type Eligibility = (release: SnapshotRelease, query: UpdateQuery) => boolean;

const inChannel: Eligibility = (release, query) => release.channel === query.channel;
/** The stable channel never offers a pre-release, whatever channel it was filed under. */
const noPrereleaseOnStable: Eligibility = (release, query) => !(release.prerelease && query.channel === DEFAULT_CHANNEL);

const ELIGIBILITY: readonly Eligibility[] = [inChannel, noPrereleaseOnStable];

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

export function selectUpdate(snapshot: AppSnapshot, query: UpdateQuery): Selection {
  const platform = `${query.os}-${query.arch}`;
  let newer = false;
  let unsigned = false;
  // Newest first: the first fitting release wins, and an older one may serve a platform the newest lacks.
  for (const release of snapshot.releases) {
    if (compareVersions(release.version, query.current) <= 0) break;
    if (!ELIGIBILITY.every((eligible) => eligible(release, query))) continue;
    newer = true;
    const candidates = release.platforms.get(platform);
    if (!candidates) continue;
    const fit = fitArtifact(candidates, query.os, query.bundle);
    if (fit === 'unsigned') unsigned = true;
    else if (fit) return { kind: 'update', release, artifact: fit };
  }
  if (unsigned) return { kind: 'unsigned' };
  return newer ? { kind: 'no_matching_artifact' } : { kind: 'up_to_date' };
}
