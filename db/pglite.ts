/**
 * @module pglite
 * The embedded default: PGlite persisted under `DATA_DIR/pglite` (or in memory for tests), locked to
 * one process because PGlite itself would let two processes silently lose each other's writes.
 */
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PGliteDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import { initializeInChildProcess, PGLITE_START_PARAMS } from './pglite-initdb.ts';
import type { DatabaseHandle } from './handle.ts';
import { parseInt8 } from './int8.ts';
import type { Database } from './schema.ts';

export interface PGliteOptions {
  /** Folder for the database files; omit for an in-memory database (tests). */
  dataDir?: string;
  /**
   * In memory only: start from this dump (`PGlite#dumpDataDir`) of a new database instead of running `initdb` again.
   * A test seam: test/support/pglite-template.ts makes one dump per test run.
   */
  loadDataDir?: Blob;
}

export async function openPGlite(options: PGliteOptions = {}): Promise<DatabaseHandle> {
  let lock: DataDirLock | undefined;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    lock = acquireDataDirLock(options.dataDir);
  }
  try {
    const pgliteDir = options.dataDir ? join(options.dataDir, 'pglite') : undefined;
    if (pgliteDir) await initializeInChildProcess(pgliteDir);
    const pglite = await PGlite.create({
      ...(pgliteDir ? { dataDir: pgliteDir } : {}),
      ...(!pgliteDir && options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      parsers: { [pgliteTypes.INT8]: parseInt8 },
      startParams: [...PGLITE_START_PARAMS],
    });
    const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
    return {
      db,
      kind: 'pglite',
      async close() {
        await db.destroy();
        // Kysely closes PGlite only once a query has initialised its driver; never leave it open past the lock.
        if (!pglite.closed) await pglite.close();
        lock?.release();
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}
