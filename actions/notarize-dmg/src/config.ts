/**
 * Validates notarize-dmg's inputs before any process runs. Credentials come from this step's inputs or, when no
 * notarization input is set, from the variables sign-apple exported earlier in the job (tauri's names:
 * APPLE_API_KEY is the Key ID, APPLE_API_KEY_PATH the .p8 file; or APPLE_ID, APPLE_PASSWORD, APPLE_TEAM_ID).
 * One source and one method: a mix is an error that says which fields came from where.
 */
import { decodeApiKey, isIssuerId, isKeyId, isTeamId } from '../../shared/src/apple-credentials.ts';
import { describeEmpty, type Duration } from '../../shared/src/inputs.ts';
import type { Secret } from '../../shared/src/secret.ts';
import { GATEKEEPER_CHECKS, type GatekeeperCheck } from './stapler.ts';

/** Notarization fields from one source. `apiKey` (the .p8 contents) exists only as an input. */
export interface AuthFields {
  apiKey?: Secret;
  apiKeyPath?: string;
  apiKeyId?: string;
  apiIssuer?: string;
  appleId?: Secret;
  applePassword?: Secret;
  teamId?: string;
}

export interface NotarizeInputs {
  dmg?: string;
  /** The .app to verify before the DMG (path or glob); empty: the bundle's macos/*.app next to its dmg folder. */
  app?: string;
  /** fail (default), warn or off. */
  gatekeeperCheck?: string;
  sign: boolean;
  /** The signing-identity input, else APPLE_SIGNING_IDENTITY. */
  signingIdentity?: string;
  keychain?: string;
  fromInputs: AuthFields;
  fromEnv: AuthFields;
  waitTimeout: Duration;
  stapleAttempts: number;
  retryDelaySeconds: number;
}

export type Auth =
  | { kind: 'api-key'; key: { path: string } | { pem: Secret }; keyId: string; issuer: string }
  | { kind: 'apple-id'; appleId: Secret; password: Secret; teamId: string };

export interface NotarizeConfig {
  dmg: string;
  app?: string;
  gatekeeperCheck: GatekeeperCheck;
  /** Set when the DMG is to be signed before submission. */
  identity?: string;
  keychain?: string;
  auth: Auth;
  waitTimeout: Duration;
  stapleAttempts: number;
  retryDelayMs: number;
}


/** Each field's input name and, where sign-apple exports one, its variable. */
const NAMES: Record<keyof AuthFields, { input: string; env?: string }> = {
  apiKey: { input: 'api-key' },
  apiKeyPath: { input: 'api-key-path', env: 'APPLE_API_KEY_PATH' },
  apiKeyId: { input: 'api-key-id', env: 'APPLE_API_KEY' },
  apiIssuer: { input: 'api-issuer', env: 'APPLE_API_ISSUER' },
  appleId: { input: 'apple-id', env: 'APPLE_ID' },
  applePassword: { input: 'apple-password', env: 'APPLE_PASSWORD' },
  teamId: { input: 'team-id', env: 'APPLE_TEAM_ID' },
};
const API_FIELDS = ['apiKey', 'apiKeyPath', 'apiKeyId', 'apiIssuer'] as const;
const ID_FIELDS = ['appleId', 'applePassword', 'teamId'] as const;

/**
 * @param mask called with the PEM decoded from a base64 `api-key`, so main.ts masks it like the input.
 */
export function validateNotarizeInputs(inputs: NotarizeInputs, mask: (value: string) => void = () => {}): Readonly<NotarizeConfig> {
  if (!inputs.dmg) throw new Error('dmg is empty: pass the path of the .dmg to notarize (a glob matching one file is fine).');
  let identity: string | undefined;
  if (inputs.sign) {
    identity = inputs.signingIdentity;
    if (!identity) {
      throw new Error(
        'signing-identity is empty and APPLE_SIGNING_IDENTITY is not set: run sign-apple earlier in this job, pass ' +
          'signing-identity, or set sign: false for a DMG that is already signed.',
      );
    }
    if (identity === '-') {
      throw new Error(
        'The signing identity is "-" (ad-hoc): Apple does not notarize ad-hoc signatures. Give sign-apple a Developer ID ' +
          'Application certificate (APPLE_CERTIFICATE), or skip notarize-dmg for development builds.',
      );
    }
  }
  const gatekeeperCheck = (inputs.gatekeeperCheck ?? 'fail') as GatekeeperCheck;
  if (!GATEKEEPER_CHECKS.includes(gatekeeperCheck)) {
    throw new Error(`gatekeeper-check must be fail, warn or off, not ${JSON.stringify(inputs.gatekeeperCheck)}.`);
  }
  return Object.freeze({
    dmg: inputs.dmg,
    ...(inputs.app ? { app: inputs.app } : {}),
    gatekeeperCheck,
    ...(identity ? { identity } : {}),
    ...(inputs.keychain ? { keychain: inputs.keychain } : {}),
    auth: validateAuth(inputs, mask),
    waitTimeout: inputs.waitTimeout,
    stapleAttempts: inputs.stapleAttempts,
    retryDelayMs: inputs.retryDelaySeconds * 1000,
  });
}

