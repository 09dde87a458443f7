/**
 * @module minisign-key
 * Reads an updater public key the way the Tauri client does (`plugins.updater.pubkey`): base64 of
 * the whole minisign `.pub` text, whose second line is base64 of `"Ed" ‖ key id (8) ‖ Ed25519 key (32)`.
 * Shared by the admin API, the dashboard and the actions, so a key is refused here, with the fix named,
 * instead of on every installed client ("Encoded text cannot have a 6-bit remainder").
 */
import * as z from 'zod';

export interface TauriPublicKey {
  /** The key id as minisign displays it: the little-endian u64 in 16 upper-case hex digits. */
  keyId: string;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  /** The `untrusted comment:` line, without the prefix. */
  comment: string;
}

export type ParseResult = { ok: true; key: TauriPublicKey } | { ok: false; reason: string };

/** Longer than any real key (≈ 150 characters); stops huge strings before decoding. */
export const MAX_PUBLIC_KEY_LENGTH = 1024;
const KEY_BYTES = 42;
const COMMENT_PREFIX = 'untrusted comment:';
// Standard padded base64, which is what the client's decoder (base64 STANDARD) accepts.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const HOW_TO =
  'paste the content of the key.pub file that `tauri signer generate` wrote (the base64 of the whole .pub text, ' +
  'starting with "dW50cnVzdGVkIGNvbW1lbnQ6"), exactly as in tauri.conf.json plugins.updater.pubkey';

/**
 * Bytes of a string that already passed `BASE64`. `atob` rather than `Buffer`, so the dashboard runs this same code
 * in the browser; behind that check both decode identically (Buffer alone would also take "-", "_" and spaces).
 */
function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function decodeKeyLine(line: string): { keyId: string; publicKey: Uint8Array } | string {
  if (!BASE64.test(line)) return 'its second line is not base64';
  const bytes = decodeBase64(line);
  if (bytes.length !== KEY_BYTES) return `its second line decodes to ${bytes.length} bytes; a minisign public key has ${KEY_BYTES}`;
  if (bytes[0] !== 0x45 || bytes[1] !== 0x64) return 'its second line is not an Ed25519 minisign key (it must start with "Ed")';
  const keyId = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(2, true).toString(16).toUpperCase().padStart(16, '0');
  return { keyId, publicKey: bytes.slice(10) };
}

/** Parses a Tauri updater public key; on failure `reason` says what is wrong and how to fix it. */
export function parseTauriPublicKey(input: string): ParseResult {
  const value = input.trim();
  const fail = (what: string): ParseResult => ({ ok: false, reason: `invalid public key: ${what}; ${HOW_TO}` });
  if (value === '') return fail('it is empty');
  if (value.length > MAX_PUBLIC_KEY_LENGTH) return fail(`it is longer than ${MAX_PUBLIC_KEY_LENGTH} characters`);
  if (value.startsWith(COMMENT_PREFIX)) {
    return fail('this is the decoded .pub text, but Tauri expects it base64-encoded once more');
  }
  // The common mistake: only the `RW…` line of the .pub text (tauri#5142, #10296).
  if (value.startsWith('RW') || typeof decodeKeyLine(value) === 'object') {
    return fail('this is the raw "RW…" key line, not the whole .pub file');
  }
  if (!BASE64.test(value)) return fail('it is not standard (padded) base64');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(decodeBase64(value));
  } catch {
    return fail('it does not decode to text');
  }
  const lines = text.split(/\r?\n/);
  if (!lines[0]?.startsWith(COMMENT_PREFIX)) {
    return fail('it does not decode to a minisign public key file (the first line must be "untrusted comment: …")');
  }
  const keyLine = lines[1]?.trim() ?? '';
  if (keyLine === '') return fail('the decoded .pub text has no key line');
  const decoded = decodeKeyLine(keyLine);
  if (typeof decoded === 'string') return fail(`the decoded .pub text is not a minisign public key: ${decoded}`);
  return { ok: true, key: { ...decoded, comment: lines[0].slice(COMMENT_PREFIX.length).trim() } };
}

/** The key id of a stored key, or null when it does not parse (stored values were validated on the way in). */
export function tauriPublicKeyId(value: string | null): string | null {
  if (value === null) return null;
  const parsed = parseTauriPublicKey(value);
  return parsed.ok ? parsed.key.keyId : null;
}

/** A request field holding a Tauri updater public key; trimmed, and refused with the reason above. */
export const tauriPublicKeySchema = z
  .string()
  .max(MAX_PUBLIC_KEY_LENGTH)
  .trim()
  .superRefine((value, ctx) => {
    const parsed = parseTauriPublicKey(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
  })
  .meta({
    description: 'base64 of the whole minisign .pub file, as in tauri.conf.json plugins.updater.pubkey',
    examples: ['dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6IDA2ODUxRjI1RDNDMzlFQUEKUldTcW5zUFRKUitGQm1RRmx3Y1hlYTY0UDlTRzhwdlZENWZjWSszRStZRzFZTHk5YldlMEllSUEK'],
  });
