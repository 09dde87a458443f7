/**
 * sign-apple's main step: a temporary keychain holding the .p12 (docs/reference/signing.md §1.3), the identity resolved to a
 * SHA-1, an optional App Store Connect key written to a private file, and the variables `tauri build` reads
 * (tauri-bundler `bundle/macos/sign.rs`: `keychain()` and `notarize_auth()`).
 *
 * Every resource is recorded with `saveState` *before* the command that creates it runs, so the post step
 * (cleanup.ts) can undo a run that failed half-way: a keychain that does not exist is skipped there, not an error.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makePrivateDir, writePrivateFile } from '../../shared/src/files.ts';
import type { Logger } from '../../shared/src/logger.ts';
import { Secret } from '../../shared/src/secret.ts';
import type { Runner } from '../../shared/src/spawn.ts';
import type { Notarization, SignConfig } from './config.ts';
import { isDeveloperIdApplication, selectIdentity, teamIdOf } from './identity.ts';
import * as security from './security.ts';

/** Names under which main saves what post must clean (`core.saveState`; post reads them as `STATE_<name>`). */
export const STATE = { tempDir: 'tempDir', keychain: 'keychain' } as const;
/** Prefix of the private directory in RUNNER_TEMP; cleanup deletes only directories named like this. */
export const TEMP_PREFIX = 'sign-apple-';

export interface SignDeps {
  run: Runner;
  logger: Logger;
  saveState(name: string, value: string): void;
  /** Masks a value created here (the keychain password). */
  mask(value: string): void;
  /** Where the private directory goes: RUNNER_TEMP. */
  tempRoot: string;
  /** This step's environment, checked for variables that would make `tauri build` ignore what this step sets up. */
  env: NodeJS.ProcessEnv;
}

export interface SignResult {
  mode: SignConfig['signing']['kind'];
  /** What codesign is given: the SHA-1, or `-` for ad-hoc. */
  identity: string;
  /** The certificate's name, or `ad-hoc`. */
  identityName: string;
  teamId?: string;
  keychain?: string;
  apiKeyPath?: string;
  notarization: Notarization['kind'];
  /** Variables to export for later steps. */
  env: Record<string, string>;
}

export async function signApple(config: SignConfig, deps: SignDeps): Promise<SignResult> {
  const { signing } = config;
  warnAboutConflictingEnv(config, deps);
  if (signing.kind === 'ad-hoc') {
    deps.logger.warning(
      'No certificate given: signing ad-hoc (APPLE_SIGNING_IDENTITY=-). Such an app runs on this Mac only; Gatekeeper ' +
        'blocks it elsewhere and it cannot be notarized. For a release, set certificate and certificate-password.',
      { title: 'sign-apple: ad-hoc signing' },
    );
    return { mode: 'ad-hoc', identity: '-', identityName: 'ad-hoc', notarization: 'none', env: { APPLE_SIGNING_IDENTITY: '-' } };
  }

  const tempDir = await makePrivateDir(deps.tempRoot, TEMP_PREFIX);
  deps.saveState(STATE.tempDir, tempDir);

  let keychain: string | undefined;
  let identity: security.Identity;
  if (signing.kind === 'certificate') {
    keychain = join(tempDir, 'signing.keychain-db');
    identity = await importCertificate(signing, keychain, tempDir, config.keychainTimeoutSeconds, deps);
  } else {
    identity = selectIdentity(await security.findIdentities(deps.run), signing.identity, "this Mac's keychain search list");
  }
  deps.logger.info(`Signing identity: ${identity.hash} "${identity.name}"`);
  if (!isDeveloperIdApplication(identity)) {
    deps.logger.warning(
      `"${identity.name}" is not a Developer ID Application identity: apps it signs can't be notarized or opened by ` +
        'Gatekeeper on other Macs. Export a Developer ID Application certificate for releases.',
    );
  }
  await preflight(identity, keychain, tempDir, deps);

  const env: Record<string, string> = { APPLE_SIGNING_IDENTITY: identity.hash };
  const teamId = teamIdOf(identity.name);
  const result: SignResult = {
    mode: signing.kind,
    identity: identity.hash,
    identityName: identity.name,
    ...(teamId ? { teamId } : {}),
    ...(keychain ? { keychain } : {}),
    notarization: config.notarization.kind,
    env,
  };
  const notarization = config.notarization;
  if (notarization.kind === 'api-key') {
    const dir = join(tempDir, 'private_keys');
    await mkdir(dir, { mode: 0o700 });
    result.apiKeyPath = join(dir, `AuthKey_${notarization.keyId}.p8`);
    await writePrivateFile(result.apiKeyPath, notarization.key.reveal());
    Object.assign(env, { APPLE_API_KEY: notarization.keyId, APPLE_API_ISSUER: notarization.issuer, APPLE_API_KEY_PATH: result.apiKeyPath });
  } else if (notarization.kind === 'apple-id') {
    const team = notarization.teamId ?? teamId;
    if (!team) {
      throw new Error(`team-id is empty and "${identity.name}" carries no team ID; set team-id for Apple ID notarization.`);
    }
    if (notarization.teamId && teamId && notarization.teamId !== teamId) {
      deps.logger.warning(`team-id ${notarization.teamId} differs from the certificate's team ${teamId}; notarization uses ${notarization.teamId}.`);
    }
    Object.assign(env, { APPLE_ID: notarization.appleId.reveal(), APPLE_PASSWORD: notarization.password.reveal(), APPLE_TEAM_ID: team });
  }
  return result;
}

