/**
 * @module connect
 * Opens the database the configuration names, behind one `Kysely<Database>`:
 * - `DATABASE_URL` set: Neon's serverless driver (`Pool` over WebSocket) with Kysely's PostgresDialect.
 *   With `NEON_WS_PROXY` (tests), the WebSocket goes to a local proxy in front of a plain PostgreSQL.
 * - unset: embedded PGlite persisted under `DATA_DIR/pglite`, locked to one process.
 * int8 comes back as a JavaScript number everywhere (throwing beyond 2^53, which no size or count reaches).
 */
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { neonConfig, Pool, types as neonTypes } from '@neondatabase/serverless';
import { Kysely, PGliteDialect, PostgresDialect, type PostgresPool } from 'kysely';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './schema.ts';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'neon' | 'pglite';
  close(): Promise<void>;
}

const INT8_OID = 20;

export function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} does not fit a JavaScript number`);
  return n;
}

export interface NeonOptions {
  connectionString: string;
  /** `host:port` of a WebSocket-to-TCP proxy; only for tests against a plain PostgreSQL. */
  wsProxy?: string | undefined;
  max?: number;
  /** How long to wait for a connection before failing (so a dead database answers fast). */
  connectionTimeoutMillis?: number;
}

export function openNeon(options: NeonOptions): DatabaseHandle {
  if (options.wsProxy) {
    const proxy = options.wsProxy;
    neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? parseInt8 : neonTypes.getTypeParser(oid, format as 'text')) as typeof neonTypes.getTypeParser,
    },
  });
  // An idle client that loses its socket emits 'error' on the pool; without a listener that would crash the process.
  pool.on('error', (error: Error) => console.error('database pool error:', error.message));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as unknown as PostgresPool }) });
  return { db, kind: 'neon', close: () => db.destroy() };
}

export interface PGliteOptions {
  /** Folder for the database files; omit for an in-memory database (tests). */
  dataDir?: string;
}

export async function openPGlite(options: PGliteOptions = {}): Promise<DatabaseHandle> {
  let lock: DataDirLock | undefined;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    lock = acquireDataDirLock(options.dataDir);
  }
  try {
    const pglite = await PGlite.create({
      ...(options.dataDir ? { dataDir: join(options.dataDir, 'pglite') } : {}),
      parsers: { [pgliteTypes.INT8]: parseInt8 },
    });
    const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
    return {
      db,
      kind: 'pglite',
      async close() {
        await db.destroy();
        lock?.release();
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

export interface DatabaseConfig {
  databaseUrl: string | undefined;
  dataDir: string;
  neonWsProxy?: string | undefined;
}

export async function openDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  return config.databaseUrl
    ? openNeon({ connectionString: config.databaseUrl, wsProxy: config.neonWsProxy })
    : openPGlite({ dataDir: config.dataDir });
}
