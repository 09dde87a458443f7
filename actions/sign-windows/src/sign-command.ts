/**
 * @module sign-command
 * Authenticode through a command the workflow names, for keys that cannot be exported to a .pfx (code-signing
 * certificates issued since June 2023 live in hardware or a cloud HSM): Azure Trusted Signing's
 * `trusted-signing-cli`, DigiCert KeyLocker's `smctl`, SSL.com's eSigner, signtool with a KSP. It takes Tauri's
 * `bundle.windows.signCommand` form: words split on whitespace, `%1` replaced by the file, run without a shell,
 * in the action's environment (where the service's credentials are).
 */
import type { Runner } from '../../shared/src/spawn.ts';
import { tail } from './authenticode.ts';

export function signCommandArgs(words: readonly string[], file: string): { command: string; args: string[] } {
  const [command, ...args] = words.map((word) => word.replaceAll('%1', file));
  return { command: command!, args };
}

/** Runs the command for one file; throws with its output when it fails. */
export async function runSignCommand(run: Runner, words: readonly string[], file: string, timeoutMs: number): Promise<void> {
  const { command, args } = signCommandArgs(words, file);
  const result = await run(command, args, { timeoutMs });
  if (result.code !== 0) {
    throw new Error(`sign-command ${result.timedOut ? 'timed out' : `exited ${result.code}`} for ${file}:\n${tail(result.output)}`);
  }
}
