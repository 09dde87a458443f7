/**
 * A new data folder's `initdb` runs in a child process (its WebAssembly memory would otherwise stay in the server's
 * RSS), and the server then opens that folder as an existing database: data written survives a reopen.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openPGlite } from './pglite.ts';
import { initializeInChildProcess } from './pglite-initdb.ts';

describe('PGlite initdb in a child process', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'pglite-initdb-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('initializes a new folder in a child, then opens and reopens it with the small start parameters', async () => {
    const first = await openPGlite({ dataDir: dir });
    expect(existsSync(join(dir, 'pglite', 'PG_VERSION'))).toBe(true);
    try {
      const { rows } = await sql<{ shared_buffers: string }>`show shared_buffers`.execute(first.db);
      expect(rows[0]!.shared_buffers).toBe('16MB');
      await sql`create table kept (value text)`.execute(first.db);
      await sql`insert into kept values ('still here')`.execute(first.db);
    } finally {
      await first.close();
    }
    const again = await openPGlite({ dataDir: dir });
    try {
      const { rows } = await sql<{ value: string }>`select value from kept`.execute(again.db);
      expect(rows).toEqual([{ value: 'still here' }]);
    } finally {
      await again.close();
    }
  }, 180_000);

  it('says which folder failed when the child cannot initialize it', async () => {
    const notAFolder = join(dir, 'file');
    await writeFile(notAFolder, 'not a folder');
    await expect(initializeInChildProcess(notAFolder)).rejects.toThrow(/initializing the database in .*file failed \(exit [1-9]/);
  }, 60_000);
});
