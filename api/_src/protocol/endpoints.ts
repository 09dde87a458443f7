/**
 * @module protocol/endpoints
 * The two updater endpoints an app lists in `tauri.conf.json` (README "Publishing", "Failover"): the dynamic update
 * check, with Tauri's own `{{…}}` placeholders left for the client to fill
 * (https://v2.tauri.app/plugin/updater/#dynamic-update-server), and the static `latest.json` as the failover.
 * The CI API hands out the first (`update_url`), the dashboard and `doctor` suggest both.
 */
import { DEFAULT_CHANNEL } from './channels.ts';
import { staticManifestKey } from './storage-keys.ts';

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** `{public_url}/update/{app}/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}[&channel=…]` */
export function dynamicUpdateUrl(publicUrl: string, slug: string, channel: string = DEFAULT_CHANNEL): string {
  const base = `${withoutTrailingSlash(publicUrl)}/update/${encodeURIComponent(slug)}/{{target}}/{{arch}}/{{current_version}}`;
  const channelQuery = channel === DEFAULT_CHANNEL ? '' : `&channel=${encodeURIComponent(channel)}`;
  return `${base}?bundle_type={{bundle_type}}${channelQuery}`;
}

/**
 * The static manifest's URL: the stored file in the bucket when `storageBaseUrl` (the server's S3_PUBLIC_BASE_URL)
 * is known, which keeps answering when the server is down; else the API's own `/{app}/latest.json`.
 */
export function staticManifestUrl(publicUrl: string, slug: string, channel: string = DEFAULT_CHANNEL, storageBaseUrl: string | null = null): string {
  if (storageBaseUrl) return `${withoutTrailingSlash(storageBaseUrl)}/${staticManifestKey(encodeURIComponent(slug), encodeURIComponent(channel))}`;
  const channelQuery = channel === DEFAULT_CHANNEL ? '' : `?channel=${encodeURIComponent(channel)}`;
  return `${withoutTrailingSlash(publicUrl)}/${encodeURIComponent(slug)}/latest.json${channelQuery}`;
}

/** The public download page an admin turns on with `download_page` (README "Installers and download links"). */
export function downloadPageUrl(publicUrl: string, slug: string): string {
  return `${withoutTrailingSlash(publicUrl)}/apps/${encodeURIComponent(slug)}`;
}
