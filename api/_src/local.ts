/**
 * @module local
 * `npm start`: the control plane on one machine with no accounts. Embedded PGlite and files under
 * DATA_DIR by default; migrates itself, serves, and once it is listening creates and prints a bootstrap admin
 * key if the installation has no admin key yet: a start that fails (a port in use) leaves none behind unseen,
 * so the next start shows it. Start failures a user can fix are one line, `config error: …` or the like.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDeps } from './create-deps.ts';
import { loadConfig } from './config.ts';
import { FileSystemStorage } from './storage/fs.ts';
import { createStorage } from './storage/index.ts';
import { StorageLowOnSpaceError } from './storage/storage.ts';
import { openDatabase } from '../../db/connect.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { ensureBootstrapAdminKey } from './auth/bootstrap.ts';
import { localSecretsKey } from './github/secrets.ts';
import { createControlPlaneServer } from './http-server.ts';
import { controlPlaneListener } from './listener.ts';
import { withRequestLog } from './http/request-log.ts';
import { printStartFailure, StartError } from './start-failure.ts';

async function main(): Promise<void> {
  const loaded = loadConfig();
  const database = await openDatabase(loaded);
  // Without SECRETS_KEY, a key made once under DATA_DIR (after the database holds the folder's lock) stands in for
  // it: tokens of private repositories and payment secrets are sealed with it, license keys digested under a subkey
  // of it (licensing/license-key.ts), and license files signed with keys sealed under it. createDeps hands it to each.
  const config = loaded.github.secretsKey ? loaded : { ...loaded, github: { ...loaded.github, secretsKey: await localSecretsKey(loaded.dataDir) } };
  await migrateToLatest(database.db);
  const storage = await createStorage(config);
  await storage.check().catch((error: unknown) => {
    // Serving (and deleting, which frees space) still works; /readyz reports it until there is room for uploads again.
    if (error instanceof StorageLowOnSpaceError) console.warn(`warning: ${error.message}`);
    else throw error;
  });
  if (storage instanceof FileSystemStorage) {
    const removed = await storage.removeStaleUploads();
    if (removed > 0) console.log(`Removed ${removed} partial upload(s) left by a process that stopped mid-write.`);
  }
  const deps = createDeps(config, database.db, storage);
  deps.analytics.start();
  // Due webhook retries (including those left by a previous run) are picked up every few seconds.
  deps.webhooks.start();
  deps.github.start();

  // Cached update checks are answered on node:http ahead of Hono (listener.ts); all else is Hono's.
  const listener = controlPlaneListener(deps, { hostname: '0.0.0.0' });
  const server = createControlPlaneServer(config.requestLog ? withRequestLog(listener) : listener, config.serverLimits);
  // Counts still in memory are written before the database closes.
  const shutdown = () => deps.analytics.close().then(() => deps.webhooks.stop()).then(() => deps.github.stop()).then(() => database.close());
  await listen(server, config.port).catch(async (error: unknown) => {
    await shutdown().catch(() => {});
    throw error;
  });
  console.log(`tauri-release control plane listening on ${config.publicUrl} (port ${(server.address() as AddressInfo).port})`);
  console.log(`  database: ${database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)'}`);
  console.log(`  storage:  ${config.storage.driver === 'fs' ? `files in ${config.dataDir}/objects` : `S3 bucket ${config.storage.bucket}`}`);
  console.log(`  dashboard: ${config.publicUrl}/ui (sign in with an admin API key)`);
  const bootstrapKey = await ensureBootstrapAdminKey(database.db, config);
  if (bootstrapKey) {
    console.log('\n  Bootstrap admin key (shown once; store it now):');
    console.log(`    ${bootstrapKey}\n`);
  }

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => void shutdown().then(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new StartError(`port ${port} is in use by another program: stop it, or set PORT to a free port`));
      else if (error.code === 'EACCES') reject(new StartError(`port ${port} needs privileges this user lacks: set PORT to a port above 1023`));
      else reject(error);
    });
    server.listen(port, '0.0.0.0', () => resolve());
  });
}

main().catch((error: unknown) => {
  printStartFailure('tauri-release failed to start', error);
  process.exit(1);
});
