/**
 * @module api-key-format
 * What an API key looks like, for the server that makes them (auth/keys.ts) and the CLI that shows them:
 * `trk_` and 32 random bytes (base64url). Its first `API_KEY_DISPLAY_LENGTH` characters are its public `key_prefix`.
 */

export const API_KEY_PREFIX = 'trk_';

/** How many of a key's first characters it is listed and shown by: enough to tell keys apart, never to use one. */
export const API_KEY_DISPLAY_LENGTH = 12;

/** Whether a bearer token is an API key (rather than a server's ADMIN_TOKEN, which has no public part). */
export function isApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}
