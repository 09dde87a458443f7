/**
 * @module update/snapshot
 * What one app's update checks and downloads need, computed once per load so a check does no query,
 * no JSON.stringify and no hashing (beyond a staged rollout's bucket): per artifact the exact 200 body,
 * its ETag and its headers; per app the ETag of "nothing for you" (204), its channels resolved, and its
 * yanked versions with their replacements. Pure: rows in, snapshot out.
 *
 * Release policy in the body: a release marked critical adds `"critical": true`; one with a minimum
 * supported version adds `"min_supported_version"` and `"below_minimum"` (true for installs below it, so
 * two bodies are precomputed). Tauri ignores unknown fields and exposes the whole body as `rawJson`.
 *
 * Every answer has its header sets (cache-control.ts): public (a CDN may keep it), private with
 * `Vary: X-Install-Id`, used when a staged rollout took part in the decision, and a licensed app's `no-store`.
 *
 * Licensed apps (api/_src/licensing/): the snapshot also carries what the gate needs, the app's licensing mode
 * and per release its entitlement date and required entitlements (its channel's included), and every
 * manifest `url` is this server's `/download/…`, which checks the license again.
 */
import { createHash } from 'node:crypto';
import { BUNDLE_TYPES, type BundleType, parsePlatformKey } from '../protocol/platforms.ts';
import { compareVersions, formatVersion, isPrerelease, safeParseVersion, type Version } from '../protocol/semver.ts';
import { type ChannelConfig, resolveChannels } from '../protocol/channels.ts';
import type { AppLicensingMode } from '../../../db/schema.ts';
import type { ReleaseEntitlement } from '../licensing/eligibility.ts';
import { type InstallerKind, installerKindOf } from '../protocol/installers.ts';
import { DEFAULT_UPDATE_CACHE_CONTROL, headerSets, type UpdateCacheControl } from './cache-control.ts';
import { type WithdrawnInput, type WithdrawnRelease, withdrawnReleases } from './withdrawn.ts';

export interface AppInput {
  id: string;
  slug: string;
  /** Shown on the download page; default the slug. */
  name?: string;
  public_key: string | null;
  /** Default `open`. */
  licensing?: AppLicensingMode;
  /** The app's configured channels (release_channels); default none, i.e. only `stable`. */
  channels?: readonly (ChannelConfig & { required_entitlement?: string | null })[];
  /** Channels named by any release ever published (pub_date set); they are known even when not configured. */
  published_channels?: readonly string[];
  /** Yanked releases (archived, yanked_at set), with the id of the published release that replaces each. */
  yanked?: readonly YankedInput[];
  withdrawn?: readonly WithdrawnInput[];
  /** The public download page (default off). */
  download_page?: boolean;
  /** A licensed app's installers open to everyone (default off). */
  public_installers?: boolean;
}

export interface YankedInput {
  version: string;
  replacement_release_id: string | null;
}

export interface ArtifactInput {
  id: string;
  platform: string;
  bundle: string | null;
  signature: string;
  storage_key: string;
  file_name: string;
  size: number;
  sha256: string;
  is_default: boolean;
  /** Synced from GitHub Releases: the asset's id (its bytes are not in storage). */
  github_asset_id?: number | null;
  /** Where clients download it directly (a public GitHub asset's browser_download_url). */
  external_url?: string | null;
  /** An installer only (a DMG): downloadable, never offered to the updater. Default false. */
  installer_only?: boolean;
}

export interface ReleaseInput {
  id: string;
  version: string;
  notes: string | null;
  channel: string;
  rollout_percent: number;
  pub_date: Date | null;
  created_at: Date;
  artifacts: ArtifactInput[];
  /** Default: the release id (tests); the database always has its own random seed. */
  rollout_seed?: string;
  critical?: boolean;
  min_supported_version?: string | null;
  /** Default: `pub_date ?? created_at` (what the licensing migration set on existing rows). */
  first_published_at?: Date | null;
  /** An admin's back-date for licenses' cutoffs. */
  entitlement_date?: Date | null;
  required_entitlements?: readonly string[];
}

/** One precomputed 200: the body Tauri reads, its ETag, and the headers for each way it may be cached. */
export interface ManifestAnswer {
  /** The exact 200 body: Tauri's dynamic manifest, plus the policy fields. */
  readonly body: Uint8Array<ArrayBuffer>;
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly notModifiedHeaders: Readonly<Record<string, string>>;
  /** `private` and `Vary: X-Install-Id`: for answers a staged rollout decided. */
  readonly privateHeaders: Readonly<Record<string, string>>;
  readonly privateNotModifiedHeaders: Readonly<Record<string, string>>;
  /** A licensed app's 200: `private, no-store`, no ETag. */
  readonly licensedHeaders: Readonly<Record<string, string>>;
}

