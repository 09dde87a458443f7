/**
 * @module neon
 * Production database: Neon's serverless driver (`Pool` over WebSocket) under Kysely's PostgresDialect.
 * With `wsProxy` (tests only), the WebSocket goes to a local proxy in front of a plain PostgreSQL.
 * Kept apart from PGlite so the Vercel bundle does not carry the embedded database.
 */
import { neonConfig, Pool, types as neonTypes } from '@neondatabase/serverless';
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import type { DatabaseHandle } from './handle.ts';
import { INT8_OID, parseInt8 } from './int8.ts';
import type { Database } from './schema.ts';

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
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withErrorsFromConnect(pool) }) });
  return { db, kind: 'neon', close: () => db.destroy() };
}

/**
 * When the WebSocket cannot be opened, the driver rejects with the DOM `ErrorEvent` itself: not an Error,
 * an empty message, logged as `ErrorEvent {}`. Replace it with an Error that says what failed.
 */
function withErrorsFromConnect(pool: Pool): PostgresPool {
  const kyselyPool = pool as unknown as PostgresPool;
  const guarded = new WeakSet<object>();
  return {
    Client: kyselyPool.Client,
    options: kyselyPool.options,
    async connect() {
      try {
        const client = await kyselyPool.connect();
        // pg-pool removes its 'error' listener while a client is checked out, so a connection lost
        // mid-query would emit 'error' with no listener and crash the process. The query rejects anyway.
        if (!guarded.has(client)) {
          guarded.add(client);
          (client as unknown as { on(event: 'error', listener: () => void): void }).on('error', () => {});
        }
        return client;
      } catch (error) {
        if (error instanceof Error) throw error;
        const url = (error as { target?: { url?: unknown } } | null)?.target?.url;
        const where = typeof url === 'string' ? ` (${url})` : '';
        throw new Error(`could not open the WebSocket to the database${where}: refused or unreachable`, { cause: error });
      }
    },
    end: () => kyselyPool.end(),
  };
}
