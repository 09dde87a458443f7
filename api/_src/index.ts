/**
 * @module index
 * The Vercel entry: the control plane as a Node.js `(req, res)` listener (listener.ts, the same as `npm start`'s),
 * configured from the environment.
 * On Vercel the database is Neon (DATABASE_URL) and storage is R2/S3 — a function's filesystem is
 * neither shared nor kept — and PUBLIC_URL is required, or derived from the production domain (config.ts).
 * It never migrates: run `npm run migrate` as a deploy step instead.
 *
 * A configuration error is printed as one line, `config error: …`, and the instance exits: thrown from here it
 * would be printed after the bundle's minified source line, which Vercel's log view shows instead of the message.
 */
import type { RequestListener } from 'node:http';
import { createDeps } from './create-deps.ts';
import { loadConfig } from './config.ts';
import { controlPlaneListener } from './listener.ts';
import { createStorage } from './storage/index.ts';
import { userFixableStartFailure } from './start-failure.ts';
import { onVercelFunction } from '../../db/fluid-pool.ts';
import { openNeon } from '../../db/neon.ts';

async function start(): Promise<RequestListener> {
  // Every request reaches a Vercel function through Vercel's edge, which names the client in its own headers; and
  // instances come and go, so failed-authentication counts are shared through the database. Either can be overridden.
  const config = loadConfig({ TRUSTED_PROXIES: 'vercel', RATE_LIMIT_STORE: 'database', ...process.env }, { vercel: true });
  // One pool per instance, as Neon documents for Vercel's Fluid compute (db/fluid-pool.ts).
  const { db } = openNeon({ connectionString: config.databaseUrl!, wsProxy: config.neonWsProxy, fluidCompute: onVercelFunction() });
  const storage = await createStorage(config);

  const deps = createDeps(config, db, storage);
  // Analytics counts are also flushed by the traffic itself (see api/_src/analytics/recorder.ts), so a frozen timer
  // between invocations only delays them.
  deps.analytics.start();
  // GitHub-sourced apps: a warm instance looks for due syncs every few seconds (each app claimed by one instance at a
  // time, at most once per GITHUB_SYNC_INTERVAL_SECONDS), the first time a few seconds after it starts; the release
  // webhook refreshes at once whatever the timer does.
  deps.github.start({ delayFirstRound: true });
  return controlPlaneListener(deps);
}

const listener = await start().catch((error: unknown) => {
  const line = userFixableStartFailure(error);
  if (line === undefined) throw error;
  console.error(line);
  process.exit(1);
});

export default listener;
