import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  crc32,
  generateLicenseKey,
  LICENSE_KEY_LENGTH,
  LicenseKeyDigester,
  licenseDigestSecret,
  parseLicenseKey,
  type LicenseKey,
} from './license-key.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function parsed(text: string): LicenseKey {
  const result = parseLicenseKey(text);
  if (!result.success) throw new Error(`expected ${text} to parse, got ${result.problem}`);
  return result.key;
}

/** The key with the character at `index` replaced by the next one in the alphabet. */
function changedAt(text: string, index: number): string {
  const next = ALPHABET[(ALPHABET.indexOf(text[index]!) + 1) % ALPHABET.length]!;
  return text.slice(0, index) + next + text.slice(index + 1);
}

describe('license keys', () => {
  it('are trl_ + 33 Crockford base32 characters, and parse back to themselves', () => {
    const key = generateLicenseKey().reveal();
    expect(key).toMatch(/^trl_[0-9A-HJKMNP-TV-Z]{33}$/);
    expect(key).toHaveLength(LICENSE_KEY_LENGTH);
    expect(parsed(key).reveal()).toBe(key);
  });

  it('carry at least 128 random bits: no two of many keys share their random part', () => {
    const keys = new Set(Array.from({ length: 2000 }, () => generateLicenseKey().reveal().slice(4, 30)));
    expect(keys.size).toBe(2000);
    // Every symbol appears in every random position over enough keys: 5 bits per character, not fewer.
    const seen = Array.from({ length: 26 }, () => new Set<string>());
    for (const key of keys) for (let i = 0; i < 26; i++) seen[i]!.add(key[i]!);
    expect(seen.map((symbols) => symbols.size)).toEqual(Array(26).fill(32));
  });

  it('check with CRC-32 as zlib computes it', () => {
    expect(crc32('123456789')).toBe(0xcbf43926); // the standard check value
    for (const text of ['', 'trl_', generateLicenseKey().reveal()]) expect(crc32(text)).toBe(zlibCrc32(text));
  });

  it('refuse any one changed character, in every position, by the checksum alone', () => {
    for (let round = 0; round < 20; round++) {
      const key = generateLicenseKey().reveal();
      for (let i = 4; i < key.length; i++) {
        expect(parseLicenseKey(changedAt(key, i))).toEqual({ success: false, problem: 'checksum' });
      }
    }
  });

  it('refuse two swapped neighbouring characters', () => {
    const key = generateLicenseKey().reveal();
    const i = [...key].findIndex((c, j) => j >= 4 && key[j + 1] !== undefined && key[j + 1] !== c);
    const swapped = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
    expect(parseLicenseKey(swapped)).toEqual({ success: false, problem: 'checksum' });
  });

  it('name what is wrong with a malformed key', () => {
    const key = generateLicenseKey().reveal();
    expect(parseLicenseKey(`trk_${key.slice(4)}`)).toEqual({ success: false, problem: 'prefix' });
    expect(parseLicenseKey(`TRL_${key.slice(4)}`)).toEqual({ success: false, problem: 'prefix' });
    expect(parseLicenseKey(key.slice(0, -1))).toEqual({ success: false, problem: 'length' });
    expect(parseLicenseKey(`${key}0`)).toEqual({ success: false, problem: 'length' });
    expect(parseLicenseKey(` ${key.slice(0, -1)}`)).toEqual({ success: false, problem: 'prefix' });
    for (const bad of ['U', 'O', 'I', 'L', 'u', '-', '\u0000', 'é', 'ß', 'ſ', 'ı']) {
      expect(parseLicenseKey(key.slice(0, 10) + bad + key.slice(11))).toEqual({ success: false, problem: 'alphabet' });
    }
    expect(parseLicenseKey('')).toEqual({ success: false, problem: 'prefix' });
  });

  it('read the random part case-insensitively, as the same key', () => {
    const key = generateLicenseKey().reveal();
    expect(parsed(`trl_${key.slice(4).toLowerCase()}`).reveal()).toBe(key);
  });

  it('never print themselves: logs, JSON and inspect show the search prefix only', () => {
    const key = generateLicenseKey();
    const text = key.reveal();
    expect(key.prefix).toBe(text.slice(0, 8));
    for (const shown of [String(key), `${key}`, JSON.stringify({ key }), inspect(key), inspect({ nested: { key } })]) {
      expect(shown).not.toContain(text.slice(8));
      expect(shown).toContain(key.prefix);
    }
  });
});

describe('key digests', () => {
  const secretsKey = randomBytes(32);
  const secret = licenseDigestSecret(secretsKey);

  it('derive from SECRETS_KEY a stable secret and id, neither of which is SECRETS_KEY', () => {
    const again = licenseDigestSecret(Buffer.from(secretsKey));
    expect(again.id).toBe(secret.id);
    expect(again.key.equals(secret.key)).toBe(true);
    expect(secret.id).toMatch(/^[0-9a-f]{16}$/);
    expect(secret.key.equals(secretsKey)).toBe(false);
    expect(licenseDigestSecret(randomBytes(32)).id).not.toBe(secret.id);
    expect(() => licenseDigestSecret(randomBytes(16))).toThrow(RangeError);
  });

  it('are HMAC-SHA256 hex under the current secret, and do not contain the key', () => {
    const digester = new LicenseKeyDigester(secret);
    const key = generateLicenseKey();
    const stored = digester.digest(key);
    expect(stored.secretId).toBe(secret.id);
    expect(stored.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digester.digest(parsed(key.reveal().toLowerCase()))).toEqual(stored);
    expect(digester.verify(key, stored)).toBe(true);
    expect(digester.verify(generateLicenseKey(), stored)).toBe(false);
    expect(digester.verify(key, { ...stored, digest: stored.digest.slice(0, 62) })).toBe(false);
  });

  it('verify under a rotated-out secret while it is kept as retired, and not once it is dropped', () => {
    const key = generateLicenseKey();
    const before = new LicenseKeyDigester(secret).digest(key);

    const next = licenseDigestSecret(randomBytes(32));
    const rotated = new LicenseKeyDigester(next, [secret]);
    expect(rotated.verify(key, before)).toBe(true);
    expect(rotated.isCurrent(before)).toBe(false);
    const after = rotated.digest(key);
    expect(after.secretId).toBe(next.id);
    expect(after.digest).not.toBe(before.digest);
    expect(rotated.isCurrent(after)).toBe(true);
    expect(rotated.candidates(key)).toEqual([after, before]);

    // A digest is checked only under the secret it names: the right digest under a wrong id fails.
    expect(rotated.verify(key, { secretId: next.id, digest: before.digest })).toBe(false);
    expect(new LicenseKeyDigester(next).verify(key, before)).toBe(false);
  });
});
