import { describe, expect, it } from '@jest/globals';
import { exponentialBackoff, retry } from './retry.ts';

describe('retry', () => {
  const noSleep = (slept: number[]) => async (ms: number) => void slept.push(ms);

  it('retries a retryable failure with the given delays, then returns the result', async () => {
    const slept: number[] = [];
    const retried: number[] = [];
    const result = await retry(
      async (attempt) => {
        if (attempt < 3) throw new Error(`flaky ${attempt}`);
        return attempt;
      },
      { attempts: 5, delayMs: exponentialBackoff(100), retryIf: () => true, sleep: noSleep(slept), onRetry: (_, n) => void retried.push(n) },
    );
    expect(result).toBe(3);
    expect(slept).toEqual([100, 200]);
    expect(retried).toEqual([1, 2]);
  });

  it('rethrows at once when the error is not retryable, and the last error when attempts run out', async () => {
    const slept: number[] = [];
    await expect(retry(async () => Promise.reject(new Error('fatal')), { attempts: 5, delayMs: () => 1, retryIf: () => false, sleep: noSleep(slept) })).rejects.toThrow('fatal');
    expect(slept).toEqual([]);
    let calls = 0;
    await expect(
      retry(async () => Promise.reject(new Error(`try ${++calls}`)), { attempts: 3, delayMs: () => 1, retryIf: () => true, sleep: noSleep(slept) }),
    ).rejects.toThrow('try 3');
  });

  it('caps exponential backoff', () => {
    expect([1, 2, 3, 4].map(exponentialBackoff(10, 35))).toEqual([10, 20, 35, 35]);
  });
});
