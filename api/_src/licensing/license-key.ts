/**
 * @module licensing/license-key
 * License keys: `trl_` + 26 Crockford base32 characters (130 random bits) + 7 characters of CRC-32 over the rest,
 * so a mistyped key is refused without a lookup, as GitHub's token formats do
 * (https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/).
 * CRC-32 finds every burst error of up to 32 bits, so any one changed character is always caught.
 *
 * The key is shown once and never stored: the database keeps HMAC-SHA256(secret, key) with the secret's id. The
 * secret is an HKDF subkey of `SECRETS_KEY`, never the sealing key itself; rotating SECRETS_KEY gives a new secret
 * id, and a digest made under a retired secret still verifies while that secret is kept as retired.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export const LICENSE_KEY_PREFIX = 'trl_';
const RANDOM_CHARS = 26;
const CHECKSUM_CHARS = 7;
export const LICENSE_KEY_LENGTH = LICENSE_KEY_PREFIX.length + RANDOM_CHARS + CHECKSUM_CHARS;
/** Characters of the key kept for support search: the prefix and 4 random characters (20 of 130 bits). */
const SEARCH_PREFIX_LENGTH = LICENSE_KEY_PREFIX.length + 4;
// Crockford's base32: no I, L, O or U, so a key read aloud or retyped is not misread.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
// Without the `u` flag, `i` never matches a non-ASCII letter to an ASCII one (ECMA-262 Canonicalize): `ſ` is not `S`.
const BODY = /^[0-9A-HJKMNP-TV-Z]+$/i;

/**
 * A parsed, well-formed key. It prints as its search prefix in logs, JSON and `util.inspect`, so passing it to a
 * logger or an error message cannot leak it; `reveal()` is the one way to the text (to show it once).
 */
export class LicenseKey {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }

  /** `trl_` and the first random characters: enough to find a license in support, not to guess its key. */
  get prefix(): string {
    return this.#text.slice(0, SEARCH_PREFIX_LENGTH);
  }

  reveal(): string {
    return this.#text;
  }

  toString(): string {
    return `${this.prefix}…`;
  }

  toJSON(): string {
    return this.toString();
  }

  /** `util.inspect.custom`, by its registered name: importing node:util costs a cold start ~8 ms. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `LicenseKey(${this.toString()})`;
  }
}

// CRC-32 (IEEE 802.3, as zlib and PNG compute it), written out: zlib.crc32 is missing before Node 22.2.
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 of ASCII text. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksumOf(head: string): string {
  let value = crc32(head);
  let text = '';
  for (let i = 0; i < CHECKSUM_CHARS; i++) {
    text = ALPHABET[value & 31]! + text;
    value >>>= 5;
  }
  return text;
}

export function generateLicenseKey(): LicenseKey {
  // Each byte's low 5 bits are uniform: 26 characters carry 130 random bits.
  const head = LICENSE_KEY_PREFIX + Array.from(randomBytes(RANDOM_CHARS), (byte) => ALPHABET[byte & 31]).join('');
  return new LicenseKey(head + checksumOf(head));
}

export type LicenseKeyProblem = 'prefix' | 'length' | 'alphabet' | 'checksum';
export type LicenseKeyParse = { success: true; key: LicenseKey } | { success: false; problem: LicenseKeyProblem };

/**
 * Checks a presented key without any lookup. The random part is case-insensitive (a key typed in lower case is the
 * same key); the prefix is not.
 * @example
 * const parsed = parseLicenseKey(presented);
 * if (!parsed.success) return refuse(401, 'license_key_malformed'); // no lookup, counts as a failed authentication
 */
