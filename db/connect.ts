/**
 * @module connect
 * Opens the database the configuration names: Neon when `DATABASE_URL` is set, else the embedded
 * PGlite under `DATA_DIR`. Both behind one `Kysely<Database>`, with int8 as a number on both.
 */
import type { DatabaseHandle } from './handle.ts';
import { openNeon } from './neon.ts';

export type { DatabaseHandle } from './handle.ts';
export { parseInt8 } from './int8.ts';
export { openNeon, type NeonOptions } from './neon.ts';
export { openPGlite, type PGliteOptions } from './pglite.ts';

export interface DatabaseConfig {
  databaseUrl: string | undefined;
  dataDir: string;
  neonWsProxy?: string | undefined;
}

/** `queryTimeoutMillis`: see `NeonOptions` (PGlite is in-process and has none). */
export async function openDatabase(config: DatabaseConfig, options: { queryTimeoutMillis?: number } = {}): Promise<DatabaseHandle> {
  if (config.databaseUrl) return openNeon({ connectionString: config.databaseUrl, wsProxy: config.neonWsProxy, ...options });
  const { openPGlite } = await import('./pglite.ts');
  return openPGlite({ dataDir: config.dataDir });
}
