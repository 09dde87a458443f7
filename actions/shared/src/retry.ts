/**
 * @module retry
 * Retries with backoff, for the steps where trying again is safe: an upload that failed on the network, a staple
 * that ran before Apple's ticket propagated. Whether an error is worth another attempt is the caller's predicate;
 * everything else is rethrown at once.
 */

export interface RetryOptions {
  /** Total attempts, including the first (≥ 1). */
  attempts: number;
  /** Delay before attempt `n + 1`, given the attempt `n` (1-based) that just failed. */
  delayMs: (failedAttempt: number) => number;
  /** Whether this error is one that another attempt can fix. */
  retryIf: (error: unknown) => boolean;
  /** Called before each wait, to log what happened and what comes next. */
  onRetry?: (error: unknown, failedAttempt: number, delayMs: number) => void;
  /** Injected in tests; `setTimeout` by default. */
  sleep?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `base`, `2·base`, `4·base`, … capped at `max`. */
export function exponentialBackoff(baseMs: number, maxMs = Number.POSITIVE_INFINITY): (failedAttempt: number) => number {
  return (failedAttempt) => Math.min(baseMs * 2 ** (failedAttempt - 1), maxMs);
}

/**
 * Runs `task` until it resolves, the error is not retryable, or the attempts run out (then the last error is thrown).
 *
 * @example
 * await retry(() => staple(dmg), { attempts: 5, delayMs: () => 30_000, retryIf: isRecordNotFound });
 */
export async function retry<T>(task: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await task(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !options.retryIf(error)) throw error;
      const delay = options.delayMs(attempt);
      options.onRetry?.(error, attempt, delay);
      await wait(delay);
    }
  }
}
