import { afterEach, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { attachPoolToFluidCompute, onVercelFunction } from './fluid-pool.ts';

const CONTEXT = Symbol.for('@vercel/request-context');
const holder = globalThis as { [CONTEXT]?: unknown };

afterEach(() => {
  delete holder[CONTEXT];
});

describe('attachPoolToFluidCompute', () => {
  it('keeps the instance up after each release until the idle timeout has closed the connection', async () => {
    const kept: Promise<unknown>[] = [];
    holder[CONTEXT] = { get: () => ({ waitUntil: (promise: Promise<unknown>) => kept.push(promise) }) };
    const pool = new EventEmitter();
    attachPoolToFluidCompute(pool, 50);

    pool.emit('release');
    expect(kept).toHaveLength(1);
    let settled = false;
    void kept[0]!.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false); // 50 ms idle timeout + 100 ms margin
    // A later release settles the earlier wait and starts its own, timed from the release itself (timed after the
    // next turn, a busy machine's late turn was counted against the wait).
    const started = performance.now();
    pool.emit('release');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(settled).toBe(true);
    expect(kept).toHaveLength(2);
    await kept[1];
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('does nothing outside a request context (npm start, tests, builds)', () => {
    const pool = new EventEmitter();
    attachPoolToFluidCompute(pool, 50);
    expect(() => pool.emit('release')).not.toThrow();
  });

  it('knows a Vercel function by VERCEL_URL and VERCEL_REGION together', () => {
    expect(onVercelFunction({ VERCEL_URL: 'x.vercel.app', VERCEL_REGION: 'fra1' })).toBe(true);
    expect(onVercelFunction({ VERCEL_URL: 'x.vercel.app' })).toBe(false);
    expect(onVercelFunction({})).toBe(false);
  });
});
