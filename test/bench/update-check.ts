/**
 * @module bench/update-check
 * `npm run bench`: the update check's throughput and latency on loopback, next to two baselines serving the very
 * same response bytes and headers — a bare `node:http` server and nginx (one worker) — plus the database work the
 * check does in steady state.
 *
 * Our server is the real `api/local.ts` in its own process (fresh DATA_DIR, embedded PGlite), seeded through the
 * admin API with real signed artifacts. Database work is counted by `probe.ts`, preloaded with `--import` and read
 * over IPC before and after the measured run, so nothing is added to the request path.
 *
 * Prints figures and pass/fail against the targets; exits 0 whatever the figures, non-zero only if the harness
 * itself failed. Every process it starts is stopped on the way out, and a watchdog bounds the whole run.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RunningServer, startServer } from '../support/server.ts';
import { parseRemoteRelease } from '../support/tauri.ts';
import type { Fixture } from './bare-server.ts';
import { startNginx } from './nginx.ts';
import type { ProbeStats } from './probe.ts';
import { get, type RawResponse, runSync, type Service, startService, waitForOk } from './process.ts';
import { seedRelease } from './seed.ts';
import { runWrk, type WrkResult } from './wrk.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOAD = { connections: 64, threads: 2 };
const WARMUP_SECONDS = 3;
const MEASURE_SECONDS = 10;
const CACHE_TTL_SECONDS = 15; // the server's default, set explicitly so the DB target below can use it
const WATCHDOG_MS = 180_000;
const TARGET = { ratioToBare: 0.7, p99Ms: 5 };
const CHECK_PATH = '/update/bench-app/linux/x86_64/1.0.0?bundle_type=appimage';
/** Headers that describe the connection or the moment, not the response; each server sets its own. */
const PER_CONNECTION = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Last resort (watchdog, Ctrl-C): kill what we started, by pid, and remove our temp dirs. */
function killEverything(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

function ensureTools(): void {
  const install = runSync(join(ROOT, '.ci', 'system-packages.sh'), [], 300_000);
  if (install.code !== 0) throw new Error(`.ci/system-packages.sh failed:\n${install.output}`);
  for (const tool of ['wrk', 'nginx', 'minisign']) {
    if (runSync('sh', ['-c', `command -v ${tool}`], 5_000).code !== 0) throw new Error(`${tool} is not installed (see .ci/apt-packages.txt)`);
  }
}

function probeStats(child: ChildProcess): Promise<ProbeStats> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server probe did not answer bench:stats')), 5_000);
    child.once('message', (message) => { clearTimeout(timer); resolve(message as ProbeStats); });
    child.send('bench:stats');
  });
}

function comparable(res: RawResponse): Record<string, string> {
  return Object.fromEntries(Object.entries(res.headers).filter(([name]) => !PER_CONNECTION.has(name)));
}

interface DbWork { statements: number; loads: number | null; seconds: number }