export interface SnapshotArtifact extends ManifestAnswer {
  readonly id: string;
  /** `{os}-{arch}` */
  readonly platform: string;
  readonly bundle: BundleType | null;
  readonly isDefault: boolean;
  /** False when the signature is empty: such an artifact is never served. */
  readonly signed: boolean;
  /** Content of the `.sig` file, as in the 200 body. */
  readonly signature: string;
  readonly fileName: string;
  readonly storageKey: string;
  readonly size: number;
  readonly sha256: string;
  /** Where the updater downloads it from. */
  readonly url: string;
  /** Synced from GitHub Releases: the asset whose bytes `/download` fetches with the app's token (private repositories). */
  readonly githubAssetId: number | null;
  /** Set when `url` is a public GitHub asset's own download URL rather than this server's or storage's. */
  readonly externalUrl: string | null;
  /** What a person installs it as (protocol/installers.ts); null for an updater-only file (`.app.tar.gz`, v1 archives). */
  readonly installer: InstallerKind | null;
  /** An installer only (a DMG): in `files` and `installers`, never in `platforms`. */
  readonly installerOnly: boolean;
  /** The answer for installs below the release's minimum supported version (`below_minimum: true`); null without one. */
  readonly belowMinimum: ManifestAnswer | null;
}

export interface SnapshotRelease {
  readonly id: string;
  readonly version: Version;
  /** Normalised, as stored. */
  readonly versionText: string;
  readonly channel: string;
  readonly prerelease: boolean;
  readonly rolloutPercent: number;
  readonly rolloutSeed: string;
  /** 0 < rolloutPercent < 100: whether an install is offered it depends on its id. */
  readonly staged: boolean;
  readonly critical: boolean;
  readonly minSupportedVersion: Version | null;
  /** As in the 200 body: the notes ('' when none) and the RFC 3339 publication date. */
  readonly notes: string;
  readonly pubDate: string;
  /** Signed and unsigned updater artifacts by `{os}-{arch}`; selection decides what may be served. */
  readonly platforms: ReadonlyMap<string, readonly SnapshotArtifact[]>;
  /** Installers (a DMG, and the plain updater installers) by `{os}-{arch}`, for the latest links and the download page. */
  readonly installers: ReadonlyMap<string, readonly SnapshotArtifact[]>;
  /** What a license needs to get it (licensing/eligibility.ts). */
  readonly entitlement: ReleaseEntitlement;
}

export interface YankedVersion {
  readonly version: Version;
  readonly versionText: string;
  /** The published release installs on this version are offered; null: none (or no longer published). */
  readonly replacement: SnapshotRelease | null;
  /** Per artifact of the replacement, its answer with `"replaces_yanked": "<this version>"` added. */
  readonly answers: ReadonlyMap<SnapshotArtifact, ManifestAnswer>;
}

export interface AppSnapshot {
  readonly app: Readonly<{ id: string; slug: string; name: string; publicKey: string | null; licensing: AppLicensingMode }> &
    Readonly<{ downloadPage: boolean; publicInstallers: boolean }>;
  /** Published releases, newest first by the Tauri client's version order. */
  readonly releases: readonly SnapshotRelease[];
  /** Downloadable files by `{version}/{file name}`. */
  readonly files: ReadonlyMap<string, { readonly release: SnapshotRelease; readonly artifact: SnapshotArtifact }>;
  /** Every known channel → the channels its clients are served from (itself included); see channels.ts. */
  readonly channels: ReadonlyMap<string, ReadonlySet<string>>;
  /** Yanked versions; installs running one are offered its replacement (null: none, or no longer published). */
  readonly yanked: readonly YankedVersion[];
  /** Releases published once and withdrawn since: never offered, but they date a license's patch line (withdrawn.ts). */
  readonly withdrawn: readonly WithdrawnRelease[];
  /** ETag of a 204: changes whenever anything that could be served changes. */
  readonly etag: string;
  /** What every answer built from this snapshot says about caching (the static manifest's too). */
  readonly cacheControl: UpdateCacheControl;
  readonly noContentHeaders: Readonly<Record<string, string>>;
  readonly notModifiedHeaders: Readonly<Record<string, string>>;
  readonly privateNoContentHeaders: Readonly<Record<string, string>>;
  readonly privateNotModifiedHeaders: Readonly<Record<string, string>>;
}

export interface UrlOptions {
  /** `storage.publicUrl`: a direct URL for a key, or null to go through `/download`. */
  publicUrl(key: string): string | null;
  /** This server's public base URL, without a trailing slash. */
  baseUrl: string;
  /** Default `DEFAULT_UPDATE_CACHE_CONTROL`. */
  cacheControl?: UpdateCacheControl;
}

export const fileKey = (version: string, fileName: string) => `${version}/${fileName}`;

