/**
 * @module spawn
 * The one place the actions start processes (electron/notarize's `src/spawn.ts` shape): each call resolves with the
 * exit code and both streams, and rejects only when the program cannot start. What a non-zero exit means is the
 * caller's decision. Arguments may be `Secret`s: the real value goes to the child, the log line shows `***`, and the
 * returned output has the secret's value replaced too, so it is safe to put in an error message.
 *
 * Standard input is closed (`ignore`): a macOS tool that wants to prompt (security asking for a keychain password)
 * reads end-of-file and fails at once, instead of hanging the job until its six-hour limit.
 */
import { spawn } from 'node:child_process';
import type { Logger } from './logger.ts';
import { isSecret, redact, type Secret } from './secret.ts';

export type Arg = string | Secret;

export interface RunOptions {
  cwd?: string;
  /** Added to the action's own environment. */
  env?: Record<string, string>;
  /** Kill the process (SIGTERM, then SIGKILL after 5 s) after this many milliseconds; the result says `timedOut`. */
  timeoutMs?: number;
  /**
   * Log the output at debug level only. For commands whose output is noise (`security set-key-partition-list`
   * prints every key attribute) or is parsed and reported by the caller in a better form (notarytool JSON).
   */
  quiet?: boolean;
}

export interface RunResult {
  /** Exit code; -1 when the process was killed by a signal. */
  code: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr, trimmed, for messages. */
  output: string;
  timedOut: boolean;
}

export type Runner = (command: string, args: readonly Arg[], options?: RunOptions) => Promise<RunResult>;

/** Thrown when a program cannot be started at all (usually: not on PATH). */
export class SpawnError extends Error {
  readonly command: string;
  readonly code: string | undefined;

  constructor(command: string, cause: NodeJS.ErrnoException, hint: string | undefined) {
    const reason = cause.code === 'ENOENT' ? 'it was not found on PATH' : cause.message;
    super(`Could not run ${command}: ${reason}.${hint ? ` ${hint}` : ''}`, { cause });
    this.name = 'SpawnError';
    this.command = command;
    this.code = cause.code;
  }
}

/** The command line as it is logged: secrets as `***`, arguments with spaces quoted. */
export function formatCommand(command: string, args: readonly Arg[]): string {
  return [command, ...args].map((arg) => (isSecret(arg) ? String(arg) : quote(arg))).join(' ');
}

function quote(arg: string): string {
  return arg === '' || /[\s"'$`\\]/.test(arg) ? JSON.stringify(arg) : arg;
}

export interface RunnerOptions {
  /**
   * Appended to the message when a program cannot start, e.g. "sign-apple needs a macOS runner.", or made for the
   * program, when an action runs programs that come from different places (its own tool, one an input names).
   */
  missingProgramHint?: string | ((command: string) => string | undefined);
}

/**
 * A `Runner` that logs `[command] …` at info level (masked), then the output (at info, or debug when `quiet`).
 *
 * @example
 * const run = createRunner(logger, { missingProgramHint: 'This action runs on macOS runners.' });
 * const { code, output } = await run('security', ['unlock-keychain', '-p', keychainPassword, keychainPath]);
 */
export function createRunner(logger: Logger, runnerOptions: RunnerOptions = {}): Runner {
  return (command, args, options = {}) => {
    const secrets = args.filter(isSecret);
    logger.info(`[command] ${formatCommand(command, args)}`);
    return new Promise<RunResult>((resolve, reject) => {
      const child = spawn(command, args.map((arg) => (isSecret(arg) ? arg.reveal() : arg)), {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              child.kill('SIGTERM');
              killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            }, options.timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', (error) => {
        clearTimeout(timer);
        const hint = runnerOptions.missingProgramHint;
        reject(new SpawnError(command, error, typeof hint === 'function' ? hint(command) : hint));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        const result: RunResult = {
          code: code ?? -1,
          stdout: redact(stdout, secrets),
          stderr: redact(stderr, secrets),
          output: redact([stdout.trim(), stderr.trim()].filter(Boolean).join('\n'), secrets),
          timedOut,
        };
        if (result.output) (options.quiet ? logger.debug : logger.info).call(logger, result.output);
        if (timedOut) logger.info(`${command} did not finish within ${options.timeoutMs} ms and was stopped.`);
        resolve(result);
      });
    });
  };
}
