/**
 * @module app-slug
 * The rule for an app's slug, in a module with no imports, so the dashboard checks a slug as the user types with
 * the very pattern the admin API validates with (schemas.ts `appSlugSchema`).
 */

export const APP_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const APP_SLUG_RULE = 'must be 1–63 characters of a-z, 0-9 and "-", starting with a letter or digit';
