/**
 * The real signers, for signature tests and the verification benchmark: the Tauri CLI's
 * `tauri signer` (node_modules/.bin/tauri) and Debian's `minisign` (listed in .ci/apt-packages.txt).
 * Key and signature files are read back exactly as a user would paste them (docs/reference/tauri-updater.md §3.2).
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TAURI = fileURLToPath(new URL('../../node_modules/.bin/tauri', import.meta.url));
const MINISIGN = '/usr/bin/minisign';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion; rejects only when it cannot start. */
export function run(command: string, args: readonly string[], options: { input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(command, args, { env: { ...process.env, CI: 'true' }, stdio: [stdin, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (data: Buffer) => (stdout += data));
    child.stderr!.on('data', (data: Buffer) => (stderr += data));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (child.stdin) {
      // A program may exit without reading its input (minisign does on a malformed signature): not an error.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

async function mustRun(command: string, args: readonly string[], options: { input?: string } = {}): Promise<void> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}: ${result.stderr}${result.stdout}`);
}

export interface TauriKey {
  /** The private key file `tauri signer generate` wrote (base64 of an encrypted minisign secret key). */
  path: string;
  /** The content of the `.pub` file: what goes in tauri.conf.json `plugins.updater.pubkey`. */
  publicKey: string;
  /** The decoded secret key box, usable by `minisign -s` (empty password). */
  minisignSecretKeyPath: string;
  /** The decoded `.pub` text, usable by `minisign -p`. */
  minisignPublicKeyPath: string;
}

/** `tauri signer generate --ci -w <dir>/<name>`: a key pair with an empty password. */
export async function generateTauriKey(dir: string, name: string): Promise<TauriKey> {
  const path = join(dir, name);
  await mustRun(TAURI, ['signer', 'generate', '--ci', '-w', path]);
  const publicKey = await readFile(`${path}.pub`, 'utf8');
  const minisignSecretKeyPath = `${path}.minisign.key`;
  const minisignPublicKeyPath = `${path}.minisign.pub`;
  await writeFile(minisignSecretKeyPath, Buffer.from(await readFile(path, 'utf8'), 'base64'), { mode: 0o600 });
  await writeFile(minisignPublicKeyPath, Buffer.from(publicKey, 'base64'));
  return { path, publicKey, minisignSecretKeyPath, minisignPublicKeyPath };
}

/** `tauri signer sign -f <key> -p '' [--app-version V] <file>`; returns the `.sig` content. */
export async function tauriSign(key: TauriKey, file: string, appVersion?: string): Promise<string> {
  const version = appVersion === undefined ? [] : ['--app-version', appVersion];
  await mustRun(TAURI, ['signer', 'sign', '-f', key.path, '-p', '', ...version, file]);
  return readFile(`${file}.sig`, 'utf8');
}

/** Debian `minisign -S` with a Tauri key (`-l`: legacy); returns the signature as Tauri wraps it (base64). */
export async function minisignSign(
  key: TauriKey,
  file: string,
  trustedComment: string,
  options: { legacy?: boolean; out?: string } = {},
): Promise<string> {
  const out = options.out ?? `${file}.${options.legacy ? 'legacy' : 'prehashed'}.minisig`;
  const legacy = options.legacy ? ['-l'] : [];
  // The password prompt reads a line from stdin: an empty line for a --ci key.
  await mustRun(MINISIGN, ['-S', ...legacy, '-s', key.minisignSecretKeyPath, '-m', file, '-x', out, '-t', trustedComment], { input: '\n' });
  return (await readFile(out)).toString('base64');
}

/** Debian `minisign -V` on a Tauri-style (base64) signature and a decoded public key file; true when it accepts. */
export async function minisignVerifies(publicKeyPath: string, file: string, signature: string, sigPath: string): Promise<boolean> {
  await writeFile(sigPath, Buffer.from(signature, 'base64'));
  const result = await run(MINISIGN, ['-V', '-q', '-p', publicKeyPath, '-m', file, '-x', sigPath]);
  return result.code === 0;
}
