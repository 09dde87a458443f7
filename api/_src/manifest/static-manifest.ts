/**
 * @module manifest/static-manifest
 * The static failover manifest: one channel's newest release in tauri-action's `latest.json` format,
 * built from the release cache's snapshot. Pure: snapshot in, bytes out; memoised per snapshot, so the
 * route serves precomputed bytes and the writer stores the same bytes.
 *
 *   { "version", "notes", "pub_date",
 *     "platforms": { "{os}-{arch}": {url, signature}, "{os}-{arch}-{bundle}": {url, signature}, … } }
 *
 * Rules (docs/reference/tauri-updater.md §1.4–1.6):
 * - ONE version per file. It is the newest release a client of the channel without an install id would
 *   get by the offer rules (protocol/offer.ts): published, in the channel or one it follows (`snapshot.channels`), at 100% rollout, and never a
 *   pre-release filed under `stable`. A release still rolling out is not in the static file (a file cannot
 *   bucket), so during an outage everybody gets the last full release.
 * - Release policy: `critical` and `min_supported_version` as in the dynamic answer. `below_minimum` is
 *   per install, so it is not in the file: an app compares `min_supported_version` with its own version.
 *   A yanked version's replacement is not offered either (one version per file, and Tauri only installs
 *   a newer one unless the app allows downgrades).
 * - Every signed artifact of that release gets its `{os}-{arch}-{bundle}` key (`linux-x86_64-deb` → the
 *   .deb, `-appimage` → the AppImage), and each platform's plain `{os}-{arch}` key gets the artifact the
 *   dynamic endpoint gives a client that does not name its bundle (`fitArtifact`: the one marked default,
 *   else `DEFAULT_BUNDLE_PREFERENCE`).
 * - A platform the newest release has no artifact for gets NO key, though an older release may have one:
 *   mixing versions in one file would announce the new version and install the old bytes, and the client
 *   would "update" again on every check. The client rejects a file that lacks its key
 *   (`TargetsNotFound`), so this file is meant as the SECOND endpoint, after the dynamic API, which does
 *   serve older releases per platform.
 * - Every entry is `{url: absolute URL, signature: non-empty string}`: one malformed entry makes the
 *   client reject the whole file.
 */
import { bundleBelongsTo, parsePlatformKey } from '../protocol/platforms.ts';
import { formatVersion } from '../protocol/semver.ts';
import { DEFAULT_CHANNEL } from '../protocol/channels.ts';
import { offeredOnChannels } from '../protocol/offer.ts';
import { inCohort } from '../protocol/rollout.ts';
import { fitArtifact } from '../update/select.ts';
import type { AppSnapshot, SnapshotArtifact, SnapshotRelease } from '../update/snapshot.ts';
import { createHash } from 'node:crypto';

export interface StaticManifestEntry {
  url: string;
  signature: string;
}

export interface StaticManifest {
  version: string;
  notes: string;
  pub_date: string;
  platforms: Record<string, StaticManifestEntry>;
  /** Only when the release is marked critical. */
  critical?: true;
  /** Only when the release has a minimum supported version. */
  min_supported_version?: string;
}

export type StaticManifestResult =
  | {
      kind: 'manifest';
      release: SnapshotRelease;
      manifest: StaticManifest;
      /** The exact bytes served and stored. */
      body: Uint8Array<ArrayBuffer>;
      etag: string;
      headers: Readonly<Record<string, string>>;
    }
  /** No release was ever published in this channel (and it is not `stable`): never another channel's file. */
  | { kind: 'unknown_channel' }
  /** The channel exists, but none of its releases is fully rolled out and servable. */
  | { kind: 'no_release' };

/** What a client that sends no install id is offered (protocol/offer.ts): a staged rollout only at 100%. */
function offeredWithoutInstallId(release: SnapshotRelease, channels: ReadonlySet<string>): boolean {
  return offeredOnChannels(release, channels) && inCohort(release.rolloutPercent, release.rolloutSeed, null);
}

/** Channels the app knows (channels.ts): `stable`, the configured ones, and those of published releases. */
export function channelsOf(snapshot: AppSnapshot): string[] {
  return [...new Set([DEFAULT_CHANNEL, ...snapshot.channels.keys()])].sort();
}

function entry(artifact: SnapshotArtifact): StaticManifestEntry {
  return { url: artifact.url, signature: artifact.signature };
}

/** The `platforms` map of one release, keys sorted so the bytes (and the ETag) are stable. */
export function platformEntries(release: SnapshotRelease): Record<string, StaticManifestEntry> {
  const entries: Array<[string, StaticManifestEntry]> = [];
  for (const [platform, artifacts] of release.platforms) {
    const parsed = parsePlatformKey(platform);
    if (!parsed) continue;
    // The client verifies with the signature; an artifact without one is never offered.
    for (const artifact of artifacts) {
      if (artifact.signed && artifact.bundle !== null && bundleBelongsTo(artifact.bundle, parsed.os)) {
        entries.push([`${platform}-${artifact.bundle}`, entry(artifact)]);
      }
    }
    const fallback = fitArtifact(artifacts, parsed.os, null);
    if (fallback !== null && fallback !== 'unsigned') entries.push([platform, entry(fallback)]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

const encoder = new TextEncoder();
const memo = new WeakMap<AppSnapshot, Map<string, StaticManifestResult>>();

function build(snapshot: AppSnapshot, channel: string): StaticManifestResult {
  const channels = snapshot.channels.get(channel) ?? (channel === DEFAULT_CHANNEL ? new Set([DEFAULT_CHANNEL]) : null);
  if (channels === null) return { kind: 'unknown_channel' };
  // Newest first; the first servable release with at least one entry is the file's one version.
  for (const release of snapshot.releases) {
    if (!offeredWithoutInstallId(release, channels)) continue;
    const platforms = platformEntries(release);
    if (Object.keys(platforms).length === 0) continue;
    const manifest: StaticManifest = { version: release.versionText, notes: release.notes, pub_date: release.pubDate, platforms };
    if (release.critical) manifest.critical = true;
    if (release.minSupportedVersion !== null) manifest.min_supported_version = formatVersion(release.minSupportedVersion);
    const body = encoder.encode(JSON.stringify(manifest));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const headers = Object.freeze({ 'content-type': 'application/json', 'cache-control': snapshot.cacheControl.shared, etag });
    return { kind: 'manifest', release, manifest, body, etag, headers };
  }
  return { kind: 'no_release' };
}

/** The channel's static manifest for this snapshot; computed once per snapshot and channel. */
export function staticManifest(snapshot: AppSnapshot, channel: string): StaticManifestResult {
  let perChannel = memo.get(snapshot);
  if (!perChannel) memo.set(snapshot, (perChannel = new Map()));
  let result = perChannel.get(channel);
  if (!result) {
    result = build(snapshot, channel);
    // Unknown channels are not remembered: a flood of made-up names must not grow the map.
    if (result.kind !== 'unknown_channel') perChannel.set(channel, result);
  }
  return result;
}
