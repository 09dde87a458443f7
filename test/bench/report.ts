/**
 * @module bench/report
 * The bench's table and its targets. Figures only: the exit code never depends on them.
 */
import type { Aggregate } from './measure.ts';

export const TARGET = { ratioToBare: 0.7, p99Ms: 5 };

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join('   ')}`.trimEnd()).join('\n');
}

/** The most loads a window of `seconds` can hold when a load happens at most once per TTL: one at the start, then one per TTL. */
const allowedLoads = (roundSeconds: readonly number[], ttlSeconds: number) =>
  roundSeconds.reduce((sum, s) => sum + Math.floor(s / ttlSeconds) + 1, 0);

export function printReport(results: readonly Aggregate[], options: { ours: string; bare: string; ttlSeconds: number; statementsPerLoad: number }): void {
  const ours = results.find((r) => r.name === options.ours)!;
  const bare = results.find((r) => r.name === options.bare)!;
  console.log(`\n${table([
    ['server', 'requests/s', '(min–max of rounds)', 'p50 ms', 'p99 ms', 'vs bare', 'non-2xx', 'socket errors'],
    ...results.map((r) => [r.name, fmt(r.requestsPerSecond, 0), `${fmt(r.minRps, 0)}–${fmt(r.maxRps, 0)}`, fmt(r.p50), fmt(r.p99),
      `${fmt(r.requestsPerSecond / bare.requestsPerSecond)}×`, String(r.non2xx), String(r.socketErrors)]),
  ])}`);
  console.log('  (requests/s: all requests over all measured seconds; p50/p99: median over the rounds)');

  const db = ours.db!;
  const allowed = allowedLoads(db.roundSeconds, options.ttlSeconds);
  // A refresh per TTL is the design; anything that grows with the number of checks is not.
  const measuredSeconds = db.roundSeconds.reduce((a, b) => a + b, 0);
  // Analytics counts are written by time (one statement per flush, every 10 s plus the odd early one), never per check.
  const flushes = db.analyticsFlushes ?? 0;
  const allowedFlushes = Math.ceil(measuredSeconds / 5) + 1;
  const dbPass = db.statements - flushes <= allowed * Math.max(options.statementsPerLoad, 1) && (db.loads === null || db.loads <= allowed) &&
    flushes <= allowedFlushes;
  console.log(`\n  database during ${ours.name}'s measured ${fmt(measuredSeconds, 1)} s (${ours.requests} checks): ${db.statements} statements, ` +
    `${db.loads ?? 'unknown'} ReleaseCache loads = ${(db.statements / Math.max(ours.requests, 1)).toExponential(1)} statements/check.`);
  console.log(`  One cold load costs ${options.statementsPerLoad} statement(s); with the cache TTL at ${options.ttlSeconds} s these rounds allow at most ${allowed} load(s).`);
  console.log(`  Analytics: ${db.analyticsFlushes ?? 'unknown'} flush(es) of the in-memory counters, one statement each, whatever the number of checks (allowed: ${allowedFlushes}).`);

  const ratio = ours.requestsPerSecond / bare.requestsPerSecond;
  console.log(`\n${table([
    ['target', 'measured', 'result'],
    [`throughput ≥ ${TARGET.ratioToBare}× bare node:http`, `${fmt(ratio)}×`, verdict(ratio >= TARGET.ratioToBare)],
    [`p99 < ${TARGET.p99Ms} ms`, `${fmt(ours.p99)} ms (bare node:http ${fmt(bare.p99)} ms)`, verdict(ours.p99 < TARGET.p99Ms)],
    ['0 DB queries per check in steady state', `${db.statements} statements / ${ours.requests} checks`, verdict(dbPass)],
  ])}`);
  if (ours.non2xx || ours.socketErrors) console.log(`\n  note: ${ours.name} had ${ours.non2xx} non-2xx responses and ${ours.socketErrors} socket errors`);
}
