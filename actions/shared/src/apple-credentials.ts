/**
 * @module apple-credentials
 * Shape checks and decoding for App Store Connect and Apple ID credentials, shared by sign-apple and notarize-dmg.
 * Messages never include the value checked: a secret stored under the wrong name must not reach the log.
 */
import { decodeBase64 } from './files.ts';
import { Secret } from './secret.ts';

export const P8_HOW = 'base64 -i AuthKey_XXXXXXXXXX.p8 | pbcopy';

/** App Store Connect Key IDs are 10 upper-case letters and digits (2X9R4HXF34); a little slack either way. */
export const isKeyId = (value: string): boolean => /^[A-Z0-9]{8,12}$/.test(value);
/** Issuer IDs are UUIDs. */
export const isIssuerId = (value: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
/** Team IDs are 10 upper-case letters and digits (ABCDE12345). */
export const isTeamId = (value: string): boolean => /^[A-Z0-9]{10}$/.test(value);

/**
 * The .p8 key as PEM text. The input may hold the file's base64 (as documented) or, leniently, the PEM itself.
 *
 * @param mask called with the decoded PEM when it differs from the input, so it is masked like the input.
 */
export function decodeApiKey(apiKey: Secret, mask: (value: string) => void): Secret {
  const text = apiKey.reveal();
  const pem = text.includes('-----BEGIN PRIVATE KEY-----') ? text : decodeBase64(text, apiKey.label, P8_HOW).toString('utf8');
  if (!pem.includes('-----BEGIN PRIVATE KEY-----') || !pem.includes('-----END PRIVATE KEY-----')) {
    throw new Error(
      `${apiKey.label} is not an App Store Connect .p8 key (expected a PEM "-----BEGIN PRIVATE KEY-----" block once ` +
        `decoded). Store \`${P8_HOW}\` of the key file downloaded from App Store Connect.`,
    );
  }
  if (pem !== text) mask(pem);
  return new Secret(apiKey.label, pem.endsWith('\n') ? pem : `${pem}\n`);
}
