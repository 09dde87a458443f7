/**
 * @module latest-json
 * The optional `latest.json` asset, in tauri-action's format, for apps that point a second updater endpoint at
 * `https://github.com/{owner}/{repo}/releases/latest/download/latest.json` as a static fallback:
 *
 *   { "version", "notes", "pub_date", "platforms": { "{os}-{arch}": {url, signature}, "{os}-{arch}-{bundle}": … } }
 *
 * Built once, by the publish job, from the assets every leg attached: each updater bundle with its `.sig` gives
 * its `{os}-{arch}-{bundle}` key (`linux-x86_64-deb`), and each platform's plain key the bundle the server would
 * give a client that names none (api/_src/protocol/platforms.ts `DEFAULT_BUNDLE_PREFERENCE`: NSIS before MSI,
 * AppImage before deb and rpm). `signature` is the `.sig`'s content; `url` the asset's download URL by tag.
 */
import { artifactKindOf, platformsOfFileName } from '../../../api/_src/protocol/artifact-names.ts';
import { type BundleType, DEFAULT_BUNDLE_PREFERENCE, parsePlatformKey, type PlatformKey } from '../../../api/_src/protocol/platforms.ts';
import type { GithubApi, GithubAsset } from './github-api.ts';

export const LATEST_JSON = 'latest.json';

export interface LatestJson {
  version: string;
  notes: string;
  pub_date: string;
  platforms: Record<string, { url: string; signature: string }>;
}

export interface LatestJsonOptions {
  version: string;
  notes: string;
  tag: string;
  /** `https://github.com` (GITHUB_SERVER_URL). */
  serverUrl: string;
  repository: string;
  /** The release's creation time: the same on every run, so a re-run builds the same bytes. */
  pubDate: string;
}

/** The manifest for the release's assets; null when none is an updater bundle with its `.sig`. */
export async function buildLatestJson(api: GithubApi, assets: readonly GithubAsset[], options: LatestJsonOptions): Promise<LatestJson | null> {
  const byName = new Map(assets.map((a) => [a.name, a]));
  const entries: { key: PlatformKey; bundle: BundleType; url: string; signature: string }[] = [];
  for (const asset of [...assets].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const kind = artifactKindOf(asset.name);
    const sig = byName.get(`${asset.name}.sig`);
    if (!kind || !sig) continue;
    const signature = (await api.downloadAsset(sig)).toString('utf8').trim();
    const url = `${options.serverUrl.replace(/\/+$/, '')}/${options.repository}/releases/download/${encodeURIComponent(options.tag)}/${encodeURIComponent(asset.name)}`;
    for (const key of platformsOfFileName(asset.name)) entries.push({ key, bundle: kind.bundle, url, signature });
  }
  if (entries.length === 0) return null;

  const platforms: LatestJson['platforms'] = {};
  for (const entry of entries) platforms[`${entry.key}-${entry.bundle}`] ??= { url: entry.url, signature: entry.signature };
  for (const key of new Set(entries.map((e) => e.key))) {
    const preference = DEFAULT_BUNDLE_PREFERENCE[parsePlatformKey(key)!.os];
    const chosen = preference.map((bundle) => entries.find((e) => e.key === key && e.bundle === bundle)).find(Boolean)!;
    platforms[key] = { url: chosen.url, signature: chosen.signature };
  }
  const sorted = Object.fromEntries(Object.entries(platforms).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { version: options.version, notes: options.notes, pub_date: options.pubDate, platforms: sorted };
}
