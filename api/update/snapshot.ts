/**
 * @module update/snapshot
 * What one app's update checks and downloads need, computed once per load so a check does no query,
 * no JSON.stringify and no hashing: per artifact the exact 200 body, its ETag and its headers; per
 * app the ETag of "nothing for you" (204). Pure: rows in, snapshot out.
 */
import { createHash } from 'node:crypto';
import { BUNDLE_TYPES, type BundleType, parsePlatformKey } from '../protocol/platforms.ts';
import { compareVersions, isPrerelease, safeParseVersion, type Version } from '../protocol/semver.ts';

/** Short, so a CDN picks up a new release within a minute; errors are never cached (see routes). */
export const UPDATE_CACHE_CONTROL = 'public, max-age=60';

export interface AppInput {
  id: string;
  slug: string;
  public_key: string | null;
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
}

export interface SnapshotArtifact {
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
  /** The exact 200 body: Tauri's dynamic manifest. */
  readonly body: Uint8Array<ArrayBuffer>;
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly notModifiedHeaders: Readonly<Record<string, string>>;
}

export interface SnapshotRelease {
  readonly id: string;
  readonly version: Version;
  /** Normalised, as stored. */
  readonly versionText: string;
  readonly channel: string;
  readonly prerelease: boolean;
  readonly rolloutPercent: number;
  /** As in the 200 body: the notes ('' when none) and the RFC 3339 publication date. */
  readonly notes: string;
  readonly pubDate: string;
  /** Signed and unsigned artifacts by `{os}-{arch}`; selection decides what may be served. */
  readonly platforms: ReadonlyMap<string, readonly SnapshotArtifact[]>;
}

export interface AppSnapshot {
  readonly app: { readonly id: string; readonly slug: string; readonly publicKey: string | null };
  /** Published releases, newest first by the Tauri client's version order. */
  readonly releases: readonly SnapshotRelease[];
  /** Downloadable files by `{version}/{file name}`. */
  readonly files: ReadonlyMap<string, { readonly release: SnapshotRelease; readonly artifact: SnapshotArtifact }>;
  /** ETag of a 204: changes whenever anything that could be served changes. */
  readonly etag: string;
  readonly noContentHeaders: Readonly<Record<string, string>>;
  readonly notModifiedHeaders: Readonly<Record<string, string>>;
}

export interface UrlOptions {
  /** `storage.publicUrl`: a direct URL for a key, or null to go through `/download`. */
  publicUrl(key: string): string | null;
  /** This server's public base URL, without a trailing slash. */
  baseUrl: string;
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

function buildArtifact(app: AppInput, release: ReleaseInput, a: ArtifactInput, pubDate: string, urls: UrlOptions): SnapshotArtifact {
  const url =
    urls.publicUrl(a.storage_key) ??
    `${urls.baseUrl}/download/${app.slug}/${encodeURIComponent(release.version)}/${encodeURIComponent(a.file_name)}`;
  const body = encoder.encode(
    JSON.stringify({ version: release.version, notes: release.notes ?? '', pub_date: pubDate, url, signature: a.signature }),
  );
  const etag = digest(body);
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
    body,
    etag,
    headers: Object.freeze({ 'content-type': 'application/json', 'cache-control': UPDATE_CACHE_CONTROL, etag }),
    notModifiedHeaders: Object.freeze({ 'cache-control': UPDATE_CACHE_CONTROL, etag }),
  };
}

export interface BuildResult {
  snapshot: AppSnapshot;
  /** Releases or artifacts left out because the database holds something the protocol cannot express. */
  skipped: string[];
}

export function buildSnapshot(app: AppInput, releases: readonly ReleaseInput[], urls: UrlOptions): BuildResult {
  const skipped: string[] = [];
  const built: SnapshotRelease[] = [];
  const files = new Map<string, { release: SnapshotRelease; artifact: SnapshotArtifact }>();
  for (const release of releases) {
    const parsed = safeParseVersion(release.version);
    if (!parsed.success) {
      skipped.push(`release ${release.id}: version ${JSON.stringify(release.version)}: ${parsed.error}`);
      continue;
    }
    const pubDate = rfc3339(release.pub_date ?? release.created_at);
    const platforms = new Map<string, SnapshotArtifact[]>();
    const artifacts: SnapshotArtifact[] = [];
    for (const input of release.artifacts) {
      if (!parsePlatformKey(input.platform)) {
        skipped.push(`artifact ${input.id}: platform ${JSON.stringify(input.platform)}`);
        continue;
      }
      const artifact = buildArtifact(app, release, input, pubDate, urls);
      artifacts.push(artifact);
      const list = platforms.get(artifact.platform);
      if (list) list.push(artifact);
      else platforms.set(artifact.platform, [artifact]);
    }
    const snapshotRelease: SnapshotRelease = {
      id: release.id,
      version: parsed.version,
      versionText: release.version,
      channel: release.channel,
      prerelease: isPrerelease(parsed.version),
      rolloutPercent: release.rollout_percent,
      notes: release.notes ?? '',
      pubDate,
      platforms,
    };
    built.push(snapshotRelease);
    for (const artifact of artifacts) files.set(fileKey(release.version, artifact.fileName), { release: snapshotRelease, artifact });
  }
  built.sort((a, b) => compareVersions(b.version, a.version));

  // Everything a response can depend on, in a stable order, so the 204 ETag changes exactly when it should.
  const state = JSON.stringify([
    app.id,
    app.slug,
    built.map((r) => [
      r.id,
      r.versionText,
      r.channel,
      r.rolloutPercent,
      [...r.platforms.values()].flat().map((a) => [a.id, a.etag, a.bundle, a.isDefault]).sort(),
    ]),
  ]);
  const etag = digest(state);
  const snapshot: AppSnapshot = {
    app: { id: app.id, slug: app.slug, publicKey: app.public_key },
    releases: built,
    files,
    etag,
    noContentHeaders: Object.freeze({ 'cache-control': UPDATE_CACHE_CONTROL, etag }),
    notModifiedHeaders: Object.freeze({ 'cache-control': UPDATE_CACHE_CONTROL, etag }),
  };
  return { snapshot, skipped };
}
