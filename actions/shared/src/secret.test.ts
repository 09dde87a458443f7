import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { redact, Secret, secretPieces } from './secret.ts';

describe('Secret', () => {
  it('gives its value only through reveal()', () => {
    const secret = new Secret('certificate-password', 'hunter2');
    expect(secret.reveal()).toBe('hunter2');
    expect(`${secret}`).toBe('***');
    expect(JSON.stringify({ secret })).toBe('{"secret":"***"}');
    expect(inspect(secret)).toBe('Secret(certificate-password)');
  });

  it('refuses an empty value: empty means absent, decided before wrapping', () => {
    expect(() => new Secret('x', '')).toThrow('Secret x is empty');
  });

  it('redacts the value and each line of a multi-line value, longest first', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n';
    expect(secretPieces(pem)[0]).toBe(pem);
    expect(redact(`key: ${pem} line: MIGHAgEAMBMGByqGSM49`, [new Secret('api-key', pem)])).toBe('key: *** line: ***');
    expect(redact('a b', [new Secret('p', 'zz')])).toBe('a b');
  });
});
