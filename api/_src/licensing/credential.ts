/**
 * @module licensing/credential
 * The license key a request presents: `Authorization: License <key>`, or `Bearer <key>` when the token has the
 * `trl_` prefix (so a Bearer API key is never mistaken for one). Auth schemes are case-insensitive (RFC 9110
 * §11.1). Keys are never read from the URL: one there is ignored, as if absent, so keys stay out of access logs.
 */
import { LICENSE_KEY_PREFIX, type LicenseKey, parseLicenseKey } from './license-key.ts';

export type PresentedLicense =
  | { readonly kind: 'none' }
  /** Looks like a license key but is not one (prefix, length, alphabet or checksum): refused with no lookup. */
  | { readonly kind: 'malformed' }
  | { readonly kind: 'key'; readonly key: LicenseKey };

const NONE: PresentedLicense = { kind: 'none' };
const MALFORMED: PresentedLicense = { kind: 'malformed' };
const CREDENTIAL = /^([A-Za-z]+)[ \t]+(\S+)[ \t]*$/;

/** @example presentedLicense(headers.get('authorization')) */
export function presentedLicense(authorization: string | null): PresentedLicense {
  if (authorization === null) return NONE;
  const match = CREDENTIAL.exec(authorization);
  if (!match) return NONE;
  const scheme = match[1]!.toLowerCase();
  const token = match[2]!;
  if (scheme !== 'license' && !(scheme === 'bearer' && token.startsWith(LICENSE_KEY_PREFIX))) return NONE;
  const parsed = parseLicenseKey(token);
  return parsed.success ? { kind: 'key', key: parsed.key } : MALFORMED;
}
