/**
 * @module migrate
 * `migrateToLatest(db)` for code; run as a script (`npm run migrate`) it migrates the configured database.
 * Vercel functions never call it: run it as a deploy step against the database's direct URL.
 */
import { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrationProvider } from './migrations/index.ts';

export async function migrateToLatest(db: Kysely<any>, log: (line: string) => void = () => {}): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  for (const result of results ?? []) {
    log(`migration ${result.migrationName}: ${result.status === 'Success' ? 'applied' : result.status.toLowerCase()}`);
  }
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { ConfigError, loadConfig } = await import('../api/_src/config.ts');
  const { openDatabase } = await import('./connect.ts');
  const { DataDirLockedError } = await import('./data-dir-lock.ts');
  const { DatabaseConnectError } = await import('./driver-errors.ts');
  const { loggedError, maskSecrets } = await import('../api/_src/http/logged-error.ts');
  try {
    const config = loadConfig();
    // A migration may rewrite a large table: no statement timeout here.
    const handle = await openDatabase(config, { queryTimeoutMillis: 0 });
    try {
      await migrateToLatest(handle.db, (line) => console.log(line));
      console.log(`database is up to date (${handle.kind})`);
    } finally {
      await handle.close();
    }
  } catch (error) {
    // What the user can fix is one line, as `npm start` says it (api/_src/local.ts); anything else in full.
    if (error instanceof ConfigError) console.error(`config error: ${error.message}`);
    else if (error instanceof DataDirLockedError) console.error(error.message);
    else if (error instanceof DatabaseConnectError) console.error(`${maskSecrets(error.message)}; check DATABASE_URL`);
    else console.error(`migration failed: ${loggedError(error)}`);
    process.exitCode = 1;
  }
}
