/**
 * @module bench/cold-start
 * `npm run bench:cold-start` (also printed by `npm run bench`): how heavy the server is when it starts.
 *
 * - The Vercel entry: `npm run build:vercel` once, then the median time to `import()` the built function's
 *   `index.js` in 5 fresh Node processes (configured like production: Neon URL, S3 settings; nothing is reached,
 *   since the pool connects and the AWS SDK loads on first use), and the size of what that import loads (the entry
 *   chunk) beside the whole function (with the chunks loaded on first use: the AWS SDK, the dashboard).
 * - `npm start`'s idle RSS: the real `api/_src/local.ts` (with `npm start`'s Node flags) on a new data folder (first start: PGlite's initdb) and again
 *   on the same folder (restart), read from /proc once the server has answered `/health` and sat idle.
 *
 * `BENCH_BUILD=0` measures the function already in .vercel/output. Exits non-zero only if the harness failed.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/server.ts';
import { startService, waitForOk } from './process.ts';
import { BUILT_FUNCTION_DIR, buildVercelFunction } from './vercel-function.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMPORTS = 5;
export const COLD_IMPORT_TARGET_MS = 100;
export const IDLE_RSS_TARGET_MB = 250;
/** Idle at least this long after /health answers, then until RSS stops moving. */
const IDLE_MS = 3_000;

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number) => (bytes / 1e6).toFixed(2);

/** Production settings that make the entry start without reaching anything. */
const FUNCTION_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  DATABASE_URL: 'postgresql://bench:bench@127.0.0.1:9/bench',
  STORAGE_DRIVER: 's3',
  S3_ENDPOINT: 'http://127.0.0.1:9',
  S3_BUCKET: 'bench',
  S3_ACCESS_KEY_ID: 'bench',
  S3_SECRET_ACCESS_KEY: 'bench-secret',
  PUBLIC_URL: 'https://updates.example.com',
};

interface ImportCost {
  /** Wall-clock milliseconds, the figure the target is about. */
  ms: number;
  /** CPU milliseconds of the same import: steadier than wall time on a machine that others are loading. */
  cpuMs: number;
}

/** What importing the built entry costs in a fresh process (its start included: the entry awaits its deps). */
function coldImport(entry: string): ImportCost {
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(entry)});
    const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ ms: performance.now() - t, cpuMs: (u.user + u.system) / 1000 }));
    process.exit(0);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: FUNCTION_ENV, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`importing ${entry} failed: ${run.stderr || run.stdout}`);
  return JSON.parse(run.stdout) as ImportCost;
}

/** The entry and every chunk it imports statically (not `import()`), i.e. what a cold import reads and compiles. */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  // Minified ES modules: `import{a as b}from"./chunks/x.js"` or `import"./chunks/x.js"`; `import("…")` is lazy.
  for (const [, specifier] of code.matchAll(/\bimport\s*(?:[\w$*{][^"'()]*?from\s*)?["'](\.{1,2}\/[^"']+)["']/g)) {
    const path = join(dirname(file), specifier!);
    if (!seen.has(path)) staticImports(path, seen);
  }
  return seen;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

/** `npm start`'s Node flags and script, from package.json, run by the Node running this (Node 24). */
function npmStartArgs(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [, args = ''] = scripts.start!.split('.ci/node24.mjs');
  return args.trim().split(/\s+/).map((arg) => (arg.endsWith('.ts') ? join(ROOT, arg) : arg));
}

/** RSS once it has stopped moving: PGlite's start and the first queries briefly hold much more. */
async function settledRss(pid: number): Promise<number> {
  let previous = rssBytes(pid);
  for (let second = 0; second < 30; second++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = rssBytes(pid);
    if (second >= IDLE_MS / 1_000 && Math.abs(now - previous) < 2e6) return now;
    previous = now;
  }
  return previous;
}

/** `npm start`'s server on `dataDir`, idle after answering /health: its RSS. */
async function idleRss(dataDir: string): Promise<number> {
  const port = await freePort();
  const service = startService('npm start', process.execPath, npmStartArgs(), {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', DATA_DIR: dataDir, PORT: String(port), REQUEST_LOG: 'off' },
  });
  try {
    await waitForOk(service, `http://127.0.0.1:${port}/health`, 180_000);
    return await settledRss(service.child.pid!);
  } finally {
    await service.stop();
  }
}

async function main(): Promise<void> {
  if (process.env.BENCH_BUILD !== '0') {
    console.log('building the Vercel function (npm run build:vercel)…');
    buildVercelFunction();
  }
  const entry = join(BUILT_FUNCTION_DIR, 'index.js');
  const files = readdirSync(BUILT_FUNCTION_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
  const whole = files.reduce((sum, f) => sum + statSync(join(BUILT_FUNCTION_DIR, f)).size, 0);
  const atStart = [...staticImports(entry)].reduce((sum, f) => sum + statSync(f).size, 0);
  const imports = Array.from({ length: IMPORTS }, () => coldImport(entry));
  const coldMs = median(imports.map((i) => i.ms));
  console.log(`\nCold start (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs)`);
  console.log(`  Vercel entry import:   ${coldMs.toFixed(1)} ms median of ${IMPORTS} fresh processes (${imports.map((i) => i.ms.toFixed(0)).join(', ')}; CPU ${median(imports.map((i) => i.cpuMs)).toFixed(0)} ms)  ${coldMs < COLD_IMPORT_TARGET_MS ? 'PASS' : 'FAIL'} (< ${COLD_IMPORT_TARGET_MS} ms)`);
  console.log(`  function bundle:       ${mb(atStart)} MB loaded at start (the entry and the chunks it imports); ${mb(whole)} MB with the chunks loaded on first use`);

  const dataDir = await mkdtemp(join(tmpdir(), 'bench-cold-start-'));
  try {
    const first = await idleRss(dataDir);
    const restart = await idleRss(dataDir);
    console.log(`  npm start idle RSS:    ${mb(first)} MB on first start (initdb), ${mb(restart)} MB on restart  ${restart <= IDLE_RSS_TARGET_MB * 1e6 ? 'PASS' : 'FAIL'} (≤ ${IDLE_RSS_TARGET_MB} MB on restart)`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
