/**
 * @module timestamp
 * The fallback loop over RFC 3161 servers. A timestamp makes the signature outlive the certificate;
 * public servers have outages, so each is tried in order with its own time limit, and every failure is
 * kept so the final error says what each server did.
 */
import type { RunResult } from '../../shared/src/spawn.ts';
import { tail } from './authenticode.ts';

export interface TimestampAttempt {
  url: string;
  result: 'ok' | 'failed' | 'timed out';
  /** The tool's last lines when it failed. */
  detail: string;
}

export interface TimestampOutcome {
  /** The server that timestamped the signature, or null when none did. */
  url: string | null;
  attempts: TimestampAttempt[];
}

export class TimestampError extends Error {
  override name = 'TimestampError';
  readonly attempts: readonly TimestampAttempt[];

  constructor(file: string, attempts: readonly TimestampAttempt[]) {
    super(
      `no timestamp server timestamped ${file}; tried:\n` +
        attempts.map((a) => `  ${a.url}: ${a.result}${a.detail ? `\n    ${a.detail.replace(/\n/g, '\n    ')}` : ''}`).join('\n') +
        '\nAdd servers to timestamp-urls, raise timestamp-timeout, or set allow-untimestamped: true ' +
        '(the signature then stops validating when the certificate expires).',
    );
    this.attempts = attempts;
  }
}

/**
 * Calls `attempt(url)` for each server in order until one exits 0. Never throws for a server's failure;
 * the caller decides what "no server worked" means.
 */
export async function tryTimestampServers(
  urls: readonly string[],
  attempt: (url: string) => Promise<RunResult>,
  onFailure: (attempt: TimestampAttempt) => void = () => {},
): Promise<TimestampOutcome> {
  const attempts: TimestampAttempt[] = [];
  for (const url of urls) {
    const result = await attempt(url);
    if (result.code === 0 && !result.timedOut) {
      attempts.push({ url, result: 'ok', detail: '' });
      return { url, attempts };
    }
    const failed: TimestampAttempt = result.timedOut
      ? { url, result: 'timed out', detail: '' }
      : { url, result: 'failed', detail: tail(result.output, 6) };
    attempts.push(failed);
    onFailure(failed);
  }
  return { url: null, attempts };
}
