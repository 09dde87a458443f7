/**
 * @module bench/cli-upload
 * `npm run bench:cli-upload`: the CLI's memory while it uploads a large bundle. The real server (`api/_src/local.ts`,
 * PGlite + files) and the CLI as its own process (`api/_src/cli/run.ts upload … --publish`), a bundle of 20 MiB and one
 * of 200 MiB signed by the real `tauri signer`; the CLI's peak resident memory (VmHWM, sampled from /proc every
 * 20 ms until it exits) for each, next to a `whoami` (what the CLI costs doing nothing). Flat means the 200 MiB
 * upload's peak is within a few MiB of the 20 MiB one's, far below the file's size. Prints figures; exits 0 whatever
 * they are, non-zero only if an upload failed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../support/server.ts';
import { generateTauriKey, tauriSign } from '../support/tauri-signer.ts';

const CLI = fileURLToPath(new URL('../../api/_src/cli/run.ts', import.meta.url));
const MIB = 1024 * 1024;
/** Where the verdict draws the line: the 200 MiB peak may exceed the 20 MiB peak by this much. */
const FLAT_MARGIN_MIB = 16;

/** Writes `size` random bytes in 1 MiB pieces, so the bench itself never holds the file either. */
async function writeBundle(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  for (let written = 0; written < size; written += MIB) {
    if (!out.write(randomBytes(Math.min(MIB, size - written)))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

async function peakKib(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null; // exited between samples
  }
}

/** Runs the CLI to completion; its peak RSS as last sampled (VmHWM only grows) and how long it took. */
async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; peakMib: number; seconds: number; output: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  let peak = 0;
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const sample = await peakKib(child.pid!);
    if (sample !== null) peak = Math.max(peak, sample);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { code: await exited, peakMib: peak / 1024, seconds: (performance.now() - started) / 1000, output };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-cli-upload-'));
  const server = await startServer();
  try {
    const key = await generateTauriKey(dir, 'updater.key');
    const res = await server.admin('/admin/apps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'bench-app', name: 'Bench App', public_key: key.publicKey }) });
    if (res.status !== 201) throw new Error(`creating the app: ${res.status} ${await res.text()}`);
    const env = { TAURI_RELEASE_URL: server.url, TAURI_RELEASE_KEY: server.adminToken, XDG_CONFIG_HOME: join(dir, 'config') };

    const idle = await runCli(['whoami'], env);
    if (idle.code !== 0) throw new Error(`whoami failed:\n${idle.output}`);
    const rows: string[][] = [['run', 'bundle', 'CLI peak RSS', 'time', 'throughput']];
    rows.push(['whoami', '—', `${idle.peakMib.toFixed(1)} MiB`, `${idle.seconds.toFixed(2)} s`, '—']);
    const peaks: Record<number, number> = {};
    for (const [version, size] of [['1.0.0', 20 * MIB], ['2.0.0', 200 * MIB]] as const) {
      const folder = join(dir, version);
      await mkdir(folder, { recursive: true });
      const file = join(folder, `bench-app_${version}_amd64.AppImage`);
      console.log(`bench: writing and signing a ${size / MIB} MiB bundle…`);
      await writeBundle(file, size);
      await tauriSign(key, file, version);
      const run = await runCli(['upload', folder, '--app', 'bench-app', '--version', version, '--publish'], env);
      if (run.code !== 0) throw new Error(`upload of ${size / MIB} MiB failed (exit ${run.code}):\n${run.output}`);
      peaks[size] = run.peakMib;
      rows.push([`upload --publish`, `${size / MIB} MiB`, `${run.peakMib.toFixed(1)} MiB`, `${run.seconds.toFixed(2)} s`, `${(size / MIB / run.seconds).toFixed(0)} MiB/s`]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    console.log(`\n${rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join('   ')}`.trimEnd()).join('\n')}`);
    const growth = peaks[200 * MIB]! - peaks[20 * MIB]!;
    console.log(`\n  200 MiB upload peak − 20 MiB upload peak: ${growth.toFixed(1)} MiB (flat within ${FLAT_MARGIN_MIB} MiB: ${growth <= FLAT_MARGIN_MIB ? 'PASS' : 'FAIL'}); ` +
      `above an idle CLI: ${(peaks[200 * MIB]! - idle.peakMib).toFixed(1)} MiB`);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error('bench:cli-upload failed:', error);
  process.exit(1);
});
