/**
 * @module sign
 * Signs each file with Authenticode (a PFX, or the workflow's sign-command) and, when a Tauri key is given, makes
 * its updater `.sig` again.
 *
 * Authenticode rewrites the file, so a `.sig` made before it signs bytes that are no longer shipped and
 * the updater refuses the download. The order here is therefore fixed: Authenticode (timestamped) →
 * verify → `tauri signer sign`. The updater key is tried on a test file first, so a bad key or password stops the
 * run before any file is rewritten. Without a key, a `.sig` found next to a file is stale and the run fails
 * before anything is signed. Used as Tauri's `bundle.windows.signCommand`, Tauri itself makes the
 * `.sig` after this returns, so `updaterSignatures: false` skips that part.
 *
 * Per file: (1) sign without a timestamp into a scratch file, which proves certificate, password and
 * file format locally and quickly; (2) try the timestamp servers in order; (3) if none answers, keep the
 * untimestamped result only when allowed; (4) verify; (5) rename over the original.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { decodeBase64, exists, makePrivateDir, removePrivateDir, runnerTemp, writePrivateFile } from '../../shared/src/files.ts';
import type { Logger } from '../../shared/src/logger.ts';
import type { Secret } from '../../shared/src/secret.ts';
import type { Runner } from '../../shared/src/spawn.ts';
import { type AuthenticodeTool, type CertificateFiles, tail } from './authenticode.ts';
import type { ValidatedOptions } from './options.ts';
import { osslsigncode } from './osslsigncode.ts';
import { runSignCommand } from './sign-command.ts';
import { findSigntool, signtool } from './signtool.ts';
import { checkUpdaterKey, resolveTauriCli, signUpdaterArtifact } from './tauri-signer.ts';
import { TimestampError, tryTimestampServers } from './timestamp.ts';

export interface SignDeps {
  run: Runner;
  log: Logger;
  /** Where the PFX is written for the run; RUNNER_TEMP by default. */
  tempDir?: string;
}

export interface SignedFile {
  path: string;
  /** RFC 3161 server that timestamped it, or null (only with allow-untimestamped). */
  timestampUrl: string | null;
  /** The fresh updater signature, when one was made. */
  updaterSignature: string | null;
}

