import { describe, expect, it } from '@jest/globals';
import { Secret } from '../../shared/src/secret.ts';
import { validateSignInputs, type SignInputs } from './config.ts';
import { API_ISSUER, API_KEY_ID, P12_BASE64, P12_PASSWORD, P8_BASE64, P8_PEM } from '../../../test/support/fake-macos/fixtures.ts';

const secret = (label: string, value: string) => new Secret(label, value);
const base: SignInputs = { keychainTimeoutSeconds: 21_600, allowAdHoc: true };
const certificate = { certificate: secret('certificate', P12_BASE64), certificatePassword: secret('certificate-password', P12_PASSWORD) };
const apiKey = { apiKey: secret('api-key', P8_BASE64), apiKeyId: API_KEY_ID, apiIssuer: API_ISSUER };

describe('validateSignInputs', () => {
  it('decodes a wrapped base64 .p12 and a base64 .p8, and masks the decoded key', () => {
    const masked: string[] = [];
    const config = validateSignInputs({ ...base, ...certificate, ...apiKey }, (value) => masked.push(value));
    expect(config.signing).toMatchObject({ kind: 'certificate' });
    expect(config.signing.kind === 'certificate' && config.signing.p12[0]).toBe(0x30);
    expect(config.notarization).toMatchObject({ kind: 'api-key', keyId: API_KEY_ID, issuer: API_ISSUER });
    expect(config.notarization.kind === 'api-key' && config.notarization.key.reveal()).toBe(P8_PEM);
    expect(masked).toEqual([P8_PEM]);
  });

  it('accepts the .p8 PEM text itself, without masking anything new', () => {
    const masked: string[] = [];
    const config = validateSignInputs({ ...base, ...certificate, ...apiKey, apiKey: secret('api-key', P8_PEM) }, (v) => masked.push(v));
    expect(config.notarization.kind === 'api-key' && config.notarization.key.reveal()).toBe(P8_PEM);
    expect(masked).toEqual([]);
  });

  it('signs ad-hoc when no certificate is given, and refuses to when allow-ad-hoc is false', () => {
    expect(validateSignInputs(base).signing).toEqual({ kind: 'ad-hoc' });
    expect(validateSignInputs({ ...base, signingIdentity: '-' }).signing).toEqual({ kind: 'ad-hoc' });
    expect(() => validateSignInputs({ ...base, allowAdHoc: false })).toThrow(
      /No certificate to sign with: certificate is empty \(an unset or misspelled `\$\{\{ secrets.… \}\}` expands to an empty string/,
    );
  });

  it('uses an installed identity when only signing-identity is given', () => {
    expect(validateSignInputs({ ...base, signingIdentity: 'Developer ID Application' }).signing).toEqual({
      kind: 'installed',
      identity: 'Developer ID Application',
    });
  });

  it.each<[string, Partial<SignInputs>, RegExp]>([
    ['certificate without its password', { certificate: certificate.certificate }, /certificate is set but certificate-password is empty .*APPLE_CERTIFICATE_PASSWORD/],
    ['a password without the certificate', { certificatePassword: certificate.certificatePassword }, /certificate-password is set but certificate is empty/],
    ['a certificate that is not base64', { ...certificate, certificate: secret('certificate', 'not base64!') }, /certificate \(APPLE_CERTIFICATE\) is not base64\. Encode the file with `base64 -i certificate.p12/],
    ['base64 of something that is not a .p12', { ...certificate, certificate: secret('certificate', P8_BASE64) }, /decodes to something that is not a \.p12 file/],
    ['notarization with no certificate', { ...apiKey }, /Notarization credentials are set but certificate is not/],
    ['both notarization methods', { ...certificate, ...apiKey, appleId: secret('apple-id', 'me@example.com') }, /Both App Store Connect API key inputs \(api-key, api-key-id, api-issuer\) and Apple ID inputs \(apple-id\)/],
    ['an API key without its issuer', { ...certificate, ...apiKey, apiIssuer: undefined }, /api-key and api-key-id are set but api-issuer is empty/],
    ['swapped key ID and issuer', { ...certificate, ...apiKey, apiKeyId: API_ISSUER, apiIssuer: API_KEY_ID }, /^api-key-id is not an App Store Connect Key ID/],
    ['an issuer that is not a UUID', { ...certificate, ...apiKey, apiIssuer: 'ABCDE12345' }, /api-issuer is not an Issuer ID .*not swapped/],
    ['a key that is not a .p8', { ...certificate, ...apiKey, apiKey: secret('api-key', P12_BASE64) }, /api-key is not an App Store Connect \.p8 key/],
    ['an Apple ID without its password', { ...certificate, appleId: secret('apple-id', 'me@example.com') }, /apple-id is set but apple-password is empty/],
    ['a malformed team ID', { ...certificate, appleId: secret('apple-id', 'a@b.c'), applePassword: secret('apple-password', 'abcd-efgh-ijkl-mnop'), teamId: 'team' }, /^team-id is not a Team ID/],
  ])('rejects %s, naming the input and the fix', (_, inputs, message) => {
    expect(() => validateSignInputs({ ...base, ...inputs })).toThrow(message);
  });

  it('never puts a secret value in its messages', () => {
    const password = 'hunter2-password';
    try {
      validateSignInputs({ ...base, certificatePassword: secret('certificate-password', password) });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(String(error)).not.toContain(password);
    }
  });
});
