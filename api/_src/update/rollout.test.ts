import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { parseVersion } from '../protocol/semver.ts';
import { inCohort } from '../protocol/rollout.ts';
import { parseInstallId } from './rollout.ts';
import { selectUpdate } from './select.ts';
import { buildSnapshot, type ReleaseInput } from './snapshot.ts';

const INSTALLS = Array.from({ length: 10_000 }, () => randomUUID());

const release = (version: string, rollout_percent: number, rollout_seed = randomUUID()): ReleaseInput => ({
  id: `r-${version}`,
  version,
  notes: null,
  channel: 'stable',
  rollout_percent,
  rollout_seed,
  pub_date: null,
  created_at: new Date('2026-11-01T00:00:00Z'),
  artifacts: [
    { id: `a-${version}`, platform: 'linux-x86_64', bundle: 'appimage', signature: 'c2ln', storage_key: `k-${version}`, file_name: `f-${version}`, size: 1, sha256: '0'.repeat(64), is_default: false },
  ],
});
const snapshotOf = (...releases: ReleaseInput[]) =>
  buildSnapshot({ id: 'app', slug: 'app', public_key: null }, releases, { publicUrl: () => null, baseUrl: 'http://x' }).snapshot;
const check = (current: string, installId: string | null) => ({
  current: parseVersion(current),
  os: 'linux' as const,
  arch: 'x86_64' as const,
  bundle: null,
  channel: 'stable',
  installId,
});

/** The version each install is offered (null: nothing). */
function served(snapshot: ReturnType<typeof snapshotOf>, current: string, installs: readonly (string | null)[]) {
  return installs.map((id) => {
    const selection = selectUpdate(snapshot, check(current, id));
    return selection.kind === 'update' ? selection.release.versionText : null;
  });
}

describe('staged rollout cohorts', () => {
  it.each([5, 25, 50, 99])('serves %i%% of 10,000 random installs within ±2 points, the rest the previous full release', (percent) => {
    const snapshot = snapshotOf(release('2.0.0', percent), release('1.9.0', 100));
    const versions = served(snapshot, '1.0.0', INSTALLS);
    const share = (versions.filter((v) => v === '2.0.0').length / INSTALLS.length) * 100;
    expect(Math.abs(share - percent)).toBeLessThanOrEqual(2);
    // Outside the cohort is not "nothing": it is the newest release the install is eligible for.
    expect(versions.filter((v) => v !== '2.0.0').every((v) => v === '1.9.0')).toBe(true);
  });

  it('only adds installs when the percentage is raised 10 → 30 → 60, and only removes them when it is lowered', () => {
    const seed = randomUUID();
    const cohorts = [10, 30, 60].map((percent) => {
      const versions = served(snapshotOf(release('2.0.0', percent, seed), release('1.9.0', 100)), '1.0.0', INSTALLS);
      return new Set(INSTALLS.filter((_, i) => versions[i] === '2.0.0'));
    });
    for (let step = 1; step < cohorts.length; step++) {
      const [before, after] = [cohorts[step - 1]!, cohorts[step]!];
      expect([...before].filter((id) => !after.has(id))).toEqual([]); // nobody removed
      expect(after.size).toBeGreaterThan(before.size); // and some added
    }
  });

  it.each([
    { case: 'no install id at 50%', id: null, percent: 50, expected: '1.9.0' },
    { case: 'no install id at 100%', id: null, percent: 100, expected: '2.0.0' },
    { case: 'an install at 0% (paused)', id: INSTALLS[0]!, percent: 0, expected: '1.9.0' },
    { case: 'an install at 100%', id: INSTALLS[0]!, percent: 100, expected: '2.0.0' },
  ])('$case gets $expected', ({ id, percent, expected }) => {
    expect(served(snapshotOf(release('2.0.0', percent), release('1.9.0', 100)), '1.0.0', [id])).toEqual([expected]);
  });

  it('gives nothing to an install outside the cohort when the previous full release is not newer than it', () => {
    const seed = randomUUID();
    const outside = INSTALLS.find((id) => !inCohort(50, seed, id))!;
    const snapshot = snapshotOf(release('2.0.0', 50, seed), release('1.9.0', 100));
    expect(selectUpdate(snapshot, check('1.9.0', outside))).toEqual({ kind: 'up_to_date', staged: true });
    expect(selectUpdate(snapshot, check('2.0.0', outside))).toEqual({ kind: 'up_to_date', staged: false });
  });

  it('offers an older staged release whose cohort includes the install when the newer one does not', () => {
    const [newSeed, oldSeed] = [randomUUID(), randomUUID()];
    const id = INSTALLS.find((i) => !inCohort(10, newSeed, i) && inCohort(50, oldSeed, i))!;
    const snapshot = snapshotOf(release('2.0.0', 10, newSeed), release('1.9.0', 50, oldSeed), release('1.8.0', 100));
    expect(served(snapshot, '1.0.0', [id])).toEqual(['1.9.0']);
  });
});

describe('install ids', () => {
  it.each([
    [null, undefined, null],
    ['0b7d7e2c-7f6e-4bd0-9a65-1f6b8f1f3a11', undefined, '0b7d7e2c-7f6e-4bd0-9a65-1f6b8f1f3a11'],
    [null, '01JD3ZQ5X8B6W1R2T3Y4U5I6O7', '01JD3ZQ5X8B6W1R2T3Y4U5I6O7'],
    ['same-id-123', 'same-id-123', 'same-id-123'],
  ])('header %s, query %s → %s', (header, query, expected) => {
    expect(parseInstallId(header, query)).toBe(expected);
  });

  it.each([
    ['short', undefined, 'invalid install id "short"'],
    ['has space 1234', undefined, 'invalid install id'],
    [null, '', 'invalid install id ""'],
    [null, 'x'.repeat(129), 'invalid install id'],
    ['ünïcode-id-1234', undefined, 'invalid install id'],
    ['header-id-1234', 'query-id-12345', 'differ'],
  ])('header %j, query %j → 400 (%s)', (header, query, message) => {
    expect(() => parseInstallId(header, query)).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining(message) }));
  });
});
