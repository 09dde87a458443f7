/**
 * The embedded database's one-process rule, checked with real second processes: `db/migrate.ts` run as a
 * script (what `npm run migrate` does) against a DATA_DIR another process holds or once held.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireDataDirLock } from './data-dir-lock.ts';
import { migrations } from './migrations/index.ts';
import { runMigrateScript } from '../test/support/migrate-script.ts';

/** `npm run migrate` with only DATA_DIR configured (and `env`). */
const runMigrate = (dataDir: string, env: Record<string, string> = {}) => runMigrateScript({ DATA_DIR: dataDir, ...env });

/** A pid that was just in use and no longer is. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('the data folder lock', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tauri-release-lock-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('makes a second process fail at once, saying who holds the folder and what to do', async () => {
    const lock = acquireDataDirLock(dataDir);
    try {
      const second = await runMigrate(dataDir);
      expect(second.code).toBe(1);
      // One line, as `npm start` says it: no stack trace.
      expect(second.stderr.trim()).toBe(
        `The data folder ${dataDir} is in use by another process (pid ${process.pid}). The embedded database allows one ` +
          'process at a time: stop the other server (or `npm run migrate`), or give this one its own DATA_DIR.',
      );
      expect(second.stdout).toBe('');
      // Refused before PGlite ever starts (which alone takes seconds): no database folder was created.
      expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
    } finally {
      lock.release();
    }
    expect(existsSync(join(dataDir, '.lock'))).toBe(false);
  });

  it('says a configuration error in one line, as npm start does, and touches nothing', async () => {
    const refused = await runMigrate(dataDir, { ADMIN_TOKEN: 'short' });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('config error: ADMIN_TOKEN must be at least 24 characters');
    expect(refused.stdout).toBe('');
    expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
  });

  it('takes over a lock whose process is gone, migrates, prints a line per migration and lets go', async () => {
    await writeFile(join(dataDir, '.lock'), String(await deadPid()));
    const first = await runMigrate(dataDir);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual([
      ...Object.keys(migrations)
        .sort()
        .map((name) => `migration ${name}: applied`),
      'database is up to date (pglite)',
    ]);
    expect(existsSync(join(dataDir, '.lock'))).toBe(false);

    const again = await runMigrate(dataDir);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('database is up to date (pglite)');
  }, 90_000); // two processes each start PGlite, several seconds apiece on a busy machine
});
