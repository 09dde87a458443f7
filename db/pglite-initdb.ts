/**
 * @module pglite-initdb
 * How the embedded PGlite is started, and its first start's `initdb` run in a child process.
 *
 * WebAssembly memory grows and is never returned: `initdb` in the server's own process would leave its peak in the
 * server's RSS for as long as it runs (measured: ~470 MB idle after a first start, against ~150 MB after opening an
 * initialized folder). So a new data folder is initialized by a short-lived child, and the server opens the result.
 * `--liftoff-only` (as `npm start` runs): V8 compiles PGlite's WebAssembly with its baseline compiler only. Tiering
 * up its hot functions held ~60 MB more at idle, peaked above 600 MB while compiling, and on two busy cores made a
 * run of 300 catalogue queries slower (2.3-4.0 s against 0.7-0.9 s), not faster.
 */
import { PGlite } from '@electric-sql/pglite';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Postgres's defaults are sized for a server with a machine of its own: 128 MB of shared buffers alone is most of
 * an idle `npm start`'s memory. One process, one user and a database of release metadata need far less.
 */
export const PGLITE_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams,
  '-c', 'shared_buffers=16MB',
  '-c', 'work_mem=2MB',
  '-c', 'maintenance_work_mem=16MB',
  '-c', 'temp_buffers=2MB',
  '-c', 'wal_buffers=1MB',
];

const INITDB_SCRIPT = fileURLToPath(new URL('./pglite-initdb-child.ts', import.meta.url));

/** Runs PGlite's `initdb` for `pgliteDir` in a child process unless the folder already holds a database. */
export async function initializeInChildProcess(pgliteDir: string): Promise<void> {
  if (existsSync(join(pgliteDir, 'PG_VERSION'))) return;
  const child = spawn(process.execPath, ['--liftoff-only', INITDB_SCRIPT, pgliteDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-4_096); });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`initializing the database in ${pgliteDir} failed (exit ${code}): ${stderr.trim()}`);
}
