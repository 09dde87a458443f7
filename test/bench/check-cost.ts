/**
 * @module bench/check-cost
 * The update check's own cost and the snapshots' memory, without HTTP or a database: snapshots are built straight
 * from generated rows (`buildSnapshot`, what `ReleaseCache` builds from its query) for 1, 100 and 10,000 apps of
 * 100 releases each, and `answerCheckFromMemory` (update/check.ts, what the node:http listener runs per check,
 * rate limit and analytics included) is timed over them, each check asking for another app in turn.
 *
 * Run by `npm run bench` as its own process with `--expose-gc` (so the heap is measured after a collection):
 * `node --expose-gc test/bench/check-cost.ts`. `BENCH_SNAPSHOT_APPS=1,100,10000` and `BENCH_COST_ROUNDS=7` override.
 * The app counts are measured in interleaved rounds (1, 100, 10,000, then the other way round, …) and the median
 * per count is reported, so a slow phase of a shared machine lands on every count alike.
 *
 * Then the license index (licensing/index.ts) holding 100,000 licenses (`BENCH_LICENSES`), filled through its
 * `read` seam from generated rows shaped as its query returns them (each license its own policy object, one
 * install counted), its memory, and a licensed check from memory (the gate's HMAC and Map get, then selection
 * among the releases the license may have) beside an open check of an app of the same shape.
 * `BENCH_LICENSED=0` skips it.
 *
 * Last, the rate limit's count (`RATE_LIMITS=off` against on) in this one process, interleaved: what it adds to a
 * check, judged against a response's CPU when `npm run bench` passes `BENCH_RESPONSE_CPU_US` (npm start's, from its
 * rounds). Two server processes, one with the limiter and one without, differ by more than that from one run to the
 * next, whichever has the limiter.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { LicenseGate } from '../../api/_src/licensing/gate.ts';
import { LicenseIndex, type LoadedLicense, MAX_CREDENTIALS } from '../../api/_src/licensing/index.ts';
import { generateLicenseKey, type LicenseKey } from '../../api/_src/licensing/license-key.ts';
import { installIdDigest } from '../../api/_src/licensing/machines.ts';
import { testDigester } from '../../api/_src/licensing/testing.ts';
import { answerCheckFromMemory, type UpdateCheckDeps } from '../../api/_src/update/check.ts';
import { benchRateLimits, checkDeps, noDatabase } from './check-deps.ts';
import { type CheckRequest, plainCheckUrl } from '../../api/_src/update/check-request.ts';
import { type AppSnapshot, buildSnapshot, type ReleaseInput } from '../../api/_src/update/snapshot.ts';

const APP_COUNTS = (process.env.BENCH_SNAPSHOT_APPS ?? '1,100,10000').split(',').map(Number);
const RELEASES_PER_APP = 100;
const ROUNDS = Number(process.env.BENCH_COST_ROUNDS ?? 7);
/** Checks per timed round: for one app (hot in the CPU caches), and spread over all apps (mostly cold). */
const CHECKS_PER_ROUND = { hot: 200_000, spread: 50_000 };
type Workload = keyof typeof CHECKS_PER_ROUND;
/**
 * One artifact per release: at 10,000 apps that is already a million precomputed answers (a few GiB); an app with
 * more platforms costs about that per artifact more (`per artifact` in the report).
 */
const ARTIFACTS = [{ platform: 'linux-x86_64', bundle: 'appimage', file: (v: string) => `app_${v}_amd64.AppImage` }];
/** A minisign signature as Tauri embeds it (base64 of the .sig file, about 400 characters), different per file. */
const SIGNATURES = Array.from({ length: 64 }, () => Buffer.from(`untrusted comment: signature from tauri secret key\n${randomBytes(74).toString('base64')}\ntrusted comment: timestamp:1700000000\tfile:x\n${randomBytes(56).toString('base64')}\n`).toString('base64'));
let signatures = 0;
const signature = () => `${SIGNATURES[signatures % SIGNATURES.length]}${(signatures++).toString(36).padStart(4, '0')}`;

function generatedRows(appIndex: number): ReleaseInput[] {
  const releases: ReleaseInput[] = [];
  for (let r = 0; r < RELEASES_PER_APP; r++) {
    const version = `1.${r}.0`;
    const id = `${appIndex}-r${r}`;
    releases.push({
      id, version, notes: `Release ${version}: fixes and improvements.`, channel: 'stable', rollout_percent: 100,
      pub_date: new Date(Date.UTC(2026, 0, 1) + r * 86_400_000), created_at: new Date(Date.UTC(2026, 0, 1)),
      artifacts: ARTIFACTS.map((a, i) => ({
        id: `${id}-a${i}`, platform: a.platform, bundle: a.bundle, signature: signature(), storage_key: `app-${appIndex}/releases/${version}/${a.file(version)}`,
        file_name: a.file(version), size: 50_000_000, sha256: `${i}`.padStart(64, '0'), is_default: false,
      })),
    });
  }
  return releases;
}

