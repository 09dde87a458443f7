import { describe, expect, it } from '@jest/globals';
import { presentedLicense } from './credential.ts';
import { generateLicenseKey } from './license-key.ts';

describe('presentedLicense', () => {
  const key = generateLicenseKey().reveal();

  it('reads `License <key>`, and `Bearer <key>` for a trl_ key, schemes in any case', () => {
    for (const header of [`License ${key}`, `license ${key}`, `LICENSE  ${key} `, `Bearer ${key}`, `bearer ${key.toLowerCase()}`]) {
      const presented = presentedLicense(header);
      expect({ header, kind: presented.kind }).toEqual({ header, kind: 'key' });
      if (presented.kind === 'key') expect(presented.key.reveal()).toBe(key);
    }
  });

  it('sees no license in no header, another scheme, or a Bearer token that is not a license key', () => {
    for (const header of [null, '', 'Basic dXNlcjpwYXNz', 'Bearer trk_0123456789', 'License', `Token ${key}`]) {
      expect(presentedLicense(header)).toEqual({ kind: 'none' });
    }
  });

  it('refuses a mistyped or truncated key as malformed', () => {
    const typo = key.slice(0, 10) + (key[10] === 'A' ? 'B' : 'A') + key.slice(11);
    for (const header of [`License ${typo}`, `License ${key.slice(0, -1)}`, 'License nonsense', `Bearer trl_${'0'.repeat(33)}`]) {
      expect(presentedLicense(header)).toEqual({ kind: 'malformed' });
    }
  });
});
