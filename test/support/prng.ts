/**
 * @module test/support/prng
 * A seeded random source for property tests: the same seed always draws the same cases, so a failure names its
 * seed (`PROPERTY_SEED`) and can be replayed.
 */

/** The seed of this run: `PROPERTY_SEED` when set (to replay a failure), else a fresh one. */
export const PROPERTY_SEED = process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : Math.floor(Math.random() * 2 ** 32);

/** mulberry32: a small, well-mixed 32-bit PRNG. */
export function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return {
    int: (below: number) => Math.floor(next() * below),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}
export type Random = ReturnType<typeof prng>;