function buildSnapshots(count: number): Map<string, AppSnapshot> {
  const snapshots = new Map<string, AppSnapshot>();
  for (let i = 0; i < count; i++) {
    const slug = `app-${count}-${i}`;
    const { snapshot } = buildSnapshot({ id: `id-${count}-${i}`, slug, public_key: null }, generatedRows(i), { publicUrl: () => null, baseUrl: 'https://updates.example.com' });
    snapshots.set(slug, snapshot);
  }
  return snapshots;
}

const gc = (globalThis as { gc?: () => void }).gc;
function usedBytes(): number {
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  // The 200 bodies are Buffers: their bytes are outside the JS heap, in `external`.
  return usage.heapUsed + usage.external;
}

/** One request per app, as the listener hands them over (parsed from a plain URL); each asks from the oldest release. */
function requestsFor(snapshots: Map<string, AppSnapshot>): CheckRequest[] {
  const headers = { get: () => null };
  return [...snapshots.keys()].map((slug) => ({ ...plainCheckUrl(`/update/${slug}/linux/x86_64/1.0.0?bundle_type=appimage`)!, headers, peer: '127.0.0.1' }));
}

/** Nanoseconds per check: all for the first app (`hot`), or each for the next app in turn (`spread`). */
function timeChecks(deps: UpdateCheckDeps, requests: readonly CheckRequest[], workload: Workload): number {
  const checks = CHECKS_PER_ROUND[workload];
  const apps = workload === 'hot' ? 1 : requests.length;
  let ok = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < checks; i++) {
    if (answerCheckFromMemory(deps, requests[i % apps]!)?.status === 200) ok++;
  }
  const ns = Number(process.hrtime.bigint() - started) / checks;
  if (ok !== checks) throw new Error(`only ${ok} of ${checks} checks answered 200`);
  return ns;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

interface Measured { apps: number; deps: UpdateCheckDeps; requests: CheckRequest[]; bytes: number; buildSeconds: number; ns: Record<Workload, number[]> }

/** Each count against the first in the same round (seconds apart), as the HTTP bench pairs with bare node:http. */
function printWorkload(sets: readonly Measured[], workload: Workload, title: string, judged: boolean): void {
  const rows = sets.map((set) => ({ ...set, median: median(set.ns[workload]), paired: median(set.ns[workload].map((ns, i) => ns / sets[0]!.ns[workload][i]!)) }));
  console.log(`  ${title}:`);
  for (const row of rows) {
    console.log(`    ${String(row.apps).padStart(6)} app(s): ${row.median.toFixed(0).padStart(6)} ns per check, ${row.paired.toFixed(2)}× ${rows[0]!.apps} app(s) ` +
      `(rounds ${row.ns[workload].map((n) => n.toFixed(0)).join(', ')})`);
  }
  const worst = rows.reduce((a, b) => (b.paired > a.paired ? b : a));
  if (!judged) {
    console.log(`    (not judged: the extra time is the memory's latency for a snapshot out of the CPU caches, not work that grows with the app count)`);
    return;
  }
  console.log(`    flat within 10 % (no count above 1.10× ${rows[0]!.apps} app(s)): the highest, ${worst.apps} app(s), at ${worst.paired.toFixed(2)}× ` +
    `(median of paired rounds)   ${worst.paired <= 1.1 ? 'PASS' : 'FAIL'}`);
}

const LICENSES = Number(process.env.BENCH_LICENSES ?? 100_000);
/** The one install each license has counted (its policy allows 3), which its checks send. */
const installId = (i: number) => `install-${String(i).padStart(8, '0')}`;

/** One license as the index's query returns it: fresh objects per row, as the database driver makes them. */
function generatedLicense(i: number, appId: string, storedDigest: string, withInstall: boolean): NonNullable<LoadedLicense> {
  // Flat, as the driver's strings are: `randomUUID()` returns a rope of ~20 pieces (~480 bytes until flattened).
  const id = JSON.parse(JSON.stringify(randomUUID())) as string;
  const machines = new Set(withInstall ? [installIdDigest(id, installId(i))] : []);
  return {
    state: {
      id, appId: `${appId}`.slice(0), revision: 1, machines,
      license: { status: 'active', expiresAt: null, entitlements: [], createdAt: new Date(Date.now() - i * 1000), firstCheckedAt: null },
      policy: { durationDays: 365, expiryStrategy: 'fallback', expirationBasis: 'created', graceDays: 0, maxMachines: withInstall ? 3 : null, entitlements: [], patchLineAfterExpiry: false },
    },
    storedDigest,
    machines,
  };
}

