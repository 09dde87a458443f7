/**
 * @module bench/update-check
 * `npm run bench`: the update check's throughput and latency on loopback, next to two baselines serving the very
 * same response bytes and headers — a bare `node:http` server and nginx (one worker) — plus the database work the
 * check does in steady state, and then the check's own cost and the snapshots' memory (check-cost.ts).
 *
 * Measured in the same interleaved rounds: `npm start`'s server (the real `api/_src/local.ts`, in its own process)
 * and the built Vercel function (`npm run build:vercel`'s bundle, run first, served by node:http as Vercel's Node.js
 * launcher serves it; vercel-function.ts). Both read the same data (shared-data.ts: the machine's PostgreSQL through
 * the Neon driver and its WebSocket relay, and an s3rver bucket), seeded once through the admin API of `npm start`'s
 * server with real signed artifacts, so all serve the same snapshot, byte for byte. Database work is counted in
 * `npm start`'s server by `probe.ts`, preloaded with `--import` and read over IPC around each measured round, so
 * nothing is added to the request path.
 *
 * Prints figures and pass/fail against the targets; exits 0 whatever the figures, non-zero only if the harness
 * itself failed. Every process it starts is stopped on the way out, and a watchdog bounds the whole run.
 * `BENCH_POLICY=1` runs it with release policy active: `beta` follows `stable`, a newer release is on beta at a 25%
 * staged rollout, and the check asks for `channel=beta` with an install id outside that cohort, so every check
 * resolves the channel, hashes the id into its bucket and falls back to the previous full release (the longest path).
 * `npm start`'s server runs twice, in the same interleaved rounds: with the rate limiter on (its limit raised so
 * that wrk's one address is counted on every check but never refused: what is measured is the cost of counting)
 * and with `RATE_LIMITS=off`; the report prints both ratios to bare node:http and how far apart they are, not judged:
 * two processes of one server differ by more than the limiter costs, so check-cost.ts judges its count in one process,
 * against npm start's CPU per response here.
 * A licensed app (licensed.ts: seeded like the bench app, then a yearly `fallback` policy and one active license
 * written as rows) is checked on `npm start`'s server in the same rounds, with `Authorization: License <key>`, next
 * to the open check it is paired with; the report prints it beside the open one (throughput, p99, CPU per response,
 * database statements per check). The `RATE_LIMITS=off` process serves the same licensed rounds, unreported, so that
 * the two differ in the limiter alone. `BENCH_LICENSED=0` skips them.
 * `BENCH_SOURCE=github` serves the app from a repository on a local fake GitHub (test/support/fake-github.ts) instead
 * of storage: the same check, answered from the same snapshot; the report adds how many requests GitHub got during
 * the measured rounds (the target is none).
 * `BENCH_ROUNDS=n` measures n rounds instead of 10 (a quick look; the verdicts want the full run).
 * `BENCH_BUILD=0` measures the function already in .vercel/output instead of building it first.
 * `BENCH_COMPARE_FUNCTION=<dir>` measures another built function (a copy of an `index.func` folder) beside it, in the
 * same rounds: how the Vercel entry's composition was chosen (see the README's Performance section).
 * `BENCH_COST=0` skips the check's cost and memory; `BENCH_SNAPSHOT_APPS` and `BENCH_COST_ROUNDS` shorten it.
 * `BENCH_PIN_CPUS=1` pins each server to the last CPU and wrk to the others (better on a quiet machine with
 * several CPUs; worse on a busy shared one, where the pinned CPU is also someone else's).
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RunningServer, startServer } from '../support/server.ts';
import { parseRemoteRelease } from '../support/tauri.ts';
import type { Fixture } from './bare-server.ts';
import { measureInRounds } from './measure.ts';
import { startNginx } from './nginx.ts';
import { get, pin, processTree, type RawResponse, rawGet, runSync, startService, waitForOk, withoutDate } from './process.ts';
import { LICENSED_ENV, LICENSED_PATH, assertLicensedAnswers, seedLicensedApp } from './licensed.ts';
import { printLicensed, printReport } from './report.ts';
import { type FakeGithub, startFakeGithub } from '../support/fake-github.ts';
import { seedGithub, seedPolicy, seedRelease } from './seed.ts';
import { startSharedData } from './shared-data.ts';
import { BUILT_FUNCTION_DIR, buildVercelFunction, type RunningFunction, startVercelFunction } from './vercel-function.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Many short rounds rather than a few long ones: more pairs for the median, each pair closer together in time.
 * One wrk thread: on a 2-CPU machine wrk and the measured server then get a CPU each. With two, wrk's threads and the
 * server queue for the same CPUs and the wait shows up in every server's p99, nginx's included (in one run on this
 * project's VMs: nginx 4.4 ms with two threads, 1.1 ms with one; the built function 8.2 and 3.8 ms).
 * `BENCH_WRK_THREADS` overrides it.
 */
