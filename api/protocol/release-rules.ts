/**
 * @module release-rules
 * The rules for a release's channel name and version length, in a module with no imports, so the dashboard checks
 * them as the user types with the very values the admin and CI APIs validate with (schemas.ts, ci.ts).
 */

export const RELEASE_CHANNEL_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const RELEASE_CHANNEL_RULE = 'must be 1–32 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit';

/** The longest version a storage key accepts (`artifactKey`). */
export const MAX_VERSION_LENGTH = 128;