async function importCertificate(
  signing: Extract<SignConfig['signing'], { kind: 'certificate' }>,
  keychain: string,
  tempDir: string,
  timeoutSeconds: number,
  deps: SignDeps,
): Promise<security.Identity> {
  const { run } = deps;
  const p12 = join(tempDir, 'certificate.p12');
  await writePrivateFile(p12, signing.p12);
  const original = await security.listUserKeychains(run);

  const password = randomBytes(24).toString('base64url');
  deps.mask(password);
  const keychainPassword = new Secret('keychain password', password);
  deps.saveState(STATE.keychain, keychain);
  await security.createKeychain(run, keychain, keychainPassword);
  await security.setKeychainSettings(run, keychain, timeoutSeconds);
  await security.unlockKeychain(run, keychain, keychainPassword);
  await security.importP12(run, p12, keychain, signing.password);
  await rm(p12, { force: true });
  await security.setKeyPartitionList(run, keychain, keychainPassword);

  // Append, keeping the login keychain and whatever else is there: codesign finds identities only in the search list.
  // Nothing is saved to restore it later: delete-keychain (post) removes this entry and leaves other jobs' keychains.
  await security.setUserKeychains(run, [...original.filter((path) => path !== keychain), keychain]);
  return selectIdentity(await security.findIdentities(run, keychain), signing.identity, 'the imported .p12');
}

/**
 * Signs a scratch file with the identity (no timestamp, so Apple's TSA is not involved). `find-identity` listing an
 * identity does not prove codesign can use it: a missing intermediate certificate or a key that needs a prompt
 * only shows up when signing, and would otherwise surface deep inside `tauri build`.
 */
async function preflight(identity: security.Identity, keychain: string | undefined, tempDir: string, deps: SignDeps) {
  const scratch = join(tempDir, 'preflight.txt');
  await writePrivateFile(scratch, 'sign-apple preflight\n');
  const result = await deps.run('codesign', [
    '--force', '--sign', identity.hash, ...(keychain ? ['--keychain', keychain] : []), '--timestamp=none', scratch,
  ]);
  await rm(scratch, { force: true });
  if (result.code === 0) return;
  let fix = 'See docs/reference/signing.md §7 for the usual causes.';
  if (/unable to build chain|errSecInternalComponent/.test(result.output)) {
    fix =
      'codesign cannot build the certificate chain or use the key. If the output says "unable to build chain", the ' +
      'Mac lacks Apple\'s "Developer ID Certification Authority" (G2) intermediate: include it when exporting the .p12, ' +
      'or install DeveloperIDG2CA.cer from https://www.apple.com/certificateauthority/.';
  } else if (/User interaction is not allowed/.test(result.output)) {
    fix = 'The keychain is locked or the key asks for permission; on a self-hosted Mac unlock the keychain first.';
  }
  throw new Error(`codesign could not sign a test file with "${identity.name}" (exit ${result.code}). ${fix}\n${result.output}`);
}

function warnAboutConflictingEnv(config: SignConfig, deps: SignDeps): void {
  const present = (name: string) => deps.env[name] !== undefined;
  if (present('APPLE_CERTIFICATE') && present('APPLE_CERTIFICATE_PASSWORD')) {
    deps.logger.warning(
      'APPLE_CERTIFICATE and APPLE_CERTIFICATE_PASSWORD are in this job\'s environment: `tauri build` would import the ' +
        'certificate again into a keychain of its own (and fail if they are empty). Pass them to sign-apple as inputs ' +
        'and remove them from `env:`.',
    );
  }
  if (config.notarization.kind === 'api-key' && present('APPLE_ID') && present('APPLE_PASSWORD')) {
    deps.logger.warning(
      'APPLE_ID and APPLE_PASSWORD are in this job\'s environment: `tauri build` prefers Apple ID notarization over ' +
        'the API key this step exports, even when they are empty. Remove them from `env:`.',
    );
  }
}

/** The step summary: what later steps will sign and notarize with. No secrets. */
export function summaryMarkdown(result: SignResult): string {
  const rows = [
    ['Identity', result.identityName],
    ['SHA-1', result.identity],
    ['Team', result.teamId ?? '—'],
    ['Keychain', result.keychain ?? (result.mode === 'installed' ? 'existing search list' : '—')],
    ['Notarization', { 'api-key': 'App Store Connect API key', 'apple-id': 'Apple ID', none: 'not configured' }[result.notarization]],
    ['Exported', Object.keys(result.env).join(', ')],
  ];
  return ['### sign-apple', '', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${String(v).replace(/\|/g, '\\|')} |`), ''].join('\n');
}
