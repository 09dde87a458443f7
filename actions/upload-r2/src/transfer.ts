/**
 * @module transfer
 * Sends one artifact's bytes to the target the control plane handed out (api/_src/protocol/ci.ts `ciUploadTargetSchema`):
 * one presigned PUT, or presigned multipart with every part its own PUT, `concurrency` at a time. Each PUT streams
 * its range from disk, so memory stays flat (about 64 KiB per part in flight) whatever the file size. A PUT is
 * retried with backoff when no answer came, or the answer was 408/429/5xx (PUTting the same bytes again is safe); a
 * 4xx (an expired URL, a refused signature) is reported at once. Progress is logged as it goes.
 */
import type { z } from 'zod';
import type { ciUploadTargetSchema } from '../../../api/_src/protocol/ci.ts';
import type { Logger } from '../../shared/src/logger.ts';
import { exponentialBackoff, retry, sleep as wait } from '../../shared/src/retry.ts';
import { putFileRange, PutNetworkError, type PutRange } from './http-put.ts';

export type UploadTarget = z.infer<typeof ciUploadTargetSchema>;

export interface TransferSettings {
  logger: Logger;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  /** Attempts per PUT, the first included (default 5). */
  attempts?: number;
  backoff?: (failedAttempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
  idleTimeoutMs?: number;
  /** How often a progress line may be logged (default 10 s). */
  progressIntervalMs?: number;
  now?: () => number;
}

const MIB = 1024 * 1024;
export const formatBytes = (bytes: number): string =>
  bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;

/** Bytes sent of one file, logged at most every `intervalMs` and once at the end. */
export class Progress {
  readonly #label: string;
  readonly #total: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #started: number;
  #sent = 0;
  #lastLog: number;

  constructor(label: string, total: number, settings: Pick<TransferSettings, 'logger' | 'now' | 'progressIntervalMs'>) {
    this.#label = label;
    this.#total = total;
    this.#logger = settings.logger;
    this.#now = settings.now ?? Date.now;
    this.#intervalMs = settings.progressIntervalMs ?? 10_000;
    this.#started = this.#now();
    this.#lastLog = this.#started;
  }

  get sent(): number {
    return this.#sent;
  }

  /** Adds (or, after a failed attempt, takes back) bytes. */
  add(bytes: number): void {
    this.#sent += bytes;
    const now = this.#now();
    if (bytes > 0 && now - this.#lastLog >= this.#intervalMs && this.#sent < this.#total) {
      this.#lastLog = now;
      this.#logger.info(`${this.#label}: ${formatBytes(this.#sent)} of ${formatBytes(this.#total)} (${Math.floor((this.#sent / this.#total) * 100)}%), ${this.#rate(now)}`);
    }
  }

  #rate(now: number): string {
    const seconds = Math.max((now - this.#started) / 1000, 0.001);
    return `${formatBytes(this.#sent / seconds)}/s`;
  }

  /** Seconds since the start; logs the final line. */
  finish(): number {
    const now = this.#now();
    const seconds = (now - this.#started) / 1000;
    this.#logger.info(`${this.#label}: uploaded ${formatBytes(this.#total)} in ${seconds.toFixed(1)} s (${this.#rate(now)})`);
    return seconds;
  }
}

/** A PUT answered with an error status. */
export class PutRefusedError extends Error {
  override name = 'PutRefusedError';
  readonly status: number;
  constructor(what: string, status: number, body: string) {
    const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
    const message = /<Message>([^<]+)<\/Message>/.exec(body)?.[1];
    const detail = code ? `${code}${message ? `: ${message}` : ''}` : body.trim().slice(0, 200) || '(no body)';
    const hint =
      status === 403
        ? ' The upload URL expired (they last an hour) or was altered; re-run the job for fresh URLs.'
        : status >= 500 || status === 429 || status === 408
          ? ' The storage kept failing; re-run the job.'
          : '';
    super(`${what} was refused with HTTP ${status} (${detail}).${hint}`);
    this.status = status;
  }

  get retryable(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

const retryablePut = (error: unknown) => error instanceof PutNetworkError || (error instanceof PutRefusedError && error.retryable);

/** One PUT of `range`, retried; returns the ETag. Bytes of a failed attempt are taken back from `progress`. */
async function putWithRetries(what: string, url: string, range: PutRange, headers: Record<string, string>, progress: Progress, settings: TransferSettings): Promise<string | null> {
  const attempts = settings.attempts ?? 5;
  return retry(
    async () => {
      let sent = 0;
      try {
        const result = await putFileRange(url, range, {
          headers,
          ...(settings.idleTimeoutMs ? { idleTimeoutMs: settings.idleTimeoutMs } : {}),
          onBytes: (bytes) => {
            sent += bytes;
            progress.add(bytes);
          },
        });
        if (result.status < 200 || result.status >= 300) throw new PutRefusedError(what, result.status, result.body);
        return result.etag;
      } catch (error) {
        progress.add(-sent);
        throw error;
      }
    },
    {
      attempts,
      delayMs: settings.backoff ?? exponentialBackoff(1_000, 20_000),
      retryIf: retryablePut,
      onRetry: (error, failed, delay) => settings.logger.info(`${(error as Error).message}; attempt ${failed + 1} of ${attempts} in ${(delay / 1000).toFixed(1)} s`),
      sleep: settings.sleep ?? wait,
    },
  );
}

/** Runs `task` over `items`, at most `limit` at once; the first failure stops new starts and is thrown once the rest settle. */
export async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
}

export interface TransferResult {
  method: 'PUT' | 'MULTIPART';
  /** For `complete` of a multipart upload. */
  parts?: Array<{ part_number: number; etag: string }>;
  seconds: number;
}

/**
 * Sends the file at `path` (`size` bytes) to `target`.
 *
 * @throws PutRefusedError / PutNetworkError after the retries, naming the file (and part)
 */
export async function sendToTarget(label: string, path: string, size: number, target: UploadTarget, settings: TransferSettings): Promise<TransferResult> {
  const progress = new Progress(label, size, settings);
  if (target.method === 'PUT') {
    settings.logger.info(`${label}: ${formatBytes(size)} in one PUT`);
    await putWithRetries(label, target.url, { path, start: 0, end: size }, target.headers, progress, settings);
    return { method: 'PUT', seconds: progress.finish() };
  }
  const concurrency = Math.max(1, settings.concurrency ?? 4);
  const count = target.parts.length;
  if (count === 0 || target.part_size * count < size || target.part_size * (count - 1) >= size) {
    throw new Error(`${label}: the server planned ${count} parts of ${target.part_size} bytes for a file of ${size} bytes; is the size it was told still the file's?`);
  }
  settings.logger.info(`${label}: ${formatBytes(size)} in ${count} parts of ${formatBytes(target.part_size)}, ${Math.min(concurrency, count)} at a time`);
  const etags = new Map<number, string>();
  await forEachLimited(target.parts, concurrency, async (part) => {
    const start = (part.part_number - 1) * target.part_size;
    const range = { path, start, end: Math.min(start + target.part_size, size) };
    const etag = await putWithRetries(`${label} part ${part.part_number} of ${count}`, part.url, range, {}, progress, settings);
    if (!etag) throw new Error(`${label} part ${part.part_number}: the storage answered without an ETag; a proxy in between may strip it.`);
    etags.set(part.part_number, etag);
  });
  const parts = [...etags].sort(([a], [b]) => a - b).map(([part_number, etag]) => ({ part_number, etag }));
  return { method: 'MULTIPART', parts, seconds: progress.finish() };
}