/**
 * The index with `LICENSES` licenses of `appId`, each loaded on first sight of its key (as the server does), and what
 * it holds in memory then, and again once each license has been checked once from memory (its install sent when it
 * has one), which is when the index also holds the memoized `Authorization` value and access of the hot ones
 * (index.ts `MAX_CREDENTIALS`, the last checked).
 */
async function filledIndex(keys: readonly LicenseKey[], appId: string, withInstall: boolean): Promise<{ index: LicenseIndex; bytes: number; checkedBytes: number; seconds: number }> {
  let next = 0;
  const before = usedBytes();
  const started = Date.now();
  const index = new LicenseIndex(noDatabase, testDigester(), {
    ttlMs: 1e12,
    read: async (by) => ('candidates' in by ? generatedLicense(next++, appId, by.candidates[0]!, withInstall) : null),
  });
  for (let i = 0; i < keys.length; i += 1_000) await Promise.all(keys.slice(i, i + 1_000).map((key) => index.lookup(key)));
  const seconds = (Date.now() - started) / 1000;
  const bytes = usedBytes() - before;
  if (next !== keys.length || index.statements !== keys.length) throw new Error(`the index read ${next} licenses for ${keys.length} keys`);
  const gate = new LicenseGate(index, benchRateLimits());
  keys.forEach((key, i) => {
    // Each value a string of its own, as each request's header is.
    const authorization = `License ${key.reveal()}`;
    const grant = gate.grantFromMemory({ appId, headers: { get: (name) => (name === 'authorization' ? authorization : null) }, installId: withInstall ? installId(i) : null, peer: '127.0.0.1' });
    if (grant === null) throw new Error(`license ${i} was not granted from memory`);
  });
  // The memo keeps the hot set only (index.ts `MAX_CREDENTIALS`): the last keys checked.
  const memoized = Math.min(keys.length, MAX_CREDENTIALS);
  if (index.memoizedCredentials !== memoized) throw new Error(`${index.memoizedCredentials} keys memoized, not ${memoized}`);
  return { index, bytes, checkedBytes: usedBytes() - before, seconds };
}

/** The license index's memory, and licensed checks from memory beside open ones on apps of the same shape. */
async function measureLicensed(): Promise<void> {
  const keys = Array.from({ length: LICENSES }, () => generateLicenseKey());
  console.log(`\n  license index (licensing/index.ts) with ${LICENSES} licenses, each loaded through its read seam from a generated row; JS heap + external after a full GC:`);
  const bare = await filledIndex(keys, 'id-licensed', false);
  const { index, bytes, checkedBytes, seconds } = await filledIndex(keys, 'id-licensed', true);
  for (const [what, filled] of [['no machine limit, no install', bare], ['a 3-install limit, one install counted', { bytes, checkedBytes, seconds }]] as const) {
    console.log(`    ${what.padEnd(40)} ${mib(filled.bytes).padStart(10)} loaded (${(filled.bytes / LICENSES).toFixed(0)} bytes per license; filled in ${filled.seconds.toFixed(1)} s), ` +
      `${mib(filled.checkedBytes)} after one check each (${(filled.checkedBytes / LICENSES).toFixed(0)} bytes per license); ` +
      `target ≤ 50 MB at 100,000   ${LICENSES >= 100_000 ? (Math.max(filled.bytes, filled.checkedBytes) <= 50e6 ? 'PASS' : 'FAIL') : '(not judged: fewer licenses)'}`);
  }

  const urls = { publicUrl: () => null, baseUrl: 'https://updates.example.com' };
  const snapshots = new Map<string, AppSnapshot>([
    ['open-app', buildSnapshot({ id: 'id-open', slug: 'open-app', public_key: null }, generatedRows(0), urls).snapshot],
    ['licensed-app', buildSnapshot({ id: 'id-licensed', slug: 'licensed-app', public_key: null, licensing: 'licensed' }, generatedRows(1), urls).snapshot],
  ]);
  const deps = checkDeps(snapshots, index);
  const request = (slug: string, headers: Record<string, string>): CheckRequest => ({
    ...plainCheckUrl(`/update/${slug}/linux/x86_64/1.0.0?bundle_type=appimage`)!, headers: { get: (name: string) => headers[name] ?? null }, peer: '127.0.0.1',
  });
  const open = [request('open-app', { 'x-install-id': installId(0) })];
  const licensed = keys.map((key, i) => request('licensed-app', { authorization: `License ${key.reveal()}`, 'x-install-id': installId(i) }));
  const runs = { open: () => timeChecks(deps, open, 'hot'), 'licensed, one key': () => timeChecks(deps, licensed, 'hot'), 'licensed, each check another key': () => timeChecks(deps, licensed, 'spread') };
  const ns = Object.fromEntries(Object.keys(runs).map((name) => [name, [] as number[]]));
  for (const run of Object.values(runs)) run();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? Object.entries(runs).reverse() : Object.entries(runs);
    for (const [name, run] of order) ns[name]!.push(run());
  }
  console.log(`  a check from memory, licensed beside open (apps of ${RELEASES_PER_APP} releases; median of ${ROUNDS} interleaved rounds):`);
  for (const [name, values] of Object.entries(ns)) {
    const paired = median(values.map((v, i) => v / ns.open![i]!));
    console.log(`    ${name.padEnd(32)} ${median(values).toFixed(0).padStart(6)} ns per check, ${paired.toFixed(2)}× open (rounds ${values.map((n) => n.toFixed(0)).join(', ')})`);
  }
}

