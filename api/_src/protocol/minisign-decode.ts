/**
 * @module minisign-decode
 * Decodes a Tauri updater signature (the content of the `.sig` file: base64 of the 4-line minisign
 * signature text) and the app's public key into typed values, with one error type whose `code` is stable
 * and whose message names the fix. Decoding follows the Tauri client (docs/reference/tauri-updater.md §1.9, §4):
 * STANDARD padded base64, UTF-8 text, Rust `str::lines()` (split on `\n`, a trailing `\r` dropped), four
 * lines of which the 2nd decodes to 74 bytes and the 4th to 64. The algorithm and the `trusted comment: `
 * prefix are checked later, by the verifier, in minisign-verify's order. Verification is in `minisign.ts`.
 */
import { parseTauriPublicKey, type TauriPublicKey } from './minisign-key.ts';

export type { TauriPublicKey } from './minisign-key.ts';

export const SIGNATURE_ERROR_CODES = [
  'malformed_public_key',
  'malformed_signature',
  'key_id_mismatch',
  'unsupported_algorithm',
  'legacy_signature_too_large',
  'invalid_signature',
  'invalid_global_signature',
  'signed_version_mismatch',
  'missing_signed_version',
] as const;
export type SignatureErrorCode = (typeof SIGNATURE_ERROR_CODES)[number];

/**
 * Why a signature was refused. `expected` and `found` are set where two values disagree (key ids for
 * `key_id_mismatch`, versions for `signed_version_mismatch`). Messages never contain key material.
 */
export class SignatureError extends Error {
  override name = 'SignatureError';
  readonly code: SignatureErrorCode;
  readonly expected: string | undefined;
  readonly found: string | undefined;
  constructor(code: SignatureErrorCode, message: string, details: { expected?: string; found?: string } = {}) {
    super(message);
    this.code = code;
    this.expected = details.expected;
    this.found = details.found;
  }
}

/** A decoded updater signature. The byte arrays are copies, safe to keep. */
export interface TauriSignature {
  /** The input, trimmed: what the manifest must serve as `signature`. */
  encoded: string;
  /** The two algorithm bytes as text: `ED` (prehashed, what Tauri writes), `Ed` (legacy), or anything else. */
  algorithm: string;
  /** The signing key's id as minisign displays it: the little-endian u64 in 16 upper-case hex digits. */
  keyId: string;
  /** The Ed25519 signature of the file (legacy) or of its BLAKE2b-512 hash (prehashed); 64 bytes. */
  signature: Uint8Array;
  /** Line 1 without `untrusted comment:`; not covered by any signature. */
  untrustedComment: string;
  /** Line 3 as written, normally `trusted comment: timestamp:…\tfile:…[\tversion:…]`. */
  trustedCommentLine: string;
  /** Ed25519 signature of `signature ‖ trusted comment`; 64 bytes. */
  globalSignature: Uint8Array;
}

/** A `.sig` file is about 400 characters; this leaves room for minisign's 8 KiB trusted comment. */
export const MAX_SIGNATURE_LENGTH = 16 * 1024;
export const TRUSTED_COMMENT_PREFIX = 'trusted comment: ';
const UNTRUSTED_COMMENT_PREFIX = 'untrusted comment:';
const SIGNATURE_LINE_BYTES = 74;
const GLOBAL_SIGNATURE_BYTES = 64;
const SIGNATURE_HOW_TO =
  'use the content of the .sig file that `tauri signer sign` (or `tauri build`) wrote next to the artifact, unchanged';

/** The key id bytes (offset 2..10 of a key or signature line) as minisign prints them. */
export function formatKeyId(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .readBigUInt64LE(2)
    .toString(16)
    .toUpperCase()
    .padStart(16, '0');
}

/**
 * Strict STANDARD base64, as the Rust `base64` crate decodes it: padding required, no whitespace, no
 * stray bits in the last character. Re-encoding is the simplest exact test of all three.
 */
