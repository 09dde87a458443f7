/**
 * A new data folder's `initdb` runs in a child process (its WebAssembly memory would otherwise stay in the server's
 * RSS), and the server then opens that folder as an existing database: data written survives a reopen.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openPGlite } from './pglite.ts';
import { EmbeddedDatabaseDiskFullError } from './embedded-errors.ts';
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

  const DISK_FULL = /^the embedded database cannot be created in .*pglite: its disk has [0-9]+ MB free and it needs about 64 MB; free space there, or set DATA_DIR to a folder on a larger disk$/;

  it('says in one line which folder and how much space when the disk has too little, keeping what was there', async () => {
    // The same failing child as above, on a disk that (for this test) has less free space than a new database needs.
    const pgliteDir = join(dir, 'pglite');
    await writeFile(pgliteDir, 'not a folder');
    const failure = await initializeInChildProcess(pgliteDir, { needsBytes: Number.MAX_SAFE_INTEGER }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EmbeddedDatabaseDiskFullError);
    expect((failure as Error).message.replace(/about [0-9]+ MB/, 'about 64 MB')).toMatch(DISK_FULL);
    expect(await readFile(pgliteDir, 'utf8')).toBe('not a folder');
  }, 60_000);

  // A real full disk needs a mount: as root (CI containers, this project's dev machine) on an 8 MB tmpfs.
  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot('on a really full disk, says so and leaves no half-made folder the next start would take for a database', async () => {
    const mountPoint = join(dir, 'small');
    await mkdir(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint]);
    try {
      const pgliteDir = join(mountPoint, 'pglite');
      const failure = await initializeInChildProcess(pgliteDir).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(EmbeddedDatabaseDiskFullError);
      expect((failure as Error).message).toMatch(DISK_FULL);
      expect(existsSync(pgliteDir)).toBe(false);
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  }, 60_000);
});
