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
  const { loadConfig } = await import('../api/_src/config.ts');
  const { printStartFailure } = await import('../api/_src/start-failure.ts');
  const { openDatabase } = await import('./connect.ts');
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
    printStartFailure('migration failed', error);
    process.exitCode = 1;
  }
}
