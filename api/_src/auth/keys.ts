/**
 * @module admin/keys
 * API keys: `trk_` + 32 random bytes (base64url), shown once, stored only as SHA-256 hex.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_KEY_DISPLAY_LENGTH, API_KEY_PREFIX } from '../protocol/api-key-format.ts';

export function generateApiKey(): { key: string; hash: string; displayPrefix: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, hash: hashApiKey(key), displayPrefix: key.slice(0, API_KEY_DISPLAY_LENGTH) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** ADMIN_TOKEN hashed as a key is, to compare presented keys and dashboard sessions with; null when unset. */
export function adminTokenHashOf(config: { readonly adminToken?: string | undefined }): string | null {
  return config.adminToken ? hashApiKey(config.adminToken) : null;
}

/** Compares two hex digests in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
