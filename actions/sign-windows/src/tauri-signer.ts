/**
 * @module tauri-signer
 * Makes a Tauri updater signature (`FILE.sig`) with the real Tauri CLI (`tauri signer sign`). The key and
 * its password travel in the environment (`TAURI_SIGNING_PRIVATE_KEY`, `TAURI_SIGNING_PRIVATE_KEY_PASSWORD`),
 * never in argv; `CI=true` makes an empty password mean "no password" instead of a prompt.
 */
import { stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { exists } from '../../shared/src/files.ts';
import type { Secret } from '../../shared/src/secret.ts';
import type { Runner } from '../../shared/src/spawn.ts';

export interface TauriCli {
  command: string;
  args: readonly string[];
}

/**
 * How to run the Tauri CLI. An explicit command line (`cargo tauri`, `pnpm tauri`, `npm run tauri`) is split on spaces.
 * Otherwise `@tauri-apps/cli` is looked for in `node_modules` from `cwd` upwards and run with this Node,
 * which works the same on every OS (a `.cmd` shim on Windows cannot be started without a shell); failing
 * that, `cargo tauri` (the `tauri-cli` crate).
 */
export async function resolveTauriCli(spec: string | null, cwd: string): Promise<TauriCli> {
  if (spec) return parseTauriCli(spec);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const script = join(dir, 'node_modules', '@tauri-apps', 'cli', 'tauri.js');
    if (await exists(script)) return { command: process.execPath, args: [script] };
    if (dirname(dir) === dir) break;
  }
  return CARGO_TAURI;
}

/** The Tauri CLI when no command line is given and no `@tauri-apps/cli` is installed: the `tauri-cli` crate. */
export const CARGO_TAURI: TauriCli = { command: 'cargo', args: ['tauri'] };

/** An explicit command line for the Tauri CLI (input tauri-cli), split on spaces. */
export function parseTauriCli(spec: string): TauriCli {
  const [command, ...args] = spec.trim().split(/\s+/);
  // `npm run <script>` keeps the flags that follow for npm itself unless a `--` comes first.
  if (command === 'npm' && (args[0] === 'run' || args[0] === 'run-script') && args.at(-1) !== '--') args.push('--');
  return { command: command!, args };
}

export interface UpdaterKey {
  privateKey: Secret;
  password: Secret | null;
  appVersion: string | null;
}

export function signerArgs(cli: TauriCli, file: string, appVersion: string | null): string[] {
  const args = [...cli.args, 'signer', 'sign'];
  // --app-version binds the signature to a version (CLI ≥ 2.12); older CLIs do not know the flag.
  if (appVersion) args.push('--app-version', appVersion);
  args.push(file);
  return args;
}

/**
 * Signs `file` for the Tauri updater and returns the path of the new `.sig`. Throws with the CLI's output
 * when it fails or leaves no fresh `.sig` behind.
 */
export async function signUpdaterArtifact(run: Runner, cli: TauriCli, file: string, key: UpdaterKey, cwd?: string): Promise<string> {
  const sigPath = `${file}.sig`;
  const started = Date.now();
  const result = await run(cli.command, signerArgs(cli, file, key.appVersion), {
    // `npm run tauri` finds the script in the project's package.json.
    ...(cwd ? { cwd } : {}),
    env: {
      CI: 'true',
      // The environment is not logged; only argv is, and it holds no secret here.
      TAURI_SIGNING_PRIVATE_KEY: key.privateKey.reveal(),
      TAURI_SIGNING_PRIVATE_KEY_PASSWORD: key.password?.reveal() ?? '',
    },
    timeoutMs: 120_000,
  });
  if (result.code !== 0) {
    const hint = /password/i.test(result.output) ? ' (check tauri-signing-private-key-password)' : '';
    throw new Error(`tauri signer sign failed for ${file}${hint}:\n${result.output.trim()}`);
  }
  const written = await stat(sigPath).catch(() => null);
  // Filesystem timestamps can be coarser than Date.now(); a second of slack still catches a stale file.
  if (!written || written.mtimeMs < started - 1000) {
    throw new Error(`tauri signer sign exited 0 but wrote no fresh ${sigPath}:\n${result.output.trim()}`);
  }
  return sigPath;
}

/**
 * Signs a throwaway file in `dir` with the key, so a key that is missing, undecodable or locked by a wrong password
 * (or a Tauri CLI that cannot run) fails the step before Authenticode has rewritten any file.
 */
export async function checkUpdaterKey(run: Runner, cli: TauriCli, key: UpdaterKey, dir: string, cwd?: string): Promise<void> {
  const probe = join(dir, 'updater-key-probe.bin');
  await writeFile(probe, 'tauri-release sign-windows: updater key probe\n', { mode: 0o600 });
  try {
    await signUpdaterArtifact(run, cli, probe, key, cwd);
  } catch (error) {
    throw new Error(`the Tauri updater key could not sign a test file, so nothing was signed: ${(error as Error).message}`, { cause: error });
  }
}
