/**
 * Runs the `tauri-release` CLI as a user does: `node api/_src/cli/bin.mjs …` as a child process, with its own config
 * folder (XDG_CONFIG_HOME) and only the environment a test gives it (and jest's compile cache, child-env.ts), so nothing
 * leaks in from the machine.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childNodeEnv } from '../support/child-env.ts';

export const BIN = fileURLToPath(new URL('../../api/_src/cli/bin.mjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  /** Node to run bin.mjs with (default: this one, Node 24). */
  node?: string;
}

export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, ...childNodeEnv(), ...options.env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const child = spawn(options.node ?? process.execPath, [BIN, ...args], { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      }),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** The one `error: <code>: <message>` line a failing run prints. */
export function errorLine(result: CliResult): string {
  const lines = result.stderr.trim().split('\n').filter((line) => line.startsWith('error: '));
  if (lines.length !== 1) throw new Error(`expected one error line, got ${lines.length}:\n${result.stderr}`);
  return lines[0]!;
}
