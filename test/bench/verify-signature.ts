/**
 * @module bench/verify-signature
 * `npm run bench:verify`: signature verification at ingest, on a 512 MiB artifact signed by the real Tauri signer.
 *
 * Streams the file from disk through `verifySignatureOfStream` and, in the same rounds, through a bare
 * `node:crypto` BLAKE2b-512 hash: the ratio shows what verification adds to hashing (it should be ≈ 1, as a
 * prehashed signature costs one hash plus two Ed25519 checks). RSS is sampled during every pass, and
 * `process.resourceUsage().maxRSS` is read before and after, to show memory stays flat whatever the file size.
 * Rounds alternate the two passes because load on a shared machine drifts. The file is written in 1 MiB blocks,
 * never held in memory, and removed on the way out.
 *
 * Prints figures and pass/fail against the targets; exits non-zero only if the harness or the verification failed.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySignatureOfStream } from '../../api/_src/protocol/minisign.ts';
import { generateTauriKey, tauriSign } from '../support/tauri-signer.ts';

const MIB = 1024 * 1024;
const FILE_BYTES = 512 * MIB;
const BLOCK_BYTES = MIB;
/** Node's default `highWaterMark` for file streams; larger chunks only make V8 collect freed buffers later. */
const READ_CHUNK = 64 * 1024;
const ROUNDS = 5;
const SAMPLE_EVERY_MS = 5;
/** Targets from the issue: streamed, so memory stays flat; and about as fast as hashing alone. */
const MAX_RSS_GROWTH_MB = 100;
const MIN_RATIO = 0.85;
const VERSION = '1.0.0';

const mb = (bytes: number) => bytes / 1e6;
const fmt = (value: number, digits = 0) => value.toFixed(digits).padStart(7);

/** 512 MiB of random-looking bytes: one random 1 MiB block, each copy stamped with its index. */
async function writeArtifact(path: string): Promise<void> {
  const block = randomFillSync(Buffer.alloc(BLOCK_BYTES));
  const file = await open(path, 'w');
  try {
    for (let i = 0; i < FILE_BYTES / BLOCK_BYTES; i++) {
      block.writeBigUInt64LE(BigInt(i), 0);
      await file.write(block, 0, BLOCK_BYTES);
    }
  } finally {
    await file.close();
  }
}

interface Pass {
  seconds: number;
  /** CPU time of this process (user + system, all threads) during the pass: steadier than wall time under load. */
  cpuSeconds: number;
  peakRss: number;
  /** Peak RSS while each quarter of the file was read: flat from the first quarter on means streamed. */
  quarterPeaks: number[];
}

/**
 * Runs `work` while sampling RSS against `bytesRead()`; the event loop turns between chunks, so the sampler
 * keeps running during the pass.
 */
async function measure(bytesRead: () => number, work: () => Promise<void>): Promise<Pass> {
  const quarterPeaks = [0, 0, 0, 0];
  const sample = () => {
    const quarter = Math.min(3, Math.floor((bytesRead() * 4) / FILE_BYTES));
    quarterPeaks[quarter] = Math.max(quarterPeaks[quarter]!, process.memoryUsage().rss);
  };
  sample();
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  const cpu = process.cpuUsage(cpuStart);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  sample();
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRss: Math.max(...quarterPeaks), quarterPeaks };
}

function hashPass(path: string): Promise<Pass> {
  const source = createReadStream(path, { highWaterMark: READ_CHUNK });
  return measure(
    () => source.bytesRead,
    async () => {
      const hash = createHash('blake2b512');
      for await (const chunk of source) hash.update(chunk as Buffer);
      hash.digest();
    },
  );
}