const MEASURE = { connections: 64, threads: Number(process.env.BENCH_WRK_THREADS ?? 1), warmupSeconds: 3, rounds: Number(process.env.BENCH_ROUNDS ?? 10), roundSeconds: 2 };
/** High enough that wrk's one address is never refused, so the limiter counts every check and refuses none. */
const BENCH_UPDATES_PER_MINUTE = 1_000_000_000;
const LIMITER_OFF = 'tauri-release, RATE_LIMITS=off';
const OURS = 'tauri-release (npm start)';
const LICENSED = process.env.BENCH_LICENSED !== '0';
const OURS_LICENSED = 'tauri-release (npm start), licensed app';
const LIMITER_OFF_LICENSED = `${LIMITER_OFF}, licensed app`;
const FUNCTION = 'built Vercel function';
const COMPARE_FUNCTION = process.env.BENCH_COMPARE_FUNCTION;
/**
 * The server's default TTL, so the bench measures the steady state `npm start` runs in: snapshots reloaded in
 * the background shortly before they expire, a few of those reloads inside the measured rounds. (With 5 s, the
 * server sat idle past its TTL while the references were measured, so every round began from an expired
 * snapshot, with 64 clients waiting on a cold load: a state that steady traffic never reaches.)
 * `BENCH_CACHE_TTL_SECONDS` overrides it.
 */
const CACHE_TTL_SECONDS = Number(process.env.BENCH_CACHE_TTL_SECONDS ?? 15);
const WATCHDOG_MS = 600_000;
const POLICY = process.env.BENCH_POLICY === '1';
const SOURCE = process.env.BENCH_SOURCE ?? 'storage';
if (SOURCE !== 'storage' && SOURCE !== 'github') throw new Error(`BENCH_SOURCE must be storage or github, not ${SOURCE}`);
if (SOURCE === 'github' && POLICY) throw new Error('BENCH_SOURCE=github and BENCH_POLICY=1 are measured separately');
let github: FakeGithub | undefined;
const PLAIN_PATH = '/update/bench-app/linux/x86_64/1.0.0?bundle_type=appimage';
/** Set once the install id is chosen (POLICY only). */
let CHECK_PATH = PLAIN_PATH;
/** Headers that describe the connection or the moment, not the response; each server sets its own. */
const PER_CONNECTION = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

const CPUS = Number(runSync('nproc', [], 5_000).output.trim()) || 1;
const PINNED = process.env.BENCH_PIN_CPUS === '1' && CPUS >= 2;
const SERVER_CPU = PINNED ? CPUS - 1 : undefined;
const WRK_CPUS = PINNED ? `0-${CPUS - 2}` : undefined;

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const stops: (() => Promise<void>)[] = [];

