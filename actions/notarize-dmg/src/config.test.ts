import { describe, expect, it } from '@jest/globals';
import { Secret } from '../../shared/src/secret.ts';
import { API_ISSUER, API_KEY_ID, P8_BASE64, P8_PEM } from '../../../test/support/fake-macos/fixtures.ts';
import { validateNotarizeInputs, type AuthFields, type NotarizeInputs } from './config.ts';

const base: NotarizeInputs = {
  dmg: 'App.dmg',
  sign: true,
  signingIdentity: '3F2504E04F8911D39A0C0305E82C33011D8A2F4B',
  fromInputs: {},
  fromEnv: {},
  waitTimeout: { seconds: 1800, text: '30m' },
  stapleAttempts: 5,
  retryDelaySeconds: 30,
};
const signApple: AuthFields = { apiKeyPath: '/tmp/AuthKey.p8', apiKeyId: API_KEY_ID, apiIssuer: API_ISSUER };
const appleId: AuthFields = {
  appleId: new Secret('apple-id', 'dev@example.com'),
  applePassword: new Secret('apple-password', 'abcd-efgh-ijkl-mnop'),
  teamId: 'ABCDE12345',
};

describe('validateNotarizeInputs', () => {
  it('uses what sign-apple exported when no credential input is set', () => {
    const config = validateNotarizeInputs({ ...base, fromEnv: signApple });
    expect(config).toMatchObject({
      dmg: 'App.dmg',
      identity: base.signingIdentity,
      auth: { kind: 'api-key', key: { path: '/tmp/AuthKey.p8' }, keyId: API_KEY_ID, issuer: API_ISSUER },
      retryDelayMs: 30_000,
    });
  });

  it('prefers credential inputs over the environment as a whole, and decodes a base64 api-key', () => {
    const masked: string[] = [];
    const config = validateNotarizeInputs(
      { ...base, fromEnv: appleId, fromInputs: { apiKey: new Secret('api-key', P8_BASE64), apiKeyId: API_KEY_ID, apiIssuer: API_ISSUER } },
      (value) => masked.push(value),
    );
    expect(config.auth.kind === 'api-key' && 'pem' in config.auth.key && config.auth.key.pem.reveal()).toBe(P8_PEM);
    expect(masked).toEqual([P8_PEM]);
  });

  it('accepts Apple ID credentials and a DMG that is already signed', () => {
    const config = validateNotarizeInputs({ ...base, sign: false, signingIdentity: undefined, fromInputs: appleId });
    expect(config.identity).toBeUndefined();
    expect(config.auth).toMatchObject({ kind: 'apple-id', teamId: 'ABCDE12345' });
  });

  it.each<[string, Partial<NotarizeInputs>, RegExp]>([
    ['no dmg', { dmg: undefined, fromEnv: signApple }, /^dmg is empty/],
    ['signing with no identity', { signingIdentity: undefined, fromEnv: signApple }, /signing-identity is empty and APPLE_SIGNING_IDENTITY is not set: run sign-apple earlier/],
    ['an ad-hoc identity', { signingIdentity: '-', fromEnv: signApple }, /"-" \(ad-hoc\): Apple does not notarize ad-hoc signatures/],
    ['no credentials at all', {}, /^No notarization credentials: .*Each of them is empty \(an unset or misspelled/],
    ['both methods in the environment', { fromEnv: { ...signApple, appleId: appleId.appleId } }, /Both API key \(APPLE_API_KEY_PATH, APPLE_API_KEY, APPLE_API_ISSUER\) and Apple ID \(APPLE_ID\) credentials are set in the environment/],
    ['a key without its issuer', { fromInputs: { apiKey: new Secret('api-key', P8_BASE64), apiKeyId: API_KEY_ID } }, /needs the key, its Key ID and the Issuer ID; api-issuer is empty/],
    ['both api-key and api-key-path', { fromInputs: { ...signApple, apiKey: new Secret('api-key', P8_BASE64) } }, /Both api-key and api-key-path are set/],
    ['the .p8 where the Key ID belongs', { fromEnv: { ...signApple, apiKeyId: P8_PEM } }, /^APPLE_API_KEY is not an App Store Connect Key ID .*tauri's APPLE_API_KEY is the Key ID/],
    ['an issuer that is not a UUID', { fromEnv: { ...signApple, apiIssuer: 'nope' } }, /^APPLE_API_ISSUER is not an Issuer ID/],
    ['an Apple ID without a team', { fromInputs: { ...appleId, teamId: undefined } }, /needs an Apple ID, an app-specific password and a team ID; team-id is empty/],
  ])('rejects %s, naming the input or variable', (_, inputs, message) => {
    expect(() => validateNotarizeInputs({ ...base, ...inputs })).toThrow(message);
  });

  it('never echoes a misplaced secret', () => {
    expect(() => validateNotarizeInputs({ ...base, fromEnv: { ...signApple, apiKeyId: P8_PEM } })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('PRIVATE KEY-----\n') }),
    );
  });
});