/** Warm-up, then the measured run; with `probed`, the server's database counters are read around the measured run. */
async function measure(name: string, url: string, probed?: ChildProcess): Promise<{ result: WrkResult; db?: DbWork }> {
  process.stdout.write(`  ${name}: warm-up ${WARMUP_SECONDS} s, `);
  await runWrk(url, { ...LOAD, durationSeconds: WARMUP_SECONDS });
  const before = probed && (await probeStats(probed));
  const startedAt = Date.now();
  process.stdout.write(`measuring ${MEASURE_SECONDS} s… `);
  const result = await runWrk(url, { ...LOAD, durationSeconds: MEASURE_SECONDS });
  const after = probed && (await probeStats(probed));
  console.log(`${Math.round(result.requestsPerSecond)} req/s`);
  if (!before || !after) return { result };
  const loads = after.releaseCacheLoads === null || before.releaseCacheLoads === null ? null : after.releaseCacheLoads - before.releaseCacheLoads;
  return { result, db: { statements: after.statements - before.statements, loads, seconds: (Date.now() - startedAt) / 1000 } };
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const pad = (text: string, width: number) => text.padEnd(width);
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');

async function main(): Promise<void> {
  ensureTools();
  const work = await mkdtemp(join(tmpdir(), 'tauri-release-bench-'));
  tempDirs.add(work);
  const stops: (() => Promise<void>)[] = [];
  try {
    console.log('bench: starting api/local.ts (PGlite, fresh DATA_DIR) and seeding it through the admin API…');
    const server: RunningServer = await startServer({
      nodeArgs: ['--import', join(ROOT, 'test', 'bench', 'probe.ts')],
      ipc: true,
      env: { UPDATE_CACHE_TTL_SECONDS: String(CACHE_TTL_SECONDS) },
    });
    children.add(server.child);
    tempDirs.add(server.dataDir);
    stops.push(() => server.stop());
    await seedRelease(server, work, {
      slug: 'bench-app', version: '2.0.0', notes: 'Benchmark release.', artifactBytes: 64 * 1024,
      artifacts: [
        { platform: 'linux-x86_64', bundle: 'appimage', fileName: 'bench-app_2.0.0_amd64.AppImage' },
        { platform: 'linux-x86_64', bundle: 'deb', fileName: 'bench-app_2.0.0_amd64.deb' },
        { platform: 'windows-x86_64', bundle: 'nsis', fileName: 'bench-app_2.0.0_x64-setup.exe' },
        { platform: 'darwin-aarch64', bundle: 'app', fileName: 'bench-app.app.tar.gz' },
      ],
    });

    // The first check after publishing is a cold load: it tells how many statements one cache load costs.
    const beforeCold = await probeStats(server.child);
    const recorded = await get(`${server.url}${CHECK_PATH}`);
    const afterCold = await probeStats(server.child);
    if (recorded.status !== 200) throw new Error(`update check answered ${recorded.status}: ${recorded.body.toString('utf8')}`);
    parseRemoteRelease(JSON.parse(recorded.body.toString('utf8'))); // a response the Tauri client would accept
    const statementsPerLoad = afterCold.statements - beforeCold.statements;
    const headers = comparable(recorded);
    console.log(`bench: recorded ${recorded.body.length} body bytes; headers ${JSON.stringify(headers)}`);

    const barePort = await freePort();
    const fixture: Fixture = { status: 200, headers, body: recorded.body.toString('base64') };
    await writeFile(join(work, 'fixture.json'), JSON.stringify(fixture));
    const bare: Service = startService('bare node:http', process.execPath, [join(ROOT, 'test', 'bench', 'bare-server.ts'), join(work, 'fixture.json'), String(barePort)]);
    children.add(bare.child);
    stops.push(() => bare.stop());
    await waitForOk(bare, `http://127.0.0.1:${barePort}${CHECK_PATH}`);

    const nginxPort = await freePort();
    const nginx = await startNginx(join(work, 'nginx'), nginxPort, { headers, body: recorded.body });
    children.add(nginx.child);
    stops.push(() => nginx.stop());
    await waitForOk(nginx, `http://127.0.0.1:${nginxPort}${CHECK_PATH}`);

    const targets = [
      { name: 'tauri-release', url: `${server.url}${CHECK_PATH}` },
      { name: 'bare node:http', url: `http://127.0.0.1:${barePort}${CHECK_PATH}` },
      { name: `nginx ${runSync('nginx', ['-v'], 5_000).output.trim().replace(/^nginx version: nginx\//, '')}`, url: `http://127.0.0.1:${nginxPort}${CHECK_PATH}` },
    ];
    // Same bytes and same headers from all three, or the comparison means nothing.
    for (const target of targets.slice(1)) {
      const res = await get(target.url);
      if (!res.body.equals(recorded.body)) throw new Error(`${target.name} does not serve the recorded body`);
      const mismatched = Object.entries(headers).filter(([name, value]) => res.headers[name] !== value);
      if (mismatched.length) throw new Error(`${target.name} differs in headers ${JSON.stringify(mismatched)}`);
    }

    console.log(`bench: wrk -t${LOAD.threads} -c${LOAD.connections} --latency, ${MEASURE_SECONDS} s each after a ${WARMUP_SECONDS} s warm-up; ${runSync('nproc', [], 5_000).output.trim()} CPUs shared by wrk and the server`);
    const results = new Map<string, WrkResult>();
    let db: DbWork | undefined;
    for (const target of targets) {
      const measured = await measure(target.name, target.url, target.name === 'tauri-release' ? server.child : undefined);
      results.set(target.name, measured.result);
      db ??= measured.db;
    }

    const ours = results.get('tauri-release')!;
    const bareResult = results.get('bare node:http')!;
    console.log('\n  server            requests/s       p50 ms   p99 ms   vs bare   non-2xx  socket errors');
    for (const [name, r] of results) {
      console.log(`  ${pad(name, 16)}  ${pad(fmt(r.requestsPerSecond, 0), 15)}  ${pad(fmt(r.p50), 7)}  ${pad(fmt(r.p99), 7)}  ${pad(`${fmt(r.requestsPerSecond / bareResult.requestsPerSecond)}×`, 8)}  ${pad(String(r.non2xx), 7)}  ${r.socketErrors}`);
    }

    // A cache refresh per TTL is the design; anything that grows with the number of checks is not.
    const refreshes = Math.ceil(db!.seconds / CACHE_TTL_SECONDS);
    const dbPass = db!.statements <= refreshes * Math.max(statementsPerLoad, 1) && (db!.loads === null || db!.loads <= refreshes);
    const ratio = ours.requestsPerSecond / bareResult.requestsPerSecond;
    console.log(`\n  database during the measured ${fmt(db!.seconds, 1)} s (${ours.requests} checks): ${db!.statements} statements, ` +
      `${db!.loads ?? 'unknown'} ReleaseCache loads (${(db!.statements / Math.max(ours.requests, 1)).toExponential(1)} statements/check; ` +
      `one cold load = ${statementsPerLoad} statement(s); TTL ${CACHE_TTL_SECONDS} s allows ${refreshes} refresh(es))`);
    console.log('\n  target                                         measured        result');
    console.log(`  throughput ≥ ${TARGET.ratioToBare}× bare node:http                  ${pad(`${fmt(ratio)}×`, 14)}  ${verdict(ratio >= TARGET.ratioToBare)}`);
    console.log(`  p99 < ${TARGET.p99Ms} ms                                    ${pad(`${fmt(ours.p99)} ms`, 14)}  ${verdict(ours.p99 < TARGET.p99Ms)}`);
    console.log(`  0 DB queries per check in steady state         ${pad(`${db!.statements} in window`, 14)}  ${verdict(dbPass)}`);
    if (ours.non2xx || ours.socketErrors) console.log(`\n  note: tauri-release had ${ours.non2xx} non-2xx responses and ${ours.socketErrors} socket errors during the run`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error('bench: stop failed:', error));
    await rm(work, { recursive: true, force: true });
  }
}

const watchdog = setTimeout(() => {
  console.error(`bench: the harness ran over ${WATCHDOG_MS / 1000} s; stopping everything`);
  killEverything();
  process.exit(2);
}, WATCHDOG_MS);
process.once('SIGINT', () => { killEverything(); process.exit(130); });

main().then(
  () => { clearTimeout(watchdog); },
  (error: unknown) => {
    clearTimeout(watchdog);
    console.error('bench: harness failed:', error instanceof Error ? error.message : error);
    killEverything();
    process.exitCode = 1;
  },
);
