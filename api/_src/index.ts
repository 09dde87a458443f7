/**
 * @module index
 * The Vercel entry: the control plane as a Node.js `(req, res)` listener (listener.ts, the same as `npm start`'s),
 * configured from the environment.
 * On Vercel the database is Neon (DATABASE_URL) and storage is R2/S3 — a function's filesystem is
 * neither shared nor kept. It never migrates: run `npm run migrate` as a deploy step instead.
 */
import { createDeps } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { controlPlaneListener } from './listener.ts';
import { createStorage } from './storage/index.ts';
import { openNeon } from '../../db/neon.ts';

// Every request reaches a Vercel function through Vercel's edge, which names the client in its own headers; and
// instances come and go, so failed-authentication counts are shared through the database. Either can be overridden.
const config = loadConfig({ TRUSTED_PROXIES: 'vercel', RATE_LIMIT_STORE: 'database', ...process.env });
if (!config.databaseUrl) {
  throw new ConfigError('DATABASE_URL is required on Vercel: set it to your Neon connection string (the pooled one).');
}
if (config.storage.driver !== 's3') {
  throw new ConfigError('STORAGE_DRIVER=s3 is required on Vercel (with the S3_* settings for your R2 bucket): a function has no lasting disk.');
}

const { db } = openNeon({ connectionString: config.databaseUrl, wsProxy: config.neonWsProxy });
const storage = await createStorage(config);

const deps = createDeps(config, db, storage);
// Analytics counts are also flushed by the traffic itself (see api/_src/analytics/recorder.ts), so a frozen timer
// between invocations only delays them.
deps.analytics.start();
// GitHub-sourced apps: a warm instance looks for due syncs every few seconds (each app claimed by one instance at a
// time, at most once per GITHUB_SYNC_INTERVAL_SECONDS); the release webhook refreshes at once whatever the timer does.
deps.github.start();

export default controlPlaneListener(deps);
