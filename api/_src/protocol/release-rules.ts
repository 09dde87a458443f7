/**
 * @module release-rules
 * The rules for a release's version and notes lengths and for a GitHub repository's name, in a module with no imports, so the
 * dashboard checks them as the user types with the very values the admin and CI APIs validate with (schemas.ts,
 * ci.ts, github.ts, ci/publishers.ts). A channel's name rule is in channels.ts.
 */

/** The longest version a storage key accepts (`artifactKey`). */
export const MAX_VERSION_LENGTH = 128;

/** The longest release notes the admin and CI APIs store, in UTF-16 code units (a JavaScript string's length, as zod counts). */
export const MAX_RELEASE_NOTES_LENGTH = 100_000;

/** `owner/repo` as GitHub allows them: an owner is 1–39 of A-Z, a-z, 0-9 and "-"; a repository 1–100 of those, "." and "_". */
export const GITHUB_REPOSITORY_PATTERN = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
export const GITHUB_REPOSITORY_RULE = 'must be owner/repo, e.g. tauri-apps/tauri';
