/**
 * @module ui/client/tauri-config
 * The `tauri.conf.json` lines an app needs to update from this server, built from the same URLs the server serves
 * and documents (README "Publishing", "Failover"): the dynamic update check (api/_src/ci/release-view.ts `updateUrl`,
 * Tauri's `{{…}}` placeholders left in) first, then the static `latest.json` (api/_src/manifest) as the failover endpoint.
 *
 * The static file is written to storage at `{app}/latest.json` (`{app}/channels/{channel}/latest.json` for another
 * channel) and also served by the API at `/{app}/latest.json?channel=…`. Only a public bucket URL
 * (`S3_PUBLIC_BASE_URL`) keeps answering when this server is down; without one, the API's copy is listed.
 */

export const DEFAULT_CHANNEL = 'stable';

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The update check URL: `{public_url}/update/{app}/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`. */
export function dynamicUpdateUrl(publicUrl: string, slug: string, channel: string = DEFAULT_CHANNEL): string {
  const base = `${withoutTrailingSlash(publicUrl)}/update/${encodeURIComponent(slug)}/{{target}}/{{arch}}/{{current_version}}`;
  const channelQuery = channel === DEFAULT_CHANNEL ? '' : `&channel=${encodeURIComponent(channel)}`;
  return `${base}?bundle_type={{bundle_type}}${channelQuery}`;
}

/**
 * The static manifest's URL: in the bucket when `storageBaseUrl` (the server's S3_PUBLIC_BASE_URL) is known,
 * else the API's own `/{app}/latest.json`.
 */
export function staticManifestUrl(publicUrl: string, slug: string, channel: string = DEFAULT_CHANNEL, storageBaseUrl: string | null = null): string {
  const app = encodeURIComponent(slug);
  if (storageBaseUrl) {
    const key = channel === DEFAULT_CHANNEL ? `${app}/latest.json` : `${app}/channels/${encodeURIComponent(channel)}/latest.json`;
    return `${withoutTrailingSlash(storageBaseUrl)}/${key}`;
  }
  const channelQuery = channel === DEFAULT_CHANNEL ? '' : `?channel=${encodeURIComponent(channel)}`;
  return `${withoutTrailingSlash(publicUrl)}/${app}/latest.json${channelQuery}`;
}

export interface SnippetOptions {
  publicUrl: string;
  slug: string;
  /** The app's updater public key; null shows a placeholder (the page also says the key is missing). */
  publicKey: string | null;
  channel?: string;
  storageBaseUrl?: string | null;
}

export const MISSING_KEY_PLACEHOLDER = '<set the app\'s updater public key first>';

/** The tauri.conf.json fragment (Tauri 2): updater artifacts on, the key, and both endpoints in order. */
export function tauriConfig(options: SnippetOptions) {
  const channel = options.channel ?? DEFAULT_CHANNEL;
  return {
    bundle: { createUpdaterArtifacts: true },
    plugins: {
      updater: {
        pubkey: options.publicKey ?? MISSING_KEY_PLACEHOLDER,
        endpoints: [
          dynamicUpdateUrl(options.publicUrl, options.slug, channel),
          staticManifestUrl(options.publicUrl, options.slug, channel, options.storageBaseUrl ?? null),
        ],
      },
    },
  };
}

export function tauriConfigSnippet(options: SnippetOptions): string {
  return JSON.stringify(tauriConfig(options), null, 2);
}
