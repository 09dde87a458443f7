/**
 * @module options
 * Turns the action's inputs into `Readonly<ValidatedOptions>` before any process runs. Every problem is
 * reported at once, each naming the input and the fix; later code accepts only the validated form.
 * Empty means absent (actions/shared core-io.ts): an unset secret arrives as `undefined` here.
 */
import { statSync } from 'node:fs';
import { describeEmpty, parseIntegerInput } from '../../shared/src/inputs.ts';
import { Secret } from '../../shared/src/secret.ts';
import { CARGO_TAURI, parseTauriCli } from './tauri-signer.ts';

export const SIGNING_TOOLS = ['signtool', 'osslsigncode'] as const;
export type SigningTool = (typeof SIGNING_TOOLS)[number];

/**
 * RFC 3161 servers tried in order when the workflow names none: free, public, and answering both
 * `signtool /tr … /td sha256` and `osslsigncode -ts`. (`timestamp.verisign.com` is gone, osslsigncode#71.)
 */
export const DEFAULT_TIMESTAMP_URLS: readonly string[] = [
  'http://timestamp.digicert.com',
  'http://timestamp.sectigo.com',
  'http://timestamp.globalsign.com/tsa/r6advanced1',
];

export const DEFAULT_TIMESTAMP_TIMEOUT_SECONDS = 60;

/** The inputs as read: strings and secrets are `undefined` when empty. */
export interface RawInputs {
  certificate?: Secret | undefined;
  certificatePassword?: Secret | undefined;
  /** One URL per line; `undefined` (input left empty) means the defaults. */
  timestampUrls?: readonly string[] | undefined;
  timestampTimeout?: string | undefined;
  allowUntimestamped?: boolean;
  tool?: string | undefined;
  signtoolPath?: string | undefined;
  description?: string | undefined;
  descriptionUrl?: string | undefined;
  verify?: boolean;
  verifyCaFile?: string | undefined;
  tauriSigningPrivateKey?: Secret | undefined;
  tauriSigningPrivateKeyPassword?: Secret | undefined;
  tauriCli?: string | undefined;
  appVersion?: string | undefined;
  workingDirectory?: string | undefined;
  /** A command line that signs one file (`%1`), instead of certificate (keys in an HSM or a cloud service). */
  signCommand?: string | undefined;
}

export interface UpdaterSigning {
  privateKey: Secret;
  password: Secret | null;
  /** Command line of the Tauri CLI, or null to find it (tauri-signer.ts). */
  cli: string | null;
  appVersion: string | null;
}

export interface ValidatedOptions {
  /** The PKCS#12 file's bytes, base64 (whitespace removed); null when signCommand signs instead. */
  certificate: Secret | null;
  /** sign-command split on whitespace as Tauri splits signCommand; `%1` in any word is the file. */
  signCommand: readonly string[] | null;
  certificatePassword: Secret | null;
  timestampUrls: readonly string[];
  timestampTimeoutMs: number;
  allowUntimestamped: boolean;
  tool: SigningTool;
  signtoolPath: string | null;
  description: string | null;
  descriptionUrl: string | null;
  verify: boolean;
  verifyCaFile: string | null;
  /** Present when each signed file's updater `.sig` is to be made again after Authenticode. */
  updater: UpdaterSigning | null;
  workingDirectory: string;
}

export class InputError extends Error {
  override name = 'InputError';
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A DER PKCS#12 file is an ASN.1 SEQUENCE (first byte 0x30); a PEM file or a path is not. */
function pkcs12Problem(base64: string): string | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 === 1) {
    return 'certificate is not base64: encode the .pfx file itself (`base64 -w0 cert.pfx`, or `[Convert]::ToBase64String([IO.File]::ReadAllBytes("cert.pfx"))` in PowerShell)';
  }
  const der = Buffer.from(base64, 'base64');
  if (der.length < 64 || der[0] !== 0x30) {
    return 'certificate decodes to something that is not a PKCS#12 (.pfx/.p12) file: export the certificate with its private key as .pfx, then base64 it';
  }
  return null;
}

/**
 * @example
 * validateOptions({ certificate: new Secret('certificate', pfxBase64) }, 'linux')
 * // → { tool: 'osslsigncode', timestampUrls: DEFAULT_TIMESTAMP_URLS, allowUntimestamped: false, … }
 */