function decodeBase64(text: string): Buffer | null {
  if (text.length % 4 !== 0) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

function malformed(what: string): SignatureError {
  return new SignatureError('malformed_signature', `invalid signature: ${what}; ${SIGNATURE_HOW_TO}`);
}

/** `str::lines()`: split on `\n`, drop one `\r` before it, and no empty last line after a final `\n`. */
function rustLines(text: string): string[] {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

/**
 * Decodes the `signature` of an updater artifact (base64 of the minisign signature text).
 *
 * @throws SignatureError `malformed_signature`, naming the defect (raw line pasted, decoded text pasted,
 *   not base64, not UTF-8, too few lines, wrong byte lengths).
 * @example
 * const sig = decodeTauriSignature(readFileSync('app.AppImage.sig', 'utf8'));
 * sig.keyId // '39D73C6C992E48B8'
 */
export function decodeTauriSignature(input: string): TauriSignature {
  const encoded = input.trim();
  if (encoded === '') throw malformed('it is empty');
  if (encoded.length > MAX_SIGNATURE_LENGTH) throw malformed(`it is longer than ${MAX_SIGNATURE_LENGTH} characters`);
  if (encoded.startsWith(UNTRUSTED_COMMENT_PREFIX)) {
    throw malformed('this is the decoded signature text, but Tauri expects it base64-encoded once more');
  }
  const outer = decodeBase64(encoded);
  if (outer === null) throw malformed('it is not standard (padded) base64');
  if (outer.length === SIGNATURE_LINE_BYTES) {
    throw malformed('this is only the second line of the signature text (the "RU…"/"RW…" line), not the whole .sig file');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(outer);
  } catch {
    throw malformed('it does not decode to UTF-8 text');
  }
  const lines = rustLines(text);
  if (lines.length < 4) throw malformed(`it decodes to ${lines.length} line(s); a minisign signature has 4`);
  const [untrusted, signatureLine, trustedCommentLine, globalLine] = lines as [string, string, string, string];
  const signatureBytes = decodeBase64(signatureLine);
  if (signatureBytes?.length !== SIGNATURE_LINE_BYTES) {
    const found = signatureBytes ? `, not ${signatureBytes.length}` : ' (it is not base64)';
    throw malformed(`line 2 must be base64 of ${SIGNATURE_LINE_BYTES} bytes (algorithm, key id, signature)${found}`);
  }
  const globalBytes = decodeBase64(globalLine);
  if (globalBytes?.length !== GLOBAL_SIGNATURE_BYTES) {
    const found = globalBytes ? `, not ${globalBytes.length}` : ' (it is not base64)';
    throw malformed(`line 4 must be base64 of ${GLOBAL_SIGNATURE_BYTES} bytes (the global signature)${found}`);
  }
  return {
    encoded,
    algorithm: signatureBytes.toString('latin1', 0, 2),
    keyId: formatKeyId(signatureBytes),
    signature: new Uint8Array(signatureBytes.subarray(10)),
    untrustedComment: untrusted.startsWith(UNTRUSTED_COMMENT_PREFIX)
      ? untrusted.slice(UNTRUSTED_COMMENT_PREFIX.length).trim()
      : untrusted,
    trustedCommentLine,
    globalSignature: new Uint8Array(globalBytes),
  };
}

/**
 * Decodes a public key as stored in `tauri.conf.json` (`plugins.updater.pubkey`).
 *
 * @throws SignatureError `malformed_public_key` with the reason from `parseTauriPublicKey`.
 */
export function decodeTauriPublicKey(input: string): TauriPublicKey {
  const parsed = parseTauriPublicKey(input);
  if (!parsed.ok) throw new SignatureError('malformed_public_key', parsed.reason);
  return parsed.key;
}

/** The fields of a trusted comment; each null when absent. */
export interface TrustedComment {
  /** The text after `trusted comment: `. */
  text: string;
  /** `timestamp:` as Unix seconds, or null when absent or not a number. */
  timestamp: number | null;
  /** `file:`, the name of the signed file. */
  file: string | null;
  /** `version:`, the app version `tauri signer sign --app-version` (or `tauri build`, CLI ≥ 2.12) recorded. */
  version: string | null;
}

/**
 * Reads `key:value` fields separated by tabs, the first occurrence of a key winning, as the Tauri client
 * does for `version:` (`split('\t').find_map(strip_prefix("version:"))`).
 */
export function parseTrustedComment(text: string): TrustedComment {
  const field = (name: string): string | null => {
    for (const part of text.split('\t')) if (part.startsWith(`${name}:`)) return part.slice(name.length + 1);
    return null;
  };
  const timestamp = field('timestamp');
  return {
    text,
    timestamp: timestamp !== null && /^[0-9]{1,15}$/.test(timestamp) ? Number(timestamp) : null,
    file: field('file'),
    version: field('version'),
  };
}