function verifyPass(path: string, signature: string, publicKey: string): Promise<Pass> {
  const source = createReadStream(path, { highWaterMark: READ_CHUNK });
  return measure(
    () => source.bytesRead,
    async () => {
      const result = await verifySignatureOfStream(source, signature, publicKey, { expectedVersion: VERSION });
      if (result.bytes !== FILE_BYTES) throw new Error(`verified ${result.bytes} bytes, expected ${FILE_BYTES}`);
    },
  );
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-verify-'));
  // Half a gigabyte must not outlive an interrupted run.
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const key = await generateTauriKey(dir, 'bench.key');
    const artifact = join(dir, 'bench_1.0.0_amd64.AppImage');
    let started = Date.now();
    await writeArtifact(artifact);
    console.log(`wrote ${FILE_BYTES / MIB} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    started = Date.now();
    const signature = await tauriSign(key, artifact, VERSION);
    console.log(`tauri signer sign --app-version ${VERSION}: ${((Date.now() - started) / 1000).toFixed(1)} s (Rust, includes key decryption)`);

    const baselineRss = process.memoryUsage().rss;
    const maxRssBefore = process.resourceUsage().maxRSS * 1024;
    const hashing: Pass[] = [];
    const verifying: Pass[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which pass goes first; the very first pass is a verification, so its RSS starts from the baseline.
      if (round % 2 === 0) verifying.push(await verifyPass(artifact, signature, key.publicKey));
      hashing.push(await hashPass(artifact));
      if (round % 2 === 1) verifying.push(await verifyPass(artifact, signature, key.publicKey));
    }
    const maxRssAfter = process.resourceUsage().maxRSS * 1024;

    const rate = (pass: Pass) => mb(FILE_BYTES) / pass.seconds;
    const cpuRate = (pass: Pass) => mb(FILE_BYTES) / pass.cpuSeconds;
    console.log(`\n${FILE_BYTES / MIB} MiB streamed from disk (page cache) in ${READ_CHUNK / 1024} KiB chunks (the fs and S3 stream default), ${ROUNDS} interleaved rounds; MB = 10^6 bytes`);
    console.log(`load average ${loadavg().map((load) => load.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`);
    console.log('                 wall-clock MB/s            MB per CPU-second');
    console.log('round      BLAKE2b  verify  ratio      BLAKE2b  verify  ratio     peak RSS MB (hash / verify)');
    for (let round = 0; round < ROUNDS; round++) {
      const h = hashing[round]!;
      const v = verifying[round]!;
      console.log(
        `${String(round + 1).padStart(5)}      ${fmt(rate(h))} ${fmt(rate(v))}   ${(rate(v) / rate(h)).toFixed(2)}      ` +
          `${fmt(cpuRate(h))} ${fmt(cpuRate(v))}   ${(cpuRate(v) / cpuRate(h)).toFixed(2)}     ${fmt(mb(h.peakRss))} / ${fmt(mb(v.peakRss))}`,
      );
    }
    const hashRate = median(hashing.map(rate));
    const verifyRate = median(verifying.map(rate));
    const hashCpuRate = median(hashing.map(cpuRate));
    const verifyCpuRate = median(verifying.map(cpuRate));
    // On a shared machine wall time mostly measures the neighbours; CPU time is what verification costs.
    const ratio = verifyCpuRate / hashCpuRate;
    const peakRss = Math.max(...verifying.map((pass) => pass.peakRss), ...hashing.map((pass) => pass.peakRss));
    const growth = mb(peakRss - baselineRss);
    console.log(
      `\nmedian: BLAKE2b-512 ${hashRate.toFixed(0)} MB/s, signature verification ${verifyRate.toFixed(0)} MB/s ` +
        `(wall clock; ratio ${(verifyRate / hashRate).toFixed(2)}); per CPU-second ${hashCpuRate.toFixed(0)} vs ` +
        `${verifyCpuRate.toFixed(0)} MB (ratio ${ratio.toFixed(2)})`,
    );
    console.log(`RSS: ${mb(baselineRss).toFixed(0)} MB before, peak ${mb(peakRss).toFixed(0)} MB while streaming (growth ${growth.toFixed(1)} MB)`);
    const quarters = (pass: Pass) => pass.quarterPeaks.map((rss) => mb(rss).toFixed(0)).join(' / ');
    console.log(`peak RSS MB by quarter of the file, first verification: ${quarters(verifying[0]!)}; last: ${quarters(verifying.at(-1)!)}`);
    console.log(`maxRSS (resourceUsage): ${mb(maxRssBefore).toFixed(0)} MB before the runs, ${mb(maxRssAfter).toFixed(0)} MB after`);

    // For scale: the hash alone on data already in memory (one core, no reads). Measured last, as it allocates 64 MiB.
    const inMemory = randomFillSync(Buffer.alloc(64 * MIB));
    const cpuRates: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const cpuStart = process.cpuUsage();
      createHash('blake2b512').update(inMemory).digest();
      const cpu = process.cpuUsage(cpuStart);
      cpuRates.push(mb(inMemory.length) / ((cpu.user + cpu.system) / 1e6));
    }
    console.log(`BLAKE2b-512 of 64 MiB in memory, one call (no reads, no chunks): ${median(cpuRates).toFixed(0)} MB per CPU-second`);

    console.log('\ntargets');
    console.log(`  ${growth < MAX_RSS_GROWTH_MB ? 'PASS' : 'FAIL'}  RSS growth while verifying < ${MAX_RSS_GROWTH_MB} MB (${growth.toFixed(1)} MB)`);
    console.log(`  ${ratio >= MIN_RATIO ? 'PASS' : 'FAIL'}  verification ≥ ${MIN_RATIO} × BLAKE2b-512 throughput per CPU-second (${ratio.toFixed(2)})`);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