/** Last resort (watchdog, Ctrl-C): kill what we started, by pid, and remove our temp dirs. */
function killEverything(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

function ensureTools(): void {
  const install = runSync(join(ROOT, '.ci', 'system-packages.sh'), [], 300_000);
  if (install.code !== 0) throw new Error(`.ci/system-packages.sh failed:\n${install.output}`);
  for (const tool of ['wrk', 'nginx', 'minisign', 'taskset']) {
    if (runSync('sh', ['-c', `command -v ${tool}`], 5_000).code !== 0) throw new Error(`${tool} is not installed (see .ci/apt-packages.txt)`);
  }
}

/** `npm start`'s server on the shared data, with the probe. */
async function startOurs(env: Record<string, string>): Promise<RunningServer> {
  const server = await startServer({
    nodeArgs: ['--import', join(ROOT, 'test', 'bench', 'probe.ts')],
    ipc: true,
    env: { UPDATE_CACHE_TTL_SECONDS: String(CACHE_TTL_SECONDS), ...(github ? { GITHUB_API_URL: github.url } : {}), ...env },
  });
  children.add(server.child);
  tempDirs.add(server.dataDir);
  stops.push(() => server.stop());
  return server;
}

async function startFunction(name: string, dir: string, env: Record<string, string>): Promise<RunningFunction> {
  const fn = await startVercelFunction(name, dir, {
    UPDATE_CACHE_TTL_SECONDS: String(CACHE_TTL_SECONDS), ...(github ? { GITHUB_API_URL: github.url } : {}), ...env,
  });
  children.add(fn.service.child);
  stops.push(() => fn.service.stop());
  return fn;
}

const artifacts = (version: string) => [
  { platform: 'linux-x86_64', bundle: 'appimage', fileName: `bench-app_${version}_amd64.AppImage` },
  { platform: 'linux-x86_64', bundle: 'deb', fileName: `bench-app_${version}_amd64.deb` },
  { platform: 'windows-x86_64', bundle: 'nsis', fileName: `bench-app_${version}_x64-setup.exe` },
  { platform: 'darwin-aarch64', bundle: 'app', fileName: `bench-app_${version}_aarch64.app.tar.gz` },
];

/** Seeds the app through `server`'s admin API (seen by every server on the shared data); returns one check's response. */
async function seed(server: RunningServer, work: string) {
  const release = { slug: 'bench-app', version: '2.0.0', notes: 'Benchmark release.', artifactBytes: 64 * 1024, artifacts: artifacts('2.0.0') };
  const keys = github
    ? await seedGithub(server, work, github, { ...release, repository: `bench/${server.port}` })
    : await seedRelease(server, work, release);
  if (POLICY) {
    await seedPolicy(server, work, keys, {
      slug: 'bench-app', version: '2.1.0-beta.1', notes: 'Staged beta.', artifactBytes: 64 * 1024, artifacts: artifacts('2.1.0-beta.1'),
      channel: 'beta', rolloutPercent: 25,
    });
    CHECK_PATH = await installOutsideCohort(server.url);
    // Saving the same channels again drops the cached snapshot, so the recorded check below is a cold load again.
    await server.admin('/admin/apps/bench-app/channels', {
      method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ channels: [{ name: 'beta', follows: 'stable' }] }),
    }).then((res) => res.text());
  }
  const recorded = await get(`${server.url}${CHECK_PATH}`);
  if (recorded.status !== 200) throw new Error(`update check answered ${recorded.status}: ${recorded.body.toString('utf8')}`);
  parseRemoteRelease(JSON.parse(recorded.body.toString('utf8'))); // a response the Tauri client accepts, or this throws
  return recorded;
}

/** A beta check with an install id the 25% rollout does not include: it is offered the previous full release. */
async function installOutsideCohort(base: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const path = `${PLAIN_PATH}&channel=beta&install_id=bench-install-${String(i).padStart(4, '0')}`;
    const res = await get(`${base}${path}`);
    const version = res.status === 200 ? (JSON.parse(res.body.toString('utf8')) as { version: string }).version : null;
    if (version === '2.0.0') return path;
    if (version !== '2.1.0-beta.1') throw new Error(`policy check answered ${res.status}: ${res.body.toString('utf8')}`);
  }
  throw new Error('no install id out of a 25% cohort in 100 tries');
}

async function startBaselines(work: string, recorded: RawResponse, headers: Record<string, string>) {
  const barePort = await freePort();
  const fixture: Fixture = { status: 200, headers, body: recorded.body.toString('base64') };
  await writeFile(join(work, 'fixture.json'), JSON.stringify(fixture));
  const bare = startService('bare node:http', process.execPath, [join(ROOT, 'test', 'bench', 'bare-server.ts'), join(work, 'fixture.json'), String(barePort)]);
  children.add(bare.child);
  stops.push(() => bare.stop());
  await waitForOk(bare, `http://127.0.0.1:${barePort}${CHECK_PATH}`);
  if (SERVER_CPU !== undefined) pin(bare.child.pid!, String(SERVER_CPU));

  const nginxPort = await freePort();
  const nginx = await startNginx(join(work, 'nginx'), nginxPort, { headers, body: recorded.body }, { cpu: SERVER_CPU });
  children.add(nginx.child);
  stops.push(() => nginx.stop());
  await waitForOk(nginx, `http://127.0.0.1:${nginxPort}${CHECK_PATH}`);
  const version = runSync('nginx', ['-v'], 5_000).output.trim().replace(/^nginx version: nginx\//, '');
  return [
    { name: 'bare node:http', url: `http://127.0.0.1:${barePort}${CHECK_PATH}`, pids: () => [bare.child.pid!] },
    // The master and its one worker, which does the serving.
    { name: `nginx ${version}`, url: `http://127.0.0.1:${nginxPort}${CHECK_PATH}`, pids: () => processTree(nginx.child.pid!) },
  ];
}

/**
 * The check's own cost and the snapshots' memory, in a process of its own once the servers are stopped;
 * `responseCpuMicros` is npm start's CPU per response in the rounds, against which it judges the rate limit's count.
 */
function measureCheckCost(responseCpuMicros: number | null): void {
  if (process.env.BENCH_COST === '0') return;
  console.log('\nbench: the check alone and the snapshots\' memory (test/bench/check-cost.ts, snapshots built from generated rows)…');
  const result = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', join(ROOT, 'test', 'bench', 'check-cost.ts')],
    { stdio: 'inherit', timeout: 300_000, env: { ...process.env, ...(responseCpuMicros === null ? {} : { BENCH_RESPONSE_CPU_US: String(responseCpuMicros) }) } });
  if (result.status !== 0) throw new Error(`check-cost.ts failed (${result.error?.message ?? result.signal ?? `exit ${result.status}`})`);
}

