/**
 * `npm run migrate` as an operator runs it on a first deploy: a wrong database URL is one line that says what to
 * check, exits non-zero, and never echoes the password.
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIGRATE_SCRIPT = fileURLToPath(new URL('./migrate.ts', import.meta.url));
const PASSWORD = 'migrate-pw-Zk82mQ0vX';
const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

function runMigrate(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MIGRATE_SCRIPT], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

onPostgres('npm run migrate with a database URL that cannot work', () => {
  it('names a database that does not exist in one line, and no password', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.username = 'postgres';
    url.password = PASSWORD;
    url.pathname = '/tauri_release_missing_db';
    const dataDir = await mkdtemp(join(tmpdir(), 'tauri-release-migrate-'));
    const run = await runMigrate({ DATABASE_URL: url.href, NEON_WS_PROXY: process.env.NEON_WS_PROXY!, DATA_DIR: dataDir });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('could not connect to the database: database "tauri_release_missing_db" does not exist (code 3D000); check DATABASE_URL');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it('refuses a URL that is not a PostgreSQL connection string before connecting, in one line', async () => {
    const run = await runMigrate({ DATABASE_URL: `https://owner:${PASSWORD}@ep-x.neon.tech/db` });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('config error: DATABASE_URL must be a postgresql:// connection string (your Neon connection string)');
  });
});
