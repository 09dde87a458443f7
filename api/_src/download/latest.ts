/**
 * @module download/latest
 * The newest published stable installer of an app for one platform: what a website's Download button links to
 * (`GET /download/{app}/latest/{platform}[?kind=…]`) and what the download page (`page.ts`) offers.
 *
 * - Stable: the `stable` channel, a version without a pre-release tag, rolled out to everyone (a staged or paused
 *   rollout is still being tried on existing installs; first-time users get the release before it).
 * - Newest version first; within it, the asked kind, or the OS's preferred one (`DEFAULT_INSTALLER_PREFERENCE`).
 * - Licensed apps: off unless an admin opened installers to everyone (`public_installers`), since a public link
 *   hands the file to anyone.
 * `latest` is reserved: a release version is semver, so it can never be named `latest`.
 */
import { ApiError, badRequest, notFound } from '../http/api-error.ts';
import { DEFAULT_INSTALLER_PREFERENCE, INSTALLER_KINDS, type InstallerKind, installerBelongsTo, installerKindSchema } from '../protocol/installers.ts';
import { parsePlatformKey, type Platform } from '../protocol/platforms.ts';
import type { AppSnapshot, SnapshotArtifact, SnapshotRelease } from '../update/snapshot.ts';

export const LATEST = 'latest';

export interface LatestInstaller {
  release: SnapshotRelease;
  artifact: SnapshotArtifact;
  kind: InstallerKind;
}

/** Whether anyone may have the app's installers without a license. */
export function installersArePublic(snapshot: AppSnapshot): boolean {
  return snapshot.app.licensing !== 'licensed' || snapshot.app.publicInstallers;
}

export function assertInstallersPublic(snapshot: AppSnapshot): void {
  if (installersArePublic(snapshot)) return;
  throw new ApiError(
    403,
    'forbidden',
    `${snapshot.app.slug} is a licensed app, and its installers are not open to everyone; an admin opens them with ` +
      'PATCH /admin/apps/{app} {"public_installers": true}',
  );
}

/** Offered to first-time users: see the module's comment. */
export const isStable = (release: SnapshotRelease) => release.channel === 'stable' && !release.prerelease && release.rolloutPercent === 100;

/** `kind` (or its synonym `bundle`, as in `?bundle=dmg`) as a valid installer kind of `platform`'s OS, or undefined. */
export function parseKind(platform: Platform, kind: string | undefined, bundle: string | undefined): InstallerKind | undefined {
  if (kind !== undefined && bundle !== undefined && kind !== bundle) {
    throw badRequest(`kind=${kind.slice(0, 20)} and bundle=${bundle.slice(0, 20)} disagree; send one of them (bundle is a synonym of kind)`);
  }
  const value = kind ?? bundle;
  if (value === undefined || value === '') return undefined;
  const parsed = installerKindSchema.safeParse(value.toLowerCase());
  if (!parsed.success) throw badRequest(`kind ${JSON.stringify(value.slice(0, 20))} is not one of ${INSTALLER_KINDS.join(', ')}`);
  if (!installerBelongsTo(parsed.data, platform.os)) {
    throw badRequest(`a ${parsed.data} does not install on ${platform.os}; for ${platform.os} ask for ${DEFAULT_INSTALLER_PREFERENCE[platform.os].join(', ')}`);
  }
  return parsed.data;
}

/**
 * A latest link serves the stable channel only: `channel=stable` is accepted, any other is refused rather than
 * silently answered with the stable release (a "Download beta" button would hand out stable installers).
 */
export function assertStableChannel(channel: string | undefined): void {
  if (channel === undefined || channel === '' || channel === 'stable') return;
  throw badRequest(
    `latest links serve the stable channel only, not channel=${channel.slice(0, 63)}; link to a release's own file instead, ` +
      '/download/{app}/{version}/{file}',
  );
}

export function parsePlatform(key: string): Platform {
  const platform = parsePlatformKey(key);
  if (!platform) throw badRequest(`platform ${JSON.stringify(key.slice(0, 50))} is not {os}-{arch}, e.g. darwin-aarch64, windows-x86_64, linux-x86_64`);
  return platform;
}

/** The newest stable installer for `platform` (of `kind`, or the OS's preferred kind), or null. */
export function latestInstaller(snapshot: AppSnapshot, platform: Platform, kind?: InstallerKind): LatestInstaller | null {
  const key = `${platform.os}-${platform.arch}`;
  const kinds = kind ? [kind] : DEFAULT_INSTALLER_PREFERENCE[platform.os];
  for (const release of snapshot.releases) {
    if (!isStable(release)) continue;
    const candidates = release.installers.get(key) ?? [];
    for (const wanted of kinds) {
      const artifact = candidates.find((candidate) => candidate.installer === wanted);
      if (artifact) return { release, artifact, kind: wanted };
    }
  }
  return null;
}

/** As `latestInstaller`, or a 404 that says what is missing. */
export function requireLatestInstaller(snapshot: AppSnapshot, platform: Platform, kind?: InstallerKind): LatestInstaller {
  const found = latestInstaller(snapshot, platform, kind);
  if (found) return found;
  const what = kind ?? DEFAULT_INSTALLER_PREFERENCE[platform.os].join(' or ');
  throw notFound(`${snapshot.app.slug} has no published stable ${what} installer for ${platform.os}-${platform.arch}`);
}
