/**
 * A whole control plane for one test file: real migrations on a fresh database, filesystem storage in
 * a temporary folder, and the Hono app driven through `app.request()`.
 * The database is PGlite in memory, or — when TEST_DATABASE_URL is set — a fresh PostgreSQL database
 * reached through the Neon driver (see `postgres.ts`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { createApp } from '../../api/_src/app.ts';
import { createDeps } from '../../api/_src/create-deps.ts';
import type { AppDeps } from '../../api/_src/deps.ts';
import { type Config, loadConfig } from '../../api/_src/config.ts';
import { createStorage } from '../../api/_src/storage/index.ts';
import type { Storage } from '../../api/_src/storage/storage.ts';
import type { DatabaseHandle } from '../../db/connect.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { openTestPGlite } from './pglite-template.ts';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestContext {
  config: Readonly<Config>;
  deps: AppDeps;
  app: Hono;
  database: DatabaseHandle;
  storage: Storage;
  dataDir: string;
  /** `Authorization` header value for a global admin. */
  adminAuth: string;
  close(): Promise<void>;
}

export interface TestContextOptions {
  env?: Record<string, string>;
  /** Use this storage instead of the filesystem driver. */
  storage?: Storage;
  /** Open this database instead of the one TEST_DATABASE_URL selects (e.g. each of `testEngines`). */
  openDatabase?: () => Promise<DatabaseHandle>;
  /** Milliseconds clock of license expiry and the license index (createDeps' `now`). */
  now?: () => number;
}

export async function openTestDatabase(): Promise<DatabaseHandle> {
  if (process.env.TEST_DATABASE_URL) {
    const { openFreshPostgres } = await import('./postgres.ts');
    return openFreshPostgres();
  }
  return openTestPGlite();
}

export async function createTestContext(options: TestContextOptions = {}): Promise<TestContext> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tauri-release-test-'));
  const config = loadConfig({ DATA_DIR: dataDir, ADMIN_TOKEN: TEST_ADMIN_TOKEN, PUBLIC_URL: 'http://updates.test', ...options.env });
  const database = await (options.openDatabase ?? openTestDatabase)();
  await migrateToLatest(database.db);
  const storage = options.storage ?? (await createStorage(config));
  const deps = createDeps(config, database.db, storage, { now: options.now });
  return {
    config,
    deps,
    app: createApp(deps),
    database,
    storage,
    dataDir,
    adminAuth: `Bearer ${TEST_ADMIN_TOKEN}`,
    async close() {
      // As the server shuts down (api/_src/local.ts): counts still in memory are written before the database closes.
      await deps.analytics.close();
      await database.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
