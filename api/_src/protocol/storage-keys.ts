/**
 * @module protocol/storage-keys
 * Where things live in the artifact store, as the server, the upload action and the CLI all name them:
 *
 *   {app}/releases/{version}/{file}          an artifact (`artifactKey`), as upload-r2's mode s3 wrote it before
 *                                            content-addressed keys (still read by the one-call registration)
 *   {app}/releases/{version}/uploads/{id}/{file}
 *                                            an artifact uploaded through this server (`stagedKey`): each upload
 *                                            has a key of its own, so concurrent uploads of one file name never
 *                                            overwrite each other's bytes, nor those of the artifact they replace;
 *                                            upload-r2's mode s3 uses the bytes' SHA-256 as the id (`directUploadKey`)
 *   {app}/latest.json                        the stable channel's static manifest (`staticManifestKey`)
 *   {app}/channels/{channel}/latest.json     another channel's
 *
 * Keys are only ever built here, never from raw input: `artifactKey` refuses any part that could escape its folder.
 */
import { APP_SLUG_PATTERN } from './app-slug.ts';
import { DEFAULT_CHANNEL } from './channels.ts';
import { MAX_VERSION_LENGTH } from './release-rules.ts';

const VERSION = new RegExp(`^[0-9A-Za-z.+-]{1,${MAX_VERSION_LENGTH}}$`);
/** Tauri bundle file names: `My App_1.2.3_x64-setup.exe`, `app.app.tar.gz`, `app_1.2.3_amd64.AppImage`. */
const FILE_NAME = /^(?!\.)[\w .+()@~-]{1,200}$/;

/** `isValidFileName`'s rule, in the words every refusal of a file name uses. */
export const FILE_NAME_RULE = 'use letters, digits, space and . _ + ( ) @ ~ -, not starting with "." and without ".."';

/** Whether an artifact may be stored under this file name (no path, no `..`, not hidden). */
export function isValidFileName(fileName: string): boolean {
  return FILE_NAME.test(fileName) && !fileName.includes('..');
}

/** `{app}/releases/{version}/{file}`; throws on any part that could escape its folder. */
export function artifactKey(appSlug: string, version: string, fileName: string): string {
  if (!APP_SLUG_PATTERN.test(appSlug)) throw new Error(`invalid app slug for a storage key: ${JSON.stringify(appSlug)}`);
  if (!VERSION.test(version) || version.includes('..')) throw new Error(`invalid version for a storage key`);
  if (!isValidFileName(fileName)) throw new Error(`invalid file name for a storage key: ${JSON.stringify(fileName)}`);
  return `${appSlug}/releases/${version}/${fileName}`;
}

/** `{app}/releases/{version}/uploads/{upload id}/{file}`; every part is checked as `artifactKey` checks it. */
export function stagedKey(appSlug: string, version: string, uploadId: string, fileName: string): string {
  if (!/^[0-9A-Za-z-]{1,64}$/.test(uploadId)) throw new Error(`invalid upload id for a storage key: ${JSON.stringify(uploadId)}`);
  const key = artifactKey(appSlug, version, fileName);
  return `${key.slice(0, key.length - fileName.length)}uploads/${uploadId}/${fileName}`;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Where upload-r2's mode s3 writes an artifact: `stagedKey` with the bytes' SHA-256 (lowercase hex) as the id, so
 * the same bytes always go to the same key (a re-run sends nothing again) and other bytes never overwrite those of
 * an artifact already registered, published or not.
 */
export function directUploadKey(appSlug: string, version: string, sha256: string, fileName: string): string {
  if (!SHA256_HEX.test(sha256)) throw new Error(`invalid sha256 for a storage key: ${JSON.stringify(sha256.slice(0, 80))}`);
  return stagedKey(appSlug, version, sha256, fileName);
}

/**
 * Where the one-call registration looks for an artifact uploaded straight to the bucket, in this order: its
 * `directUploadKey`, then the `artifactKey` that upload-r2 releases before it wrote to.
 */
export function directUploadKeys(appSlug: string, version: string, sha256: string, fileName: string): [string, string] {
  return [directUploadKey(appSlug, version, sha256, fileName), artifactKey(appSlug, version, fileName)];
}

/** Where a channel's static manifest is stored; not under `releases/`, so it never collides with an artifact. */
export function staticManifestKey(appSlug: string, channel: string): string {
  return channel === DEFAULT_CHANNEL ? `${appSlug}/latest.json` : `${appSlug}/channels/${channel}/latest.json`;
}
