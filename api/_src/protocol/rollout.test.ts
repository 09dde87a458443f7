import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { inCohort, murmur3, ROLLOUT_BUCKETS, rolloutBucket } from './rollout.ts';

const INSTALLS = Array.from({ length: 10_000 }, () => randomUUID());

describe('rollout cohorts', () => {
  it('draws a different cohort for each release (per-release seed), so the same installs are not always first', () => {
    const first = new Set(INSTALLS.filter((id) => inCohort(20, 'seed-of-release-a', id)));
    const second = INSTALLS.filter((id) => inCohort(20, 'seed-of-release-b', id));
    const overlap = second.filter((id) => first.has(id)).length / second.length;
    // Independent cohorts overlap by about the percentage itself (20%), not 100%.
    expect(overlap).toBeGreaterThan(0.1);
    expect(overlap).toBeLessThan(0.3);
  });

  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['hello', 0, 0x248bfa47],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ])('computes MurmurHash3_x86_32(%j, %i) as published', (text, seed, expected) => {
    expect(murmur3(text, seed)).toBe(expected);
  });

  it('buckets an install as documented: MurmurHash3(seed ‖ id) mod 10,000', () => {
    expect(rolloutBucket('0b7d7e2c-7f6e-4bd0-9a65-1f6b8f1f3a11', 'install-1')).toBe(murmur3('0b7d7e2c-7f6e-4bd0-9a65-1f6b8f1f3a11install-1') % 10_000);
  });

  it('keeps buckets in range and stable for the same seed and id', () => {
    for (const id of INSTALLS.slice(0, 100)) {
      const bucket = rolloutBucket('seed', id);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(ROLLOUT_BUCKETS);
      expect(rolloutBucket('seed', id)).toBe(bucket);
    }
  });
});