const LIMITER_COST = 0.05;

/** The rate limit's count in one process: one app's checks with the limiter on and off, in interleaved rounds. */
function measureLimiter(): void {
  const snapshots = buildSnapshots(1);
  const requests = requestsFor(snapshots);
  const runs = { on: checkDeps(snapshots), off: checkDeps(snapshots, undefined, false) };
  const ns: Record<keyof typeof runs, number[]> = { on: [], off: [] };
  for (const deps of Object.values(runs)) timeChecks(deps, requests, 'hot');
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) ns[name].push(timeChecks(runs[name], requests, 'hot'));
  }
  const added = median(ns.on.map((on, i) => on - ns.off[i]!));
  console.log(`\n  the rate limit's count in one process (one app, ${CHECKS_PER_ROUND.hot} checks a round, median of ${ROUNDS} interleaved rounds):`);
  console.log(`    limiter on ${median(ns.on).toFixed(0)} ns, off ${median(ns.off).toFixed(0)} ns per check: ${added.toFixed(0)} ns added (rounds ${ns.on.map((on, i) => (on - ns.off[i]!).toFixed(0)).join(', ')})`);
  const responseMicros = Number(process.env.BENCH_RESPONSE_CPU_US);
  if (!(responseMicros > 0)) {
    console.log('    (not judged: no response CPU given; `npm run bench` passes npm start\'s as BENCH_RESPONSE_CPU_US)');
    return;
  }
  const share = added / (responseMicros * 1000);
  console.log(`    limiter on within ${LIMITER_COST * 100} % of off: ${(share * 100).toFixed(2)} % of a response's ${responseMicros.toFixed(1)} µs of CPU (npm start's, in the rounds above)   ${share <= LIMITER_COST ? 'PASS' : 'FAIL'}`);
}

async function main(): Promise<void> {
  if (!gc) console.log('  (run without --expose-gc: memory figures include garbage)');
  const sets: Measured[] = [];
  for (const apps of APP_COUNTS) {
    const before = usedBytes();
    const started = Date.now();
    const snapshots = buildSnapshots(apps);
    const buildSeconds = (Date.now() - started) / 1000;
    const bytes = usedBytes() - before;
    sets.push({ apps, deps: checkDeps(snapshots), requests: requestsFor(snapshots), bytes, buildSeconds, ns: { hot: [], spread: [] } });
  }
  // Warm-up: compiled, and every app's answer touched once.
  for (const set of sets) for (const workload of ['hot', 'spread'] as const) timeChecks(set.deps, set.requests, workload);
  for (let round = 0; round < ROUNDS; round++) {
    for (const set of round % 2 ? [...sets].reverse() : sets) {
      for (const workload of ['hot', 'spread'] as const) set.ns[workload].push(timeChecks(set.deps, set.requests, workload));
    }
  }
  console.log(`\n  snapshot memory (JS heap + Buffers after a full GC), ${RELEASES_PER_APP} releases × ${ARTIFACTS.length} artifact per app, built from generated rows:`);
  for (const set of sets) {
    console.log(`    ${String(set.apps).padStart(6)} app(s): ${mib(set.bytes).padStart(10)} (${kib(set.bytes / set.apps)} per app, ` +
      `${kib(set.bytes / set.apps / RELEASES_PER_APP / ARTIFACTS.length)} per release), built in ${set.buildSeconds.toFixed(1)} s`);
  }
  console.log(`\n  the check alone (update/check.ts answerCheckFromMemory: parse, select, ETag, rate limit, analytics), median of ${ROUNDS} interleaved rounds`);
  printWorkload(sets, 'hot', `every check for one app, the others loaded beside it (${CHECKS_PER_ROUND.hot} checks a round): does work grow with the app count?`, true);
  printWorkload(sets, 'spread', `each check for the next app in turn (${CHECKS_PER_ROUND.spread} a round): every check's snapshot cold in the CPU caches`, false);
  sets.length = 0;
  if (process.env.BENCH_LICENSED !== '0') await measureLicensed();
  measureLimiter();
}

await main();
