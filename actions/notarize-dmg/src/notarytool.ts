/**
 * `xcrun notarytool`: submit without waiting, wait with a bounded timeout, ask for the status, fetch the developer
 * log (docs/reference/signing.md §3). The exit code is never taken as the verdict: `submit --wait`/`wait` exit 0 for Invalid
 * too (electron/notarize#173), so every result is read from `--output-format json`.
 */
import type { Secret } from '../../shared/src/secret.ts';
import type { Arg, RunResult, Runner } from '../../shared/src/spawn.ts';

export type Credentials =
  | { kind: 'api-key'; keyPath: string; keyId: string; issuer: string }
  | { kind: 'apple-id'; appleId: Secret; password: Secret; teamId: string };

/** Apple's statuses: `In Progress` until one of the other three. */
export type Status = 'Accepted' | 'Invalid' | 'Rejected' | 'In Progress';
export const FINAL_STATUSES: readonly string[] = ['Accepted', 'Invalid', 'Rejected'];

export interface NotaryIssue {
  severity?: string;
  path?: string;
  message?: string;
  docUrl?: string;
  architecture?: string;
}

export interface DeveloperLog {
  status?: string;
  statusSummary?: string;
  issues?: NotaryIssue[] | null;
}

export function authArgs(credentials: Credentials): Arg[] {
  return credentials.kind === 'api-key'
    ? ['--key', credentials.keyPath, '--key-id', credentials.keyId, '--issuer', credentials.issuer]
    : ['--apple-id', credentials.appleId, '--password', credentials.password, '--team-id', credentials.teamId];
}

export class NotarytoolError extends Error {
  /** A transport failure: another attempt of the same request may succeed. */
  readonly network: boolean;

  constructor(message: string, network: boolean) {
    super(message);
    this.name = 'NotarytoolError';
    this.network = network;
  }
}

const NETWORK =
  /NSURLErrorDomain|network connection was lost|request timed out|Internet connection appears to be offline|Could not connect to the server|(?:HTTP status code|statusCode): 5\d\d/i;
const UNAUTHORIZED = /status code: 401|statusCode: 401|Unable to authenticate|Invalid credentials/i;

function failure(what: string, result: RunResult): NotarytoolError {
  let fix = '';
  if (UNAUTHORIZED.test(result.output)) {
    fix =
      ' Apple refused the credentials (HTTP 401). Use a Team API key with the Developer role or higher and check the ' +
      'Key ID and Issuer ID; for an Apple ID, an app-specific password and the right team ID; and accept any pending ' +
      'agreements in App Store Connect. Retrying will not help.';
  }
  return new NotarytoolError(`notarytool ${what} failed (exit ${result.code}).${fix}\n${result.output}`.trimEnd(), NETWORK.test(result.output));
}

/** The JSON object notarytool printed, or undefined when there is none (older tools print progress lines around it). */
export function parseJson<T>(text: string): T | undefined {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start === -1 || end < start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1)) as T;
  } catch {
    return undefined;
  }
}

const notarytool = (run: Runner, args: readonly Arg[], options: { timeoutMs?: number; quiet?: boolean } = {}) =>
  run('xcrun', ['notarytool', ...args], options);

/** Uploads and returns the submission ID at once (`--no-wait`), so the ID is known even if the wait never ends. */
export async function submit(run: Runner, dmg: string, credentials: Credentials): Promise<string> {
  const result = await notarytool(run, ['submit', dmg, ...authArgs(credentials), '--no-wait', '--output-format', 'json']);
  const id = parseJson<{ id?: string }>(result.stdout)?.id;
  if (result.code !== 0 || !id) throw failure('submit', result);
  return id;
}

export interface WaitResult {
  /** The status printed by `wait`, when it printed one. */
  status?: string;
  /** The wait ended without a final status (its --timeout, or our own limit). */
  unfinished: boolean;
}

/**
 * Waits for a final status, at most `timeout` (`30m`). Our own limit (timeout + 2 min) stops a wait that ignores
 * its --timeout. A network failure throws (retryable); running out of time does not: the caller asks `info`.
 */
export async function wait(run: Runner, id: string, credentials: Credentials, timeout: { text: string; seconds: number }): Promise<WaitResult> {
  const result = await notarytool(run, ['wait', id, ...authArgs(credentials), '--timeout', timeout.text, '--output-format', 'json'], {
    timeoutMs: (timeout.seconds + 120) * 1000,
  });
  const status = parseJson<{ status?: string }>(result.stdout)?.status ?? parseJson<{ status?: string }>(result.stderr)?.status;
  if (status && FINAL_STATUSES.includes(status)) return { status, unfinished: false };
  if (!result.timedOut && result.code !== 0 && (NETWORK.test(result.output) || UNAUTHORIZED.test(result.output))) throw failure('wait', result);
  return { ...(status ? { status } : {}), unfinished: true };
}

/** The submission's current status (`notarytool info`). */
export async function info(run: Runner, id: string, credentials: Credentials): Promise<string> {
  const result = await notarytool(run, ['info', id, ...authArgs(credentials), '--output-format', 'json']);
  const status = parseJson<{ status?: string }>(result.stdout)?.status;
  if (result.code !== 0 || !status) throw failure('info', result);
  return status;
}

/** Apple's developer log for a finished submission: the issues behind Invalid or Rejected. */
export async function developerLog(run: Runner, id: string, credentials: Credentials): Promise<DeveloperLog | undefined> {
  const result = await notarytool(run, ['log', id, ...authArgs(credentials)]);
  return result.code === 0 ? parseJson<DeveloperLog>(result.stdout) : undefined;
}
