/**
 * `npm run migrate` as an operator runs it on a first deploy: a wrong database URL is one line that says what to
 * check, exits non-zero, and never echoes the password.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMigrateScript } from '../test/support/migrate-script.ts';

const PASSWORD = 'migrate-pw-Zk82mQ0vX';
const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

onPostgres('npm run migrate with a database URL that cannot work', () => {
  it('names a database that does not exist in one line, and no password', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.username = 'postgres';
    url.password = PASSWORD;
    url.pathname = '/tauri_release_missing_db';
    const dataDir = await mkdtemp(join(tmpdir(), 'tauri-release-migrate-'));
    const run = await runMigrateScript({ DATABASE_URL: url.href, NEON_WS_PROXY: process.env.NEON_WS_PROXY!, DATA_DIR: dataDir });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('could not connect to the database: database "tauri_release_missing_db" does not exist (code 3D000); check DATABASE_URL');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it('refuses a URL that is not a PostgreSQL connection string before connecting, in one line', async () => {
    const run = await runMigrateScript({ DATABASE_URL: `https://owner:${PASSWORD}@ep-x.neon.tech/db` });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('config error: DATABASE_URL must be a postgresql:// connection string (your Neon connection string)');
  });
});