const encoder = new TextEncoder();
const digest = (data: string | Uint8Array) => `"${createHash('sha256').update(data).digest('base64url').slice(0, 27)}"`;
const bundleTypes: ReadonlySet<string> = new Set(BUNDLE_TYPES);

/** RFC 3339 as Tauri parses it, without the `.000` when there are no milliseconds. */
export function rfc3339(date: Date): string {
  const text = date.toISOString();
  return text.endsWith('.000Z') ? `${text.slice(0, -5)}Z` : text;
}

function answerOf(manifest: Record<string, unknown>, cacheControl: UpdateCacheControl): ManifestAnswer {
  // A Buffer (a Uint8Array) of its own: node:http writes it as is, where a plain Uint8Array is wrapped per write.
  const body: Uint8Array<ArrayBuffer> = Buffer.from(encoder.encode(JSON.stringify(manifest)).buffer);
  const etag = digest(body);
  return { body, etag, ...headerSets(cacheControl, etag, body.byteLength) };
}

function buildArtifact(app: AppInput, release: ReleaseInput, a: ArtifactInput, pubDate: string, urls: UrlOptions): SnapshotArtifact {
  const throughServer = `${urls.baseUrl}/download/${app.slug}/${encodeURIComponent(release.version)}/${encodeURIComponent(a.file_name)}`;
  // A GitHub asset is not in storage: a public one is fetched from GitHub, a private one through this server.
  // A licensed app's downloads always go through this server, which checks the license.
  const githubAssetId = a.github_asset_id ?? null;
  const direct = app.licensing === 'licensed' ? null : (a.external_url ?? (githubAssetId !== null ? null : urls.publicUrl(a.storage_key)));
  const url = direct ?? throughServer;
  // Tauri's five fields first and always; policy fields only when set, so ordinary bodies stay as they were.
  const manifest: Record<string, unknown> = { version: release.version, notes: release.notes ?? '', pub_date: pubDate, url, signature: a.signature };
  if (release.critical) manifest.critical = true;
  const minimum = release.min_supported_version ?? null;
  if (minimum !== null) {
    manifest.min_supported_version = minimum;
    manifest.below_minimum = false;
  }
  const cacheControl = urls.cacheControl ?? DEFAULT_UPDATE_CACHE_CONTROL;
  const answer = answerOf(manifest, cacheControl);
  return {
    id: a.id,
    platform: a.platform,
    bundle: a.bundle !== null && bundleTypes.has(a.bundle) ? (a.bundle as BundleType) : null,
    isDefault: a.is_default,
    signed: a.signature.trim() !== '',
    signature: a.signature,
    fileName: a.file_name,
    storageKey: a.storage_key,
    size: a.size,
    sha256: a.sha256,
    url,
    githubAssetId,
    externalUrl: a.external_url ?? null,
    installer: installerKindOf(a.file_name),
    installerOnly: a.installer_only ?? false,
    ...answer,
    belowMinimum: minimum === null ? null : answerOf({ ...manifest, below_minimum: true }, cacheControl),
  };
}

const decoder = new TextDecoder();

/**
 * The replacement's bodies as installs on a yanked version get them: `"replaces_yanked"` tells the app that
 * this lower version is deliberate (an app that allows downgrades should install a lower version only then,
 * so a stale static manifest never downgrades it). The installed version is known exactly, so whether it is
 * below the replacement's minimum is decided here.
 */
function replacementAnswers(
  yanked: Version,
  yankedText: string,
  replacement: SnapshotRelease | null,
  cacheControl: UpdateCacheControl,
): Map<SnapshotArtifact, ManifestAnswer> {
  const answers = new Map<SnapshotArtifact, ManifestAnswer>();
  if (replacement === null) return answers;
  const below = replacement.minSupportedVersion !== null && compareVersions(yanked, replacement.minSupportedVersion) < 0;
  for (const artifacts of replacement.platforms.values()) {
    for (const artifact of artifacts) {
      const base = below && artifact.belowMinimum ? artifact.belowMinimum : artifact;
      answers.set(artifact, answerOf({ ...(JSON.parse(decoder.decode(base.body)) as Record<string, unknown>), replaces_yanked: yankedText }, cacheControl));
    }
  }
  return answers;
}

export interface BuildResult {
  snapshot: AppSnapshot;
  /** Releases or artifacts left out because the database holds something the protocol cannot express. */
  skipped: string[];
}

