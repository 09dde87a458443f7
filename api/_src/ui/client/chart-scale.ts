/**
 * @module ui/client/chart-scale
 * The arithmetic behind the dashboard's plain-SVG charts (charts.tsx) and the Insight page: round axis ticks, the
 * UTC days of a window, per-day totals with the missing days filled in as zeros (the analytics API lists only days
 * that have counts), and short labels. No DOM here, so all of it is unit-tested.
 */

const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Axis ticks from 0 to a round maximum at or above `max`, about `count` steps apart, with steps of 1, 2 or 5 × 10ⁿ
 * (never below 1: the charts count whole events). An empty series still gets an axis, 0 to 1.
 */
export function niceTicks(max: number, count = 4): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const rough = top / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= rough) ?? 10 * magnitude);
  const ticks: number[] = [];
  for (let value = 0; value < top + step; value += step) {
    ticks.push(value);
    if (value >= top) break;
  }
  return ticks;
}

/** YYYY-MM-DD of a date, in UTC (the analytics API counts per UTC day). */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The `days` UTC days ending with `today`'s, as the API's inclusive `from`/`to`. */
export function windowEnding(today: Date, days: number): { from: string; to: string } {
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return { from: utcDay(new Date(end - (Math.max(1, days) - 1) * DAY_MS)), to: utcDay(new Date(end)) };
}

/** Every UTC day from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end)) return [];
  const days: string[] = [];
  for (let at = start; at <= end; at += DAY_MS) days.push(utcDay(new Date(at)));
  return days;
}

/** Sums `value(row)` per day over the window; days without rows are 0, rows outside the window are ignored. */
export function totalsByDay<T extends { day: string }>(rows: T[], from: string, to: string, value: (row: T) => number): { day: string; value: number }[] {
  const totals = new Map(daysBetween(from, to).map((day) => [day, 0]));
  for (const row of rows) {
    const current = totals.get(row.day);
    if (current !== undefined) totals.set(row.day, current + value(row));
  }
  return [...totals].map(([day, total]) => ({ day, value: total }));
}

/** "Nov 3" for 2026-11-03: short enough for an axis at 375 px, the same in every locale. */
export function shortDay(day: string): string {
  const [, month, date] = /^\d{4}-(\d{2})-(\d{2})$/.exec(day) ?? [];
  if (!month || !date) return day;
  return `${MONTHS[Number(month) - 1] ?? month} ${Number(date)}`;
}

/** Label every n-th of `count` bars so that at most `maxLabels` labels show (the last bar always gets one). */
export function labelStride(count: number, maxLabels: number): number {
  if (count <= maxLabels || maxLabels < 1) return 1;
  return Math.ceil(count / maxLabels);
}

/** 0.4567 → "45.7 %", 1 → "100 %", tiny shares → "< 0.1 %". */
export function formatShare(share: number): string {
  if (share <= 0) return '0 %';
  if (share < 0.001) return '< 0.1 %';
  const percent = share * 100;
  return `${Number.isInteger(Math.round(percent * 10) / 10) ? Math.round(percent) : percent.toFixed(1)} %`;
}

/** 1234567 → "1.2M", 12345 → "12k", 999 → "999": for axis ticks. */
export function compactCount(value: number): string {
  if (value >= 1_000_000) return `${trim(value / 1_000_000)}M`;
  if (value >= 10_000) return `${Math.round(value / 1000)}k`;
  if (value >= 1000) return `${trim(value / 1000)}k`;
  return String(value);
}

const trim = (value: number) => (Math.round(value * 10) / 10).toString();

/** The first `keep` rows as they are, the rest summed into one "Other versions" row (only if there are at least two). */
export function foldTail(rows: { version: string; share: number; units: number }[], keep: number): { label: string; share: number; units: number }[] {
  const labelled = (row: { version: string; share: number; units: number }) => ({ label: row.version, share: row.share, units: row.units });
  if (rows.length <= keep + 1) return rows.map(labelled);
  const tail = rows.slice(keep);
  return [
    ...rows.slice(0, keep).map(labelled),
    { label: `${tail.length} other versions`, share: tail.reduce((sum, row) => sum + row.share, 0), units: tail.reduce((sum, row) => sum + row.units, 0) },
  ];
}
