/**
 * @module release-rules
 * The rules for a release's channel name and version length, and for a GitHub repository's name, in a module with
 * no imports, so the dashboard checks them as the user types with the very values the admin and CI APIs validate
 * with (schemas.ts, ci.ts, github.ts).
 */

export const RELEASE_CHANNEL_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const RELEASE_CHANNEL_RULE = 'must be 1–32 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit';

/** The longest version a storage key accepts (`artifactKey`). */
export const MAX_VERSION_LENGTH = 128;

/** `owner/repo` as GitHub allows them (an owner is at most 39 letters, digits and dashes); see protocol/github.ts. */
export const GITHUB_REPOSITORY_PATTERN = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
export const GITHUB_REPOSITORY_RULE = 'must be owner/repo, e.g. tauri-apps/tauri';
