/**
 * @module local
 * `npm start`: the control plane on one machine with no accounts. Embedded PGlite and files under
 * DATA_DIR by default; migrates itself, creates a bootstrap admin key on first start, and serves.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDeps } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { FileSystemStorage } from './storage/fs.ts';
import { createStorage } from './storage/index.ts';
import { openDatabase } from '../../db/connect.ts';
import { DataDirLockedError } from '../../db/data-dir-lock.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { ensureBootstrapAdminKey } from './auth/bootstrap.ts';
import { localSecretsKey, SecretBox } from './github/secrets.ts';
import { LicenseIndex } from './licensing/index.ts';
import { controlPlaneListener } from './listener.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config);
  await migrateToLatest(database.db);
  const storage = await createStorage(config);
  await storage.check();
  if (storage instanceof FileSystemStorage) {
    const removed = await storage.removeStaleUploads();
    if (removed > 0) console.log(`Removed ${removed} partial upload(s) left by a process that stopped mid-write.`);
  }
  const deps = createDeps(config, database.db, storage);
  deps.analytics.start();
  // Due webhook retries (including those left by a previous run) are picked up every few seconds.
  deps.webhooks.start();
  // Tokens of private repositories are sealed with SECRETS_KEY, or with a key made once under DATA_DIR.
  // License keys are digested under a subkey of the same key (api/_src/licensing/license-key.ts).
  if (!config.github.secretsKey) {
    const secretsKey = await localSecretsKey(config.dataDir);
    deps.github.useSecrets(new SecretBox(secretsKey));
    deps.billing.useSecrets(new SecretBox(secretsKey));
    deps.licenses.useIndex(LicenseIndex.fromSecretsKey(database.db, secretsKey, { ttlMs: config.updateCacheTtlMs }));
  }
  deps.github.start();
  const bootstrapKey = await ensureBootstrapAdminKey(database.db, config);

  // Cached update checks are answered on node:http ahead of Hono (listener.ts); all else is Hono's.
  const server = createServer(controlPlaneListener(deps, { hostname: '0.0.0.0' }));
  server.listen(config.port, '0.0.0.0', () => {
    console.log(`tauri-release control plane listening on ${config.publicUrl} (port ${(server.address() as AddressInfo).port})`);
    console.log(`  database: ${database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)'}`);
    console.log(`  storage:  ${config.storage.driver === 'fs' ? `files in ${config.dataDir}/objects` : `S3 bucket ${config.storage.bucket}`}`);
    console.log(`  dashboard: ${config.publicUrl}/ui (sign in with an admin API key)`);
    if (bootstrapKey) {
      console.log('\n  Bootstrap admin key (shown once; store it now):');
      console.log(`    ${bootstrapKey}\n`);
    }
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Counts still in memory are written before the database closes.
    server.close(() => void deps.analytics.close().then(() => deps.webhooks.stop()).then(() => deps.github.stop()).then(() => database.close()).then(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DataDirLockedError) {
    console.error(error.message);
  } else {
    console.error('tauri-release failed to start:', error);
  }
  process.exit(1);
});