/** Files that are missing, not files, or carry a `.sig` that Authenticode would make stale. */
async function preflight(files: readonly string[], staleSigIsError: boolean): Promise<void> {
  const problems: string[] = [];
  for (const file of files) {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) problems.push(`${file}: not a file`);
    else if (staleSigIsError && (await exists(`${file}.sig`))) {
      problems.push(
        `${file}.sig would be stale: Authenticode changes ${basename(file)}, so its updater signature must be made ` +
          'after it. Pass tauri-signing-private-key (and -password) to make it again, or sign through Tauri\'s ' +
          'bundle.windows.signCommand so Tauri signs for the updater last',
      );
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/** Writes the PFX (and its password) to a private temp folder for the length of `use`, then removes it. */
const TEMP_PREFIX = 'sign-windows-';
/** A cloud signing service answers in seconds; ten minutes leaves room for its retries, not for a hang. */
const SIGN_COMMAND_TIMEOUT_MS = 600_000;

async function withCertificate<T>(
  certificate: Secret,
  options: Readonly<ValidatedOptions>,
  tempDir: string,
  use: (cert: CertificateFiles) => Promise<T>,
): Promise<T> {
  const dir = await makePrivateDir(tempDir, TEMP_PREFIX);
  try {
    const pfxPath = join(dir, 'certificate.pfx');
    await writePrivateFile(pfxPath, decodeBase64(certificate.reveal(), 'certificate', 'base64 -w0 cert.pfx'));
    let passwordPath: string | null = null;
    if (options.certificatePassword) {
      passwordPath = join(dir, 'password');
      await writePrivateFile(passwordPath, options.certificatePassword.reveal());
    }
    return await use({ pfxPath, passwordPath });
  } finally {
    await removePrivateDir(dir, TEMP_PREFIX);
  }
}

async function chooseTool(options: Readonly<ValidatedOptions>, run: Runner, cert: CertificateFiles): Promise<AuthenticodeTool> {
  const label = { description: options.description, descriptionUrl: options.descriptionUrl };
  if (options.tool === 'osslsigncode') return osslsigncode(run, cert, label, options.verifyCaFile);
  const kits = join(process.env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)', 'Windows Kits', '10', 'bin');
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const program = options.signtoolPath ?? (await findSigntool(kits, arch)) ?? 'signtool.exe';
  return signtool(run, program, cert, options.certificatePassword, label);
}

function scratchPath(file: string, tag: string): string {
  const ext = extname(file);
  return join(dirname(file), `.${basename(file, ext)}.${tag}-${randomBytes(4).toString('hex')}${ext}`);
}

async function signOne(file: string, tool: AuthenticodeTool, options: Readonly<ValidatedOptions>, log: Logger): Promise<string | null> {
  const untimestamped = scratchPath(file, 'signed');
  const timestamped = scratchPath(file, 'timestamped');
  try {
    const local = await tool.sign({ input: file, output: untimestamped, timestampUrl: null, timeoutMs: options.timestampTimeoutMs });
    if (local.code !== 0) {
      throw new Error(
        `${tool.name} could not sign ${file} (before any timestamp server was asked: check the certificate, ` +
          `its password and that the file is a PE or MSI):\n${local.timedOut ? 'timed out' : tail(local.output)}`,
      );
    }
    const outcome = await tryTimestampServers(
      options.timestampUrls,
      async (url) => {
        // A failed or killed attempt can leave a partial output, and osslsigncode will not overwrite a file.
        await rm(timestamped, { force: true });
        return tool.sign({ input: file, output: timestamped, timestampUrl: url, timeoutMs: options.timestampTimeoutMs });
      },
      (failed) => log.warning(`timestamp server ${failed.url} ${failed.result} for ${basename(file)}; trying the next one`),
    );
    let result = timestamped;
    if (outcome.url === null) {
      if (!options.allowUntimestamped) throw new TimestampError(file, outcome.attempts);
      log.warning(`${basename(file)} is signed WITHOUT a timestamp (allow-untimestamped): its signature stops validating when the certificate expires`);
      result = untimestamped;
    }
    if (options.verify) {
      const verified = await tool.verify(result);
      if (verified.code !== 0) {
        throw new Error(
          `${tool.name} signed ${file} but the signature does not verify` +
            `${options.verifyCaFile ? '' : ' (a private CA needs verify-ca-file)'}:\n${tail(verified.output)}`,
        );
      }
    }
    await rename(result, file);
    return outcome.url;
  } finally {
    await rm(untimestamped, { force: true });
    await rm(timestamped, { force: true });
  }
}

/**
 * @example
 * await signFiles(options, ['dist/App_1.0.0_x64-setup.exe'], { run: spawn, log }, { updaterSignatures: true })
 */
export async function signFiles(
  options: Readonly<ValidatedOptions>,
  files: readonly string[],
  deps: SignDeps,
  { updaterSignatures }: { updaterSignatures: boolean },
): Promise<SignedFile[]> {
  await preflight(files, updaterSignatures && !options.updater);
  const updater = updaterSignatures ? options.updater : null;
  const cli = updater ? await resolveTauriCli(updater.cli, options.workingDirectory) : null;
  if (updater && cli) {
    const dir = await makePrivateDir(deps.tempDir ?? runnerTemp(), TEMP_PREFIX);
    try {
      await checkUpdaterKey(deps.run, cli, updater, dir, options.workingDirectory);
    } finally {
      await removePrivateDir(dir, TEMP_PREFIX);
    }
  }
  const signEach = async (toolName: string, sign: (file: string) => Promise<string | null>): Promise<SignedFile[]> => {
    const signed: SignedFile[] = [];
    for (const file of files) {
      const timestampUrl = await sign(file);
      deps.log.info(`signed ${file} with ${toolName}${timestampUrl ? `, timestamped by ${timestampUrl}` : ''}`);
      let updaterSignature: string | null = null;
      if (updater && cli) {
        updaterSignature = await signUpdaterArtifact(deps.run, cli, file, updater, options.workingDirectory);
        deps.log.info(`made ${updaterSignature} again over the signed bytes`);
      }
      signed.push({ path: file, timestampUrl, updaterSignature });
    }
    return signed;
  };
  const { signCommand, certificate } = options;
  if (signCommand) {
    // The command timestamps (or not) as its service does; it reports no server back.
    return signEach('sign-command', async (file) => (await runSignCommand(deps.run, signCommand, file, SIGN_COMMAND_TIMEOUT_MS), null));
  }
  return withCertificate(certificate!, options, deps.tempDir ?? runnerTemp(), async (cert) => {
    const tool = await chooseTool(options, deps.run, cert);
    return signEach(tool.name, (file) => signOne(file, tool, options, deps.log));
  });
}
