/**
 * Validates sign-apple's inputs before any process runs (electron/notarize's validate-args, osx-sign's
 * `validateSignOpts`): every problem names the input, the secret it usually comes from, and the fix. The result is a
 * `SignConfig` the rest of the action accepts, with the .p12 and .p8 already decoded.
 */
import { decodeApiKey, isIssuerId, isKeyId, isTeamId } from '../../shared/src/apple-credentials.ts';
import { decodeBase64 } from '../../shared/src/files.ts';
import { describeEmpty } from '../../shared/src/inputs.ts';
import type { Secret } from '../../shared/src/secret.ts';

/** Inputs as main.ts reads them: empty values are already `undefined`, credentials already masked. */
export interface SignInputs {
  certificate?: Secret;
  certificatePassword?: Secret;
  signingIdentity?: string;
  apiKey?: Secret;
  apiKeyId?: string;
  apiIssuer?: string;
  appleId?: Secret;
  applePassword?: Secret;
  teamId?: string;
  keychainTimeoutSeconds: number;
  allowAdHoc: boolean;
}

export type Signing =
  /** Import a .p12 into a temporary keychain. `identity`: a name fragment or SHA-1 the imported identity must match. */
  | { kind: 'certificate'; p12: Buffer; password: Secret; identity?: string }
  /** Use an identity already in the user's keychains (a self-hosted Mac). */
  | { kind: 'installed'; identity: string }
  /** `codesign --sign -`: runs on this Mac only; cannot be notarized. */
  | { kind: 'ad-hoc' };

export type Notarization =
  | { kind: 'api-key'; key: Secret; keyId: string; issuer: string }
  | { kind: 'apple-id'; appleId: Secret; password: Secret; teamId?: string }
  | { kind: 'none' };

export interface SignConfig {
  signing: Signing;
  notarization: Notarization;
  keychainTimeoutSeconds: number;
}

const P12_HOW = 'base64 -i certificate.p12 | pbcopy';

/**
 * @param mask called with each credential derived here (the PEM text decoded from a base64 `api-key`), so main.ts
 *   masks it like the inputs themselves.
 */
export function validateSignInputs(inputs: SignInputs, mask: (value: string) => void = () => {}): Readonly<SignConfig> {
  const signing = validateSigning(inputs);
  const notarization = validateNotarization(inputs, mask);
  if (signing.kind === 'ad-hoc' && notarization.kind !== 'none') {
    throw new Error(
      `Notarization credentials are set but certificate is not: ${describeEmpty('certificate')}. Notarization needs a ` +
        'Developer ID Application certificate. Set certificate and certificate-password (usually APPLE_CERTIFICATE and ' +
        'APPLE_CERTIFICATE_PASSWORD), or remove the notarization inputs for an ad-hoc development build.',
    );
  }
  return Object.freeze({ signing, notarization, keychainTimeoutSeconds: inputs.keychainTimeoutSeconds });
}

function validateSigning(inputs: SignInputs): Signing {
  const { certificate, certificatePassword, signingIdentity } = inputs;
  if (certificate) {
    if (!certificatePassword) {
      throw new Error(
        `certificate is set but ${describeEmpty('certificate-password')}. Pass the password the .p12 was exported with ` +
          '(usually secrets.APPLE_CERTIFICATE_PASSWORD).',
      );
    }
    const p12 = decodeBase64(certificate.reveal(), 'certificate (APPLE_CERTIFICATE)', P12_HOW);
    // A PKCS#12 file is one DER SEQUENCE (0x30). Anything else is a wrong file (a .cer, a .p8, a PEM) or double base64.
    if (p12[0] !== 0x30 || p12.length < 100) {
      throw new Error(
        'certificate (APPLE_CERTIFICATE) decodes to something that is not a .p12 file. Export the "Developer ID ' +
          `Application" certificate with its private key from Keychain Access as .p12, then store \`${P12_HOW}\`.`,
      );
    }
    return { kind: 'certificate', p12, password: certificatePassword, ...(signingIdentity ? { identity: signingIdentity } : {}) };
  }
  if (certificatePassword) {
    throw new Error(
      `certificate-password is set but ${describeEmpty('certificate')}. Pass the base64 .p12 (usually secrets.APPLE_CERTIFICATE), ` +
        'or remove certificate-password.',
    );
  }
  if (signingIdentity === '-') return { kind: 'ad-hoc' };
  if (signingIdentity) return { kind: 'installed', identity: signingIdentity };
  if (!inputs.allowAdHoc) {
    throw new Error(
      `No certificate to sign with: ${describeEmpty('certificate')}, and allow-ad-hoc is false. Set certificate and ` +
        'certificate-password (usually secrets.APPLE_CERTIFICATE and secrets.APPLE_CERTIFICATE_PASSWORD).',
    );
  }
  return { kind: 'ad-hoc' };
}

function validateNotarization(inputs: SignInputs, mask: (value: string) => void): Notarization {
  const apiFields = { 'api-key': inputs.apiKey, 'api-key-id': inputs.apiKeyId, 'api-issuer': inputs.apiIssuer };
  const idFields = { 'apple-id': inputs.appleId, 'apple-password': inputs.applePassword };
  const given = (fields: Record<string, unknown>) => Object.keys(fields).filter((name) => fields[name] !== undefined);
  const api = given(apiFields);
  const id = given(idFields);
  if (api.length > 0 && id.length > 0) {
    throw new Error(
      `Both App Store Connect API key inputs (${api.join(', ')}) and Apple ID inputs (${id.join(', ')}) are set. ` +
        'Use one: an API key (recommended: no two-factor prompts, no app-specific password) or an Apple ID.',
    );
  }
  if (api.length > 0) {
    const missing = Object.keys(apiFields).filter((name) => !api.includes(name));
    if (missing.length > 0) {
      throw new Error(
        `${api.join(' and ')} ${api.length === 1 ? 'is' : 'are'} set but ${missing.map(describeEmpty).join('; ')}. ` +
          'App Store Connect API key notarization needs all three: api-key (the .p8, base64), api-key-id (the Key ID) ' +
          'and api-issuer (the Issuer ID, from App Store Connect → Users and Access → Integrations).',
      );
    }
    const keyId = inputs.apiKeyId!;
    const issuer = inputs.apiIssuer!;
    if (!isKeyId(keyId)) {
      throw new Error('api-key-id is not an App Store Connect Key ID (10 letters and digits such as 2X9R4HXF34).');
    }
    if (!isIssuerId(issuer)) {
      throw new Error(
        'api-issuer is not an Issuer ID (a UUID shown above the keys in App Store Connect → Users and Access → ' +
          'Integrations). Check that api-key-id and api-issuer are not swapped.',
      );
    }
    return { kind: 'api-key', key: decodeApiKey(inputs.apiKey!, mask), keyId, issuer };
  }
  if (id.length > 0) {
    if (!inputs.appleId || !inputs.applePassword) {
      const missing = inputs.appleId ? 'apple-password' : 'apple-id';
      throw new Error(
        `${id[0]} is set but ${describeEmpty(missing)}. Apple ID notarization needs apple-id, apple-password (an ` +
          'app-specific password from account.apple.com) and a team ID.',
      );
    }
    if (inputs.teamId !== undefined && !isTeamId(inputs.teamId)) {
      throw new Error('team-id is not a Team ID (10 letters and digits such as ABCDE12345).');
    }
    return { kind: 'apple-id', appleId: inputs.appleId, password: inputs.applePassword, ...(inputs.teamId ? { teamId: inputs.teamId } : {}) };
  }
  return { kind: 'none' };
}