export function buildSnapshot(app: AppInput, releases: readonly ReleaseInput[], urls: UrlOptions): BuildResult {
  const cacheControl = urls.cacheControl ?? DEFAULT_UPDATE_CACHE_CONTROL;
  const skipped: string[] = [];
  const built: SnapshotRelease[] = [];
  const files = new Map<string, { release: SnapshotRelease; artifact: SnapshotArtifact }>();
  const channelEntitlements = new Map((app.channels ?? []).flatMap((c) => (c.required_entitlement ? [[c.name, c.required_entitlement] as const] : [])));
  for (const release of releases) {
    const parsed = safeParseVersion(release.version);
    if (!parsed.success) {
      skipped.push(`release ${release.id}: version ${JSON.stringify(release.version)}: ${parsed.error}`);
      continue;
    }
    const pubDate = rfc3339(release.pub_date ?? release.created_at);
    const platforms = new Map<string, SnapshotArtifact[]>();
    const installers = new Map<string, SnapshotArtifact[]>();
    const artifacts: SnapshotArtifact[] = [];
    for (const input of release.artifacts) {
      if (!parsePlatformKey(input.platform)) {
        skipped.push(`artifact ${input.id}: platform ${JSON.stringify(input.platform)}`);
        continue;
      }
      const artifact = buildArtifact(app, release, input, pubDate, urls);
      artifacts.push(artifact);
      if (artifact.installer !== null) installers.set(artifact.platform, [...(installers.get(artifact.platform) ?? []), artifact]);
      if (artifact.installerOnly) continue;
      const list = platforms.get(artifact.platform);
      if (list) list.push(artifact);
      else platforms.set(artifact.platform, [artifact]);
    }
    const minimum = release.min_supported_version ? safeParseVersion(release.min_supported_version) : null;
    if (minimum && !minimum.success) skipped.push(`release ${release.id}: min_supported_version ignored: ${minimum.error}`);
    const snapshotRelease: SnapshotRelease = {
      id: release.id,
      version: parsed.version,
      versionText: release.version,
      channel: release.channel,
      prerelease: isPrerelease(parsed.version),
      rolloutPercent: release.rollout_percent,
      rolloutSeed: release.rollout_seed ?? release.id,
      staged: release.rollout_percent > 0 && release.rollout_percent < 100,
      critical: release.critical ?? false,
      minSupportedVersion: minimum?.success ? minimum.version : null,
      notes: release.notes ?? '',
      pubDate,
      platforms,
      installers,
      entitlement: {
        version: release.version,
        firstPublishedAt: release.first_published_at === undefined ? (release.pub_date ?? release.created_at) : release.first_published_at,
        entitlementDate: release.entitlement_date ?? null,
        requiredEntitlements: release.required_entitlements ?? [],
        channelEntitlement: channelEntitlements.get(release.channel) ?? null,
      },
    };
    built.push(snapshotRelease);
    for (const artifact of artifacts) files.set(fileKey(release.version, artifact.fileName), { release: snapshotRelease, artifact });
  }
  built.sort((a, b) => compareVersions(b.version, a.version));

  const channels = resolveChannels(app.channels ?? [], [...(app.published_channels ?? []), ...built.map((r) => r.channel)]);
  const byId = new Map(built.map((r) => [r.id, r]));
  const yanked: YankedVersion[] = [];
  for (const y of app.yanked ?? []) {
    const parsed = safeParseVersion(y.version);
    if (!parsed.success) continue;
    const replacement = y.replacement_release_id === null ? null : (byId.get(y.replacement_release_id) ?? null);
    yanked.push({ version: parsed.version, versionText: y.version, replacement, answers: replacementAnswers(parsed.version, y.version, replacement, cacheControl) });
  }

  // Everything a response can depend on, in a stable order, so the 204 ETag changes exactly when it should.
  const state = JSON.stringify([
    app.id,
    app.slug,
    built.map((r) => [
      r.id,
      r.versionText,
      r.channel,
      r.rolloutPercent,
      r.rolloutSeed,
      r.critical,
      r.minSupportedVersion && formatVersion(r.minSupportedVersion),
      [...r.platforms.values()].flat().map((a) => [a.id, a.etag, a.bundle, a.isDefault]).sort(),
    ]),
    [...channels].map(([name, set]) => [name, [...set]]),
    yanked.map((y) => [y.versionText, y.replacement?.id ?? null]),
  ]);
  const etag = digest(state);
  const { notModifiedHeaders, privateNotModifiedHeaders } = headerSets(cacheControl, etag);
  const snapshot: AppSnapshot = {
    app: {
      id: app.id,
      slug: app.slug,
      name: app.name ?? app.slug,
      publicKey: app.public_key,
      licensing: app.licensing ?? 'open',
      downloadPage: app.download_page ?? false,
      publicInstallers: app.public_installers ?? false,
    },
    releases: built,
    files,
    channels,
    yanked,
    withdrawn: withdrawnReleases(app.withdrawn ?? [], (channel) => channelEntitlements.get(channel) ?? null),
    etag,
    cacheControl,
    noContentHeaders: notModifiedHeaders,
    notModifiedHeaders,
    privateNoContentHeaders: privateNotModifiedHeaders,
    privateNotModifiedHeaders,
  };
  return { snapshot, skipped };
}