export function parseLicenseKey(text: string): LicenseKeyParse {
  if (!text.startsWith(LICENSE_KEY_PREFIX)) return { success: false, problem: 'prefix' };
  if (text.length !== LICENSE_KEY_LENGTH) return { success: false, problem: 'length' };
  const body = text.slice(LICENSE_KEY_PREFIX.length);
  if (!BODY.test(body)) return { success: false, problem: 'alphabet' };
  const canonical = LICENSE_KEY_PREFIX + body.toUpperCase();
  const head = canonical.slice(0, LICENSE_KEY_LENGTH - CHECKSUM_CHARS);
  // Not secret: the checksum is a function of the rest of the key, which the caller holds.
  if (checksumOf(head) !== canonical.slice(head.length)) return { success: false, problem: 'checksum' };
  return { success: true, key: new LicenseKey(canonical) };
}

/** One HMAC secret for key digests, named by an id stored beside each digest. */
export interface DigestSecret {
  /** 16 hex digits, derived from the secret, so the same SECRETS_KEY always gives the same id. */
  readonly id: string;
  readonly key: Buffer;
}

/** What the database keeps for a key: `licenses.key_secret_id` and `licenses.key_digest`. */
export interface StoredKeyDigest {
  readonly secretId: string;
  /** HMAC-SHA256 of the key, 64 hex digits. */
  readonly digest: string;
}

// HKDF (RFC 5869) with distinct `info`: the digest secret and its id are independent of each other and of the
// AES key github/secrets.ts seals with. No salt: SECRETS_KEY is already 32 uniformly random bytes (RFC 5869 §3.1).
const DIGEST_INFO = 'tauri-release licensing: license key digest v1';
const ID_INFO = 'tauri-release licensing: license key digest id v1';

/** The licensing digest secret derived from a parsed SECRETS_KEY (github/secrets.ts `parseSecretsKey`). */
export function licenseDigestSecret(secretsKey: Buffer): DigestSecret {
  if (secretsKey.length !== 32) throw new RangeError(`SECRETS_KEY is 32 bytes, not ${secretsKey.length}`);
  const derive = (info: string, bytes: number) => Buffer.from(hkdfSync('sha256', secretsKey, Buffer.alloc(0), info, bytes));
  return { id: derive(ID_INFO, 8).toString('hex'), key: derive(DIGEST_INFO, 32) };
}

function hmacHex(secret: DigestSecret, key: LicenseKey): string {
  return createHmac('sha256', secret.key).update(key.reveal(), 'utf8').digest('hex');
}

/**
 * Digests keys under the current secret and verifies them under any secret still kept, so SECRETS_KEY can be
 * rotated: digests made before the rotation keep verifying while the old secret is listed as retired, and
 * `isCurrent` says which ones to digest again on next sight.
 */
export class LicenseKeyDigester {
  readonly #current: DigestSecret;
  readonly #byId: ReadonlyMap<string, DigestSecret>;

  constructor(current: DigestSecret, retired: readonly DigestSecret[] = []) {
    this.#current = current;
    this.#byId = new Map([...retired, current].map((secret) => [secret.id, secret]));
  }

  get currentSecretId(): string {
    return this.#current.id;
  }

  digest(key: LicenseKey): StoredKeyDigest {
    return { secretId: this.#current.id, digest: hmacHex(this.#current, key) };
  }

  /** The key's digest under every secret kept, current first: what a lookup by digest searches for. */
  candidates(key: LicenseKey): StoredKeyDigest[] {
    const secrets = [this.#current, ...[...this.#byId.values()].filter((secret) => secret !== this.#current)];
    return secrets.map((secret) => ({ secretId: secret.id, digest: hmacHex(secret, key) }));
  }

  /** Whether `stored` is this key's digest, under the secret it names; false when that secret is no longer kept. */
  verify(key: LicenseKey, stored: StoredKeyDigest): boolean {
    const secret = this.#byId.get(stored.secretId);
    if (!secret) return false;
    const expected = Buffer.from(hmacHex(secret, key), 'hex');
    const actual = Buffer.from(stored.digest, 'hex');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  isCurrent(stored: StoredKeyDigest): boolean {
    return stored.secretId === this.#current.id;
  }
}
