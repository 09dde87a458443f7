/**
 * @module bench/measure
 * Interleaved wrk rounds after one warm-up each, in alternating order (A B C, C B A, A B C, …), so that a machine
 * whose speed drifts during the run (a shared host: these VMs have phases of seconds where every server, bare
 * node:http included, runs at half speed) skews every server alike. Each of our rounds sits right next to a bare
 * round in both orders, which is what the report pairs; figures are also aggregated per server. Around each round it also
 * reads the CPU time the server's own processes used (/proc/<pid>/stat), which tells what a response costs
 * even when other work on the machine takes CPU away from the server.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { ProbeStats } from './probe.ts';
import { runWrk, type WrkResult } from './wrk.ts';

export interface Target {
  name: string;
  url: string;
  /** Request headers wrk sends (`Name: value`): a licensed check's `Authorization`. */
  headers?: readonly string[];
  /** The server process running probe.ts, to read its database counters around each measured round. */
  probe?: ChildProcess;
  /** The processes serving (read at each round: nginx's worker may be replaced), for their CPU time. */
  pids(): number[];
}

export interface MeasureOptions {
  connections: number;
  threads: number;
  warmupSeconds: number;
  rounds: number;
  roundSeconds: number;
  /** CPUs for wrk (`taskset -c`), when servers are pinned. */
  cpus?: string | undefined;
}

export interface DbWork {
  statements: number;
  /** `ReleaseCache.loads` difference, or null if the probe could not see it. */
  loads: number | null;
  /** `UsageAnalytics.flushes` difference (one statement each, on a timer, not per check), or null if not seen. */
  analyticsFlushes: number | null;
  /** `LicenseIndex.statements` difference (license reloads, once per TTL), or null if not seen. */
  licenseStatements?: number | null;
  /** Wall-clock seconds of each measured round, for the cache-refresh allowance. */
  roundSeconds: number[];
}

export interface Aggregate {
  name: string;
  rounds: WrkResult[];
  requests: number;
  requestsPerSecond: number;
  /** Medians over the rounds, milliseconds. */
  p50: number;
  p99: number;
  minRps: number;
  maxRps: number;
  non2xx: number;
  socketErrors: number;
  /** Server CPU (user + system) per response over all rounds, microseconds; null without /proc. */
  cpuMicrosPerResponse: number | null;
  /** Server CPU used per second of wall clock over all rounds (1.0 = one full core). */
  cores: number | null;
  /** 1-minute load average at the start of each round. */
  loads: number[];
  db?: DbWork;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds of `pids` so far, or null when /proc cannot tell (not Linux, process gone). */
export function cpuSeconds(pids: readonly number[]): number | null {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces), from `state`: utime is the 12th, stime the 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return null;
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

export function probeStats(child: ChildProcess): Promise<ProbeStats> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server probe did not answer bench:stats')), 5_000);
    child.once('message', (message) => { clearTimeout(timer); resolve(message as ProbeStats); });
    child.send('bench:stats');
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function measureInRounds(targets: readonly Target[], options: MeasureOptions): Promise<Aggregate[]> {
  const load = { connections: options.connections, threads: options.threads, cpus: options.cpus };
  for (const target of targets) {
    console.log(`  warm-up ${options.warmupSeconds} s: ${target.name}`);
    await runWrk(target.url, { ...load, headers: target.headers, durationSeconds: options.warmupSeconds });
  }
  const results = new Map(targets.map((t) => [t.name, [] as WrkResult[]]));
  const cpu = new Map(targets.map((t) => [t.name, { seconds: 0 as number | null, loads: [] as number[] }]));
  const db = new Map(targets.filter((t) => t.probe).map((t) => [t.name, { statements: 0, loads: 0 as number | null, analyticsFlushes: 0 as number | null, licenseStatements: 0 as number | null, roundSeconds: [] as number[] }]));
  for (let round = 1; round <= options.rounds; round++) {
    const line: string[] = [];
    const order = round % 2 === 1 ? targets : [...targets].reverse();
    for (const target of order) {
      const before = target.probe && (await probeStats(target.probe));
      const pids = target.pids();
      const usage = cpu.get(target.name)!;
      usage.loads.push(loadavg()[0]!);
      const cpuBefore = cpuSeconds(pids);
      const startedAt = Date.now();
      const result = await runWrk(target.url, { ...load, headers: target.headers, durationSeconds: options.roundSeconds });
      const cpuAfter = cpuSeconds(pids);
      usage.seconds = usage.seconds === null || cpuBefore === null || cpuAfter === null ? null : usage.seconds + cpuAfter - cpuBefore;
      const after = target.probe && (await probeStats(target.probe));
      results.get(target.name)!.push(result);
      line.push(`${target.name} ${Math.round(result.requestsPerSecond)}`);
      const work = db.get(target.name);
      if (work && before && after) {
        work.statements += after.statements - before.statements;
        work.loads = work.loads === null || after.releaseCacheLoads === null || before.releaseCacheLoads === null
          ? null : work.loads + after.releaseCacheLoads - before.releaseCacheLoads;
        // No flush before the round (e.g. the first one): none was counted, so the difference is from zero.
        work.analyticsFlushes = work.analyticsFlushes === null || after.analyticsFlushes === null
          ? null : work.analyticsFlushes + after.analyticsFlushes - (before.analyticsFlushes ?? 0);
        work.licenseStatements = work.licenseStatements === null || after.licenseStatements === null
          ? null : work.licenseStatements + after.licenseStatements - (before.licenseStatements ?? 0);
        work.roundSeconds.push((Date.now() - startedAt) / 1000);
      }
    }
    console.log(`  round ${round}/${options.rounds} (${options.roundSeconds} s each, req/s): ${line.join(', ')}`);
  }
  return targets.map((target) => {
    const rounds = results.get(target.name)!;
    const requests = rounds.reduce((sum, r) => sum + r.requests, 0);
    const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
    const rps = rounds.map((r) => r.requestsPerSecond);
    const usage = cpu.get(target.name)!;
    return {
      name: target.name, rounds, requests, requestsPerSecond: requests / seconds,
      p50: median(rounds.map((r) => r.p50)), p99: median(rounds.map((r) => r.p99)),
      minRps: Math.min(...rps), maxRps: Math.max(...rps),
      non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0), socketErrors: rounds.reduce((sum, r) => sum + r.socketErrors, 0),
      cpuMicrosPerResponse: usage.seconds === null ? null : (usage.seconds / Math.max(requests, 1)) * 1e6,
      cores: usage.seconds === null ? null : usage.seconds / seconds,
      loads: usage.loads,
      ...(db.has(target.name) ? { db: db.get(target.name)! } : {}),
    };
  });
}