function validateAuth(inputs: NotarizeInputs, mask: (value: string) => void): Auth {
  const given = (fields: AuthFields) => (Object.keys(NAMES) as (keyof AuthFields)[]).filter((key) => fields[key] !== undefined);
  const fromInputs = given(inputs.fromInputs).length > 0;
  const fields = fromInputs ? inputs.fromInputs : inputs.fromEnv;
  const name = (key: keyof AuthFields) => (fromInputs ? NAMES[key].input : (NAMES[key].env ?? NAMES[key].input));
  const set = given(fields);
  const api = set.filter((key) => (API_FIELDS as readonly string[]).includes(key));
  const id = set.filter((key) => (ID_FIELDS as readonly string[]).includes(key));

  if (set.length === 0) {
    throw new Error(
      'No notarization credentials: set api-key, api-key-id and api-issuer (or run sign-apple with them earlier in ' +
        'this job; it exports APPLE_API_KEY, APPLE_API_ISSUER and APPLE_API_KEY_PATH), or apple-id, apple-password and ' +
        `team-id. ${describeEmpty('Each of them')}.`,
    );
  }
  if (api.length > 0 && id.length > 0) {
    throw new Error(
      `Both API key (${api.map(name).join(', ')}) and Apple ID (${id.map(name).join(', ')}) credentials are set` +
        `${fromInputs ? ' as inputs' : ' in the environment'}. Use one method.`,
    );
  }
  if (api.length > 0) {
    if (fields.apiKey && fields.apiKeyPath) throw new Error(`Both ${name('apiKey')} and ${name('apiKeyPath')} are set; pass one.`);
    const missing = [
      ...(fields.apiKey || fields.apiKeyPath ? [] : [fromInputs ? 'api-key (or api-key-path)' : 'APPLE_API_KEY_PATH']),
      ...(fields.apiKeyId ? [] : [name('apiKeyId')]),
      ...(fields.apiIssuer ? [] : [name('apiIssuer')]),
    ];
    if (missing.length > 0) {
      throw new Error(
        `App Store Connect API key notarization needs the key, its Key ID and the Issuer ID; ${missing.map(describeEmpty).join('; ')}.`,
      );
    }
    // Values are not echoed: a misplaced secret (the .p8 in the Key ID) must not reach the log.
    if (!isKeyId(fields.apiKeyId!)) {
      throw new Error(
        `${name('apiKeyId')} is not an App Store Connect Key ID (10 letters and digits). Note that tauri's APPLE_API_KEY ` +
          'is the Key ID; the .p8 itself goes in a file named by APPLE_API_KEY_PATH.',
      );
    }
    if (!isIssuerId(fields.apiIssuer!)) {
      throw new Error(`${name('apiIssuer')} is not an Issuer ID (a UUID). Check that the Key ID and Issuer ID are not swapped.`);
    }
    const key = fields.apiKey ? { pem: decodeApiKey(fields.apiKey, mask) } : { path: fields.apiKeyPath! };
    return { kind: 'api-key', key, keyId: fields.apiKeyId!, issuer: fields.apiIssuer! };
  }
  const missing = ID_FIELDS.filter((key) => fields[key] === undefined).map(name);
  if (missing.length > 0) {
    throw new Error(
      `Apple ID notarization needs an Apple ID, an app-specific password and a team ID; ${missing.map(describeEmpty).join('; ')}.`,
    );
  }
  if (!isTeamId(fields.teamId!)) throw new Error(`${name('teamId')} is not a Team ID (10 letters and digits).`);
  return { kind: 'apple-id', appleId: fields.appleId!, password: fields.applePassword!, teamId: fields.teamId! };
}
