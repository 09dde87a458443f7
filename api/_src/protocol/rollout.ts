/**
 * @module protocol/rollout
 * Staged rollouts: which installs a release at some percentage is offered to (protocol/offer.ts). Pure and
 * import-free. An install is in a release's cohort when its bucket is below the release's percentage:
 *
 *   bucket = MurmurHash3_x86_32(release.rollout_seed ‖ install_id, seed 0) mod 10 000
 *   in cohort ⇔ bucket < rollout_percent × 100
 *
 * MurmurHash3 rather than SHA-256: nothing here is secret or adversarial (an install choosing its own id
 * only chooses its own cohort), and it must be cheap. Measured inside the running server, Node's native
 * SHA-256 (`crypto.hash`) cost about 8 µs of CPU per check, a quarter of the check's whole CPU time, while
 * this costs well under 0.1 µs; the cohort shares stay within the tested ±2 points.
 *
 * - Monotonic by construction: raising the percentage only adds installs (a bucket below 30 × 100 is below
 *   60 × 100), and lowering it only removes them; 0 is a pause (nobody), 100 is everybody.
 * - The seed is random per release (`releases.rollout_seed`, set on insert), so the installs that go first
 *   for one release are not the same ones that go first for the next.
 * - An install that sends no id is in no cohort: it gets a release only once it is at 100%.
 * - Percentages are integers 0–100 (the admin schema refuses 0.1, which some peers read as "0%").
 */
export const ROLLOUT_BUCKETS = 10_000;
const BUCKETS_PER_PERCENT = ROLLOUT_BUCKETS / 100;

/**
 * MurmurHash3 x86 32-bit of `text` taken as bytes: every character must be below U+0100 (install ids are
 * ASCII by update/rollout.ts `INSTALL_ID_PATTERN`; seeds are UUIDs).
 */
export function murmur3(text: string, seed = 0): number {
  let h = seed | 0;
  const length = text.length;
  const whole = length & ~3;
  let i = 0;
  for (; i < whole; i += 4) {
    let k = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 8) | (text.charCodeAt(i + 2) << 16) | (text.charCodeAt(i + 3) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest > 0) {
    let k = text.charCodeAt(i);
    if (rest > 1) k |= text.charCodeAt(i + 1) << 8;
    if (rest > 2) k |= text.charCodeAt(i + 2) << 16;
    k = Math.imul(k, 0xcc9e2d51);
    h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The install's bucket for one release, 0 ≤ bucket < 10 000. */
export function rolloutBucket(seed: string, installId: string): number {
  return murmur3(seed + installId) % ROLLOUT_BUCKETS;
}

/** Whether an install (null: it sent no id) is offered a release at `percent` with `seed`. */
export function inCohort(percent: number, seed: string, installId: string | null): boolean {
  if (percent >= 100) return true;
  if (percent <= 0 || installId === null) return false;
  return rolloutBucket(seed, installId) < percent * BUCKETS_PER_PERCENT;
}
