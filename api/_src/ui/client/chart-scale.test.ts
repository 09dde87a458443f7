import { describe, expect, it } from '@jest/globals';
import { compactCount, daysBetween, foldTail, formatShare, labelStride, niceTicks, shortDay, totalsByDay, windowEnding } from './chart-scale.ts';

describe('niceTicks', () => {
  it('rounds the top up to a 1-2-5 step', () => {
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(100)).toEqual([0, 50, 100]);
    expect(niceTicks(101)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(1234)).toEqual([0, 500, 1000, 1500]);
  });

  it('never steps below one whole count', () => {
    expect(niceTicks(1)).toEqual([0, 1]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
  });

  it('gives an empty or broken series a 0–1 axis', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(Number.NaN)).toEqual([0, 1]);
    expect(niceTicks(-5)).toEqual([0, 1]);
  });
});

describe('UTC windows', () => {
  it('ends with today in UTC, whatever the time of day', () => {
    expect(windowEnding(new Date('2026-11-22T23:59:59Z'), 7)).toEqual({ from: '2026-11-16', to: '2026-11-22' });
    expect(windowEnding(new Date('2026-03-01T00:00:00Z'), 30)).toEqual({ from: '2026-01-31', to: '2026-03-01' });
    expect(windowEnding(new Date('2026-11-22T12:00:00Z'), 1)).toEqual({ from: '2026-11-22', to: '2026-11-22' });
  });

  it('lists every day of a window, across a month end', () => {
    expect(daysBetween('2026-10-30', '2026-11-02')).toEqual(['2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02']);
    expect(daysBetween('2026-11-02', '2026-11-01')).toEqual([]);
    expect(daysBetween('nope', '2026-11-01')).toEqual([]);
  });

  it('sums rows per day and fills the missing days with zeros', () => {
    const rows = [
      { day: '2026-11-01', version: '1.0.0', downloads: 3 },
      { day: '2026-11-01', version: '1.1.0', downloads: 4 },
      { day: '2026-11-03', version: '1.1.0', downloads: 1 },
      { day: '2026-10-01', version: '0.9.0', downloads: 99 },
    ];
    expect(totalsByDay(rows, '2026-11-01', '2026-11-04', (row) => row.downloads)).toEqual([
      { day: '2026-11-01', value: 7 },
      { day: '2026-11-02', value: 0 },
      { day: '2026-11-03', value: 1 },
      { day: '2026-11-04', value: 0 },
    ]);
  });
});

describe('labels', () => {
  it('shortens days the same in every locale', () => {
    expect(shortDay('2026-11-03')).toBe('Nov 3');
    expect(shortDay('2026-01-31')).toBe('Jan 31');
    expect(shortDay('soon')).toBe('soon');
  });

  it('labels few enough bars to fit', () => {
    expect(labelStride(7, 8)).toBe(1);
    expect(labelStride(30, 8)).toBe(4);
    expect(labelStride(90, 8)).toBe(12);
  });

  it('formats shares and counts', () => {
    expect(formatShare(0.4567)).toBe('45.7 %');
    expect(formatShare(1)).toBe('100 %');
    expect(formatShare(0.5)).toBe('50 %');
    expect(formatShare(0.0004)).toBe('< 0.1 %');
    expect(formatShare(0)).toBe('0 %');
    expect(compactCount(999)).toBe('999');
    expect(compactCount(1500)).toBe('1.5k');
    expect(compactCount(12_345)).toBe('12k');
    expect(compactCount(2_500_000)).toBe('2.5M');
  });
});

describe('foldTail', () => {
  const rows = ['1.4.0', '1.3.0', '1.2.0', '1.1.0'].map((version, i) => ({ version, share: [0.5, 0.3, 0.15, 0.05][i]!, units: [10, 6, 3, 1][i]! }));

  it('sums the versions past the first few into one row', () => {
    expect(foldTail(rows, 2)).toEqual([
      { label: '1.4.0', share: 0.5, units: 10 },
      { label: '1.3.0', share: 0.3, units: 6 },
      { label: '2 other versions', share: expect.closeTo(0.2, 10), units: 4 },
    ]);
  });

  it('never folds a single version', () => {
    expect(foldTail(rows, 3).map((row) => row.label)).toEqual(['1.4.0', '1.3.0', '1.2.0', '1.1.0']);
  });
});
