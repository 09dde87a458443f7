/**
 * @module ui/client/tauri-config
 * The `tauri.conf.json` lines an app needs to update from this server: the dynamic update check first, then the
 * static `latest.json` as the failover endpoint, both built by protocol/endpoints.ts, as the CI API and the server
 * build them. Only a public bucket URL (`S3_PUBLIC_BASE_URL`) keeps answering when this server is down; without one,
 * the API's copy of the static file is listed. A licensed app lists the update check alone: it has no static file
 * (`GET /{app}/latest.json` answers 404 `app_licensed`; README "Why a 401 cannot fall through to an open copy").
 */
import { DEFAULT_CHANNEL } from '../../protocol/channels.ts';
import { dynamicUpdateUrl, staticManifestUrl } from '../../protocol/endpoints.ts';

export interface SnippetOptions {
  publicUrl: string;
  slug: string;
  /** The app's updater public key; null shows a placeholder (the page also says the key is missing). */
  publicKey: string | null;
  /** Whether the app's updates need a license (its licensing mode): then there is no static failover to list. */
  licensed: boolean;
  channel?: string;
  storageBaseUrl?: string | null;
}

export const MISSING_KEY_PLACEHOLDER = '<set the app\'s updater public key first>';

/** The tauri.conf.json fragment (Tauri 2): updater artifacts on, the key, and the endpoints in order. */
export function tauriConfig(options: SnippetOptions) {
  const channel = options.channel ?? DEFAULT_CHANNEL;
  const updateCheck = dynamicUpdateUrl(options.publicUrl, options.slug, channel);
  return {
    bundle: { createUpdaterArtifacts: true },
    plugins: {
      updater: {
        pubkey: options.publicKey ?? MISSING_KEY_PLACEHOLDER,
        endpoints: options.licensed
          ? [updateCheck]
          : [updateCheck, staticManifestUrl(options.publicUrl, options.slug, channel, options.storageBaseUrl ?? null)],
      },
    },
  };
}

export function tauriConfigSnippet(options: SnippetOptions): string {
  return JSON.stringify(tauriConfig(options), null, 2);
}