export function validateOptions(raw: RawInputs, platform: NodeJS.Platform): Readonly<ValidatedOptions> {
  const problems: string[] = [];
  const attempt = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      return fallback;
    }
  };

  let certificate: Secret | null = null;
  const signCommand = raw.signCommand?.trim().split(/\s+/) ?? null;
  if (signCommand) {
    if (!signCommand.some((word) => word.includes('%1'))) {
      problems.push(`sign-command ${JSON.stringify(raw.signCommand)} has no %1: put %1 where the file to sign goes (as in Tauri's signCommand)`);
    }
    if (raw.certificate) problems.push('certificate and sign-command are both set: sign-command signs without a .pfx, so pass one of them');
  } else if (!raw.certificate) {
    problems.push(`${describeEmpty('certificate')}. Pass the base64 of the code-signing .pfx, or a sign-command for a key in an HSM or a cloud signing service.`);
  } else {
    const compact = raw.certificate.reveal().replace(/\s+/g, '');
    const problem = pkcs12Problem(compact);
    if (problem) problems.push(problem);
    else certificate = new Secret('certificate', compact);
  }

  const timestampUrls = raw.timestampUrls === undefined ? DEFAULT_TIMESTAMP_URLS : raw.timestampUrls.map((url) => url.trim()).filter((url) => url !== '');
  for (const url of timestampUrls) {
    if (!isHttpUrl(url)) problems.push(`timestamp-urls: ${JSON.stringify(url)} is not the http(s) URL of an RFC 3161 server`);
  }
  const allowUntimestamped = raw.allowUntimestamped ?? false;
  if (timestampUrls.length === 0 && !allowUntimestamped) {
    problems.push('timestamp-urls lists no server: name at least one RFC 3161 server, or set allow-untimestamped: true to ship signatures that stop validating when the certificate expires');
  }
  const timestampTimeoutMs = attempt(() => parseIntegerInput('timestamp-timeout', raw.timestampTimeout, DEFAULT_TIMESTAMP_TIMEOUT_SECONDS, 1, 600), 0) * 1000;

  let tool: SigningTool = platform === 'win32' ? 'signtool' : 'osslsigncode';
  if (raw.tool !== undefined && raw.tool !== 'auto') {
    if ((SIGNING_TOOLS as readonly string[]).includes(raw.tool)) tool = raw.tool as SigningTool;
    else problems.push(`tool must be auto, signtool or osslsigncode, not ${JSON.stringify(raw.tool)}`);
  }
  if (tool === 'signtool' && platform !== 'win32') problems.push('tool: signtool runs on Windows runners only; osslsigncode (the default elsewhere) signs the same files');

  if (raw.descriptionUrl !== undefined && !isHttpUrl(raw.descriptionUrl)) {
    problems.push(`description-url must be an http(s) URL, not ${JSON.stringify(raw.descriptionUrl)}`);
  }

  // osslsigncode is told only that verification failed; found out here, before a timestamp server is asked.
  if (raw.verifyCaFile !== undefined && !isFile(raw.verifyCaFile)) {
    problems.push(`verify-ca-file ${JSON.stringify(raw.verifyCaFile)} is not a file: pass the PEM of the CA(s) that issued the certificate and the timestamp, or leave it empty for the system store`);
  }

  if (!raw.tauriSigningPrivateKey && raw.tauriSigningPrivateKeyPassword) {
    problems.push(`tauri-signing-private-key-password is set but ${describeEmpty('tauri-signing-private-key')}`);
  }

  if (problems.length > 0 || !(certificate || signCommand)) throw new InputError(problems.join('\n'));

  return Object.freeze({
    certificate,
    signCommand,
    certificatePassword: raw.certificatePassword ?? null,
    timestampUrls,
    timestampTimeoutMs,
    allowUntimestamped,
    tool,
    signtoolPath: raw.signtoolPath ?? null,
    description: raw.description ?? null,
    descriptionUrl: raw.descriptionUrl ?? null,
    verify: raw.verify ?? true,
    verifyCaFile: raw.verifyCaFile ?? null,
    updater: raw.tauriSigningPrivateKey
      ? {
          privateKey: raw.tauriSigningPrivateKey,
          password: raw.tauriSigningPrivateKeyPassword ?? null,
          cli: raw.tauriCli ?? null,
          appVersion: raw.appVersion ?? null,
        }
      : null,
    workingDirectory: raw.workingDirectory ?? '.',
  });
}

/**
 * What to do when `command` is not installed, by where it came from: sign-command, tauri-cli (or the `cargo tauri`
 * used when no @tauri-apps/cli is found), else the signing tool this action runs itself.
 */
export function missingProgramHint(options: Readonly<ValidatedOptions>, command: string): string {
  if (options.signCommand?.[0] === command) {
    return 'sign-command names a program this runner does not have: install it in an earlier step, or give its full path.';
  }
  if (options.updater && (options.updater.cli ? parseTauriCli(options.updater.cli) : CARGO_TAURI).command === command) {
    return options.updater.cli
      ? 'tauri-cli names a program this runner does not have: install the Tauri CLI in an earlier step (npm ci, or cargo install tauri-cli), or fix tauri-cli.'
      : 'No @tauri-apps/cli was found in node_modules of working-directory or a parent, and cargo is not installed: run npm ci in an earlier step, or set tauri-cli.';
  }
  return options.tool === 'osslsigncode'
    ? 'Install osslsigncode in an earlier step (apt-get install osslsigncode), or sign on a Windows runner.'
    : 'Set signtool-path to signtool.exe (it comes with the Windows SDK).';
}
