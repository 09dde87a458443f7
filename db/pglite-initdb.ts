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
import { rm, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedDatabaseDiskFullError } from './embedded-errors.ts';

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

/** What a new embedded database takes on disk, with room for the migrations (measured: 39 MB after `initdb`). */
export const PGLITE_NEEDS_BYTES = 64 * 1024 * 1024;

const MB = 1024 * 1024;

/** Free bytes on the disk holding `folder`; undefined when that cannot be read. */
async function freeBytes(folder: string): Promise<number | undefined> {
  try {
    const disk = await statfs(folder);
    return disk.bavail * disk.bsize;
  } catch {
    return undefined;
  }
}

export interface InitializeOptions {
  /** Default `PGLITE_NEEDS_BYTES`; a test seam for a disk with too little space. */
  needsBytes?: number;
}

/**
 * Runs PGlite's `initdb` for `pgliteDir` in a child process unless the folder already holds a database. A failed run
 * leaves behind no folder it created (initdb writes PG_VERSION first, so the next start would take the half-made
 * folder for a database), and on a disk with too little space says so: PGlite itself only reports emscripten's
 * `errno: 51`.
 */
export async function initializeInChildProcess(pgliteDir: string, options: InitializeOptions = {}): Promise<void> {
  if (existsSync(join(pgliteDir, 'PG_VERSION'))) return;
  const existed = existsSync(pgliteDir);
  const child = spawn(process.execPath, ['--liftoff-only', INITDB_SCRIPT, pgliteDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-4_096); });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code === 0) return;
  if (!existed) await rm(pgliteDir, { recursive: true, force: true }).catch(() => {});
  const needs = options.needsBytes ?? PGLITE_NEEDS_BYTES;
  const free = await freeBytes(dirname(pgliteDir));
  if (free !== undefined && free < needs) {
    throw new EmbeddedDatabaseDiskFullError(
      `the embedded database cannot be created in ${pgliteDir}: its disk has ${Math.floor(free / MB)} MB free and it needs ` +
        `about ${Math.round(needs / MB)} MB; free space there, or set DATA_DIR to a folder on a larger disk`,
    );
  }
  throw new Error(`initializing the database in ${pgliteDir} failed (exit ${code}): ${stderr.trim()}`);
}