async function main(): Promise<void> {
  let responseCpuMicros: number | null = null;
  ensureTools();
  const work = await mkdtemp(join(tmpdir(), 'tauri-release-bench-'));
  tempDirs.add(work);
  try {
    if (SOURCE === 'github') {
      github = await startFakeGithub();
      stops.push(() => github!.close());
    }
    if (process.env.BENCH_BUILD !== '0') {
      console.log('bench: building the Vercel function (npm run build:vercel)…');
      buildVercelFunction();
    }
    const shared = await startSharedData();
    stops.push(() => shared.close());
    console.log(`bench: starting api/_src/local.ts and the built function on one PostgreSQL database and one s3rver bucket, seeding through the admin API${POLICY ? ', with release policy (BENCH_POLICY=1)' : ''}${github ? `, served from GitHub Releases on a fake GitHub at ${github.url} (BENCH_SOURCE=github)` : ''}…`);
    const env = { ...shared.env, ...(LICENSED ? LICENSED_ENV : {}) };
    const limited = { ...env, RATE_LIMIT_UPDATES_PER_MINUTE: String(BENCH_UPDATES_PER_MINUTE) };
    // Seeded through a server of its own, stopped before the rounds, so that every measured server (npm start's two
    // and the function) starts on the seeded data having served nothing but checks. A process that also served the
    // seeding's admin traffic measured 0.64-0.72x bare instead of 0.80-0.84x (README, Performance).
    const seeder = await startOurs(limited);
    const recorded = await seed(seeder, work);
    const authorization = LICENSED ? await seedLicensedApp(seeder, work, shared.env, artifacts('2.0.0')) : null;
    await seeder.stop();
    const server = await startOurs(limited);
    const unlimited = await startOurs({ ...env, RATE_LIMITS: 'off' });
    const fn = await startFunction(FUNCTION, BUILT_FUNCTION_DIR, limited);
    const compared = COMPARE_FUNCTION ? await startFunction(`built function (${basename(COMPARE_FUNCTION)})`, COMPARE_FUNCTION, limited) : null;
    const servers = [server.child, unlimited.child, fn.service.child, ...(compared ? [compared.service.child] : [])];
    if (SERVER_CPU !== undefined) for (const child of servers) pin(child.pid!, String(SERVER_CPU));
    const headers = Object.fromEntries(Object.entries(recorded.headers).filter(([name]) => !PER_CONNECTION.has(name)));
    console.log(`bench: recorded ${recorded.body.length} body bytes with headers ${JSON.stringify(headers)}`);
    const baselines = await startBaselines(work, recorded, headers);

    // Same bytes and same headers from all, or the comparison means nothing (and the servers would not share a snapshot).
    const ours = { name: OURS, url: `${server.url}${CHECK_PATH}`, probe: server.child, pids: () => [server.child.pid!] };
    // On the same process as `ours`, right before it in every round's order, so each licensed round pairs with an open one.
    const licensed = authorization === null ? [] : [{ ...ours, name: OURS_LICENSED, url: `${server.url}${LICENSED_PATH}`, headers: [`Authorization: ${authorization}`] }];
    if (authorization !== null) await assertLicensedAnswers(server.url, authorization);
    const withoutLimiter = { name: LIMITER_OFF, url: `${unlimited.url}${CHECK_PATH}`, pids: () => [unlimited.child.pid!] };
    const functions = [fn, ...(compared ? [compared] : [])].map((f) => ({ name: f.service.name, url: `${f.url}${CHECK_PATH}`, pids: () => [f.service.child.pid!] }));
    for (const target of [withoutLimiter, ...functions, ...baselines]) {
      const res = await get(target.url);
      if (!res.body.equals(recorded.body)) throw new Error(`${target.name} does not serve the recorded body`);
      const mismatched = Object.entries(headers).filter(([name, value]) => res.headers[name] !== value);
      if (mismatched.length) throw new Error(`${target.name} differs in headers ${JSON.stringify(mismatched)}`);
    }
    // On the wire, as wrk reads it: bare node:http must send exactly our bytes (Date aside); nginx cannot drop its
    // `Server` header or write Node's header case, so its size is shown instead.
    const wire = await Promise.all([ours, ...baselines, ...functions].map((t) => rawGet(t.url)));
    if (withoutDate(wire[1]!) !== withoutDate(wire[0]!)) {
      throw new Error(`bare node:http does not answer our bytes:\n--- ours\n${withoutDate(wire[0]!)}\n--- bare\n${withoutDate(wire[1]!)}`);
    }
    const sameAsOurs = (i: number) => (withoutDate(wire[i]!) === withoutDate(wire[0]!) ? 'identical but the Date value' : 'other header order or case');
    console.log(`bench: bytes per response on the wire: ${OURS} ${wire[0]!.length}, bare node:http ${wire[1]!.length} (identical but the Date value), ` +
      `nginx ${wire[2]!.length}, ${functions.map((t, i) => `${t.name} ${wire[3 + i]!.length} (${sameAsOurs(3 + i)})`).join(', ')}`);

    const layout = PINNED ? `servers pinned to CPU ${SERVER_CPU}, wrk to CPU ${WRK_CPUS}` : `${CPUS} CPUs shared by wrk and the servers (unpinned)`;
    console.log(`bench: wrk -t${MEASURE.threads} -c${MEASURE.connections} --latency; ${layout}; load average ${loadavg().map((n) => n.toFixed(1)).join(' ')}`);
    console.log(`bench: ${OURS} and ${FUNCTION} have the rate limiter on (RATE_LIMIT_UPDATES_PER_MINUTE=${BENCH_UPDATES_PER_MINUTE}: every check counted, none refused); ${LIMITER_OFF} beside them`);
    // Each of ours beside bare in either order (ours, bare, function, …; …, function, bare, ours), so each pairs closely.
    const [bare, nginx] = baselines;
    // The limiter's cost is `ours` against this process, so both serve the same kinds of checks in the same rounds:
    // licensed ones on a process make its open checks dearer (one run: `ours` 19.6 µs a check, this process 17.5 µs
    // with the licensed checks in a warm-up only, the function 17.8), which the comparison would charge to the limiter.
    const offLicensed = authorization === null ? [] : [{ ...withoutLimiter, name: LIMITER_OFF_LICENSED, url: `${unlimited.url}${LICENSED_PATH}`, headers: [`Authorization: ${authorization}`] }];
    if (authorization !== null) await assertLicensedAnswers(unlimited.url, authorization);
    const githubBefore = github?.requests.length ?? 0;
    const results = await measureInRounds([...licensed, ours, bare!, ...functions, ...offLicensed, withoutLimiter, nginx!], { ...MEASURE, cpus: WRK_CPUS });
    const githubDuring = github ? github.requests.length - githubBefore : 0;
    responseCpuMicros = results.find((r) => r.name === OURS)?.cpuMicrosPerResponse ?? null;
    printReport(results.filter((r) => r.name !== OURS_LICENSED && r.name !== LIMITER_OFF_LICENSED), { ours: OURS, bare: 'bare node:http', fn: FUNCTION, connections: MEASURE.connections, ttlSeconds: CACHE_TTL_SECONDS, cpus: CPUS, limiterOff: LIMITER_OFF });
    if (licensed.length) printLicensed(results, { open: OURS, licensed: OURS_LICENSED, ttlSeconds: CACHE_TTL_SECONDS });
    if (github) {
      console.log(`\n  GitHub requests during the measured rounds: ${githubDuring} (target 0; checks are answered from the snapshot)   ${githubDuring === 0 ? 'PASS' : 'FAIL'}`);
    }
    console.log(`\n  load average at the end: ${loadavg().map((n) => n.toFixed(1)).join(' ')} (other work on this machine skews absolute figures; ratios less so)`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error('bench: stop failed:', error));
    await rm(work, { recursive: true, force: true });
  }
  measureCheckCost(responseCpuMicros);
}

const watchdog = setTimeout(() => {
  console.error(`bench: the harness ran over ${WATCHDOG_MS / 1000} s; stopping everything`);
  killEverything();
  process.exit(2);
}, WATCHDOG_MS);
process.once('SIGINT', () => { killEverything(); process.exit(130); });

main().then(
  () => clearTimeout(watchdog),
  (error: unknown) => {
    clearTimeout(watchdog);
    console.error('bench: harness failed:', error instanceof Error ? error.message : error);
    killEverything();
    process.exitCode = 1;
  },
);
