/**
 * @module neon
 * Production database: Neon's serverless driver (`Pool` over WebSocket) under Kysely's PostgresDialect.
 * With `wsProxy` (tests only), the WebSocket goes to a local proxy in front of a plain PostgreSQL.
 * Kept apart from PGlite so the Vercel bundle does not carry the embedded database.
 */
import { neonConfig, Pool, types as neonTypes } from '@neondatabase/serverless';
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import { DatabaseConnectError, describeDriverError, isSocketEvent } from './driver-errors.ts';
import { attachPoolToFluidCompute, FLUID_IDLE_TIMEOUT_MS } from './fluid-pool.ts';
import type { DatabaseHandle } from './handle.ts';
import { INT8_OID, parseInt8 } from './int8.ts';
import { watchPoolShutdown } from './pool-shutdown.ts';
import type { Database } from './schema.ts';

export interface NeonOptions {
  connectionString: string;
  /** `host:port` of a WebSocket-to-TCP proxy; only for tests against a plain PostgreSQL. */
  wsProxy?: string | undefined;
  max?: number;
  /** How long to wait for a connection before failing (so a dead database answers fast). Default 3 s. */
  connectionTimeoutMillis?: number;
  /**
   * How long one statement may go unanswered before it fails (0: no limit), so that a connection cut silently
   * (a network partition) cannot hold a request forever. Default 10 s; `npm run migrate` sets no limit.
   */
  queryTimeoutMillis?: number;
  /** Vercel's Fluid compute: a short idle timeout and the instance kept up until idle connections close (fluid-pool.ts). */
  fluidCompute?: boolean;
}

/** Long enough for a Neon compute to wake from scale-to-zero, short enough to answer 503 soon when it cannot. */
export const CONNECTION_TIMEOUT_MS = 3_000;
export const QUERY_TIMEOUT_MS = 10_000;

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
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? CONNECTION_TIMEOUT_MS,
    query_timeout: options.queryTimeoutMillis ?? QUERY_TIMEOUT_MS,
    ...(options.fluidCompute ? { idleTimeoutMillis: FLUID_IDLE_TIMEOUT_MS } : {}),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? parseInt8 : neonTypes.getTypeParser(oid, format as 'text')) as typeof neonTypes.getTypeParser,
    },
  });
  // An idle client that loses its socket emits 'error' on the pool; without a listener that would crash the process.
  const shutdown = watchPoolShutdown(pool);
  pool.on('error', (error: unknown, client: unknown) => {
    if (!shutdown.endedByUs(client)) console.error(`database pool error: ${describeDriverError(error)}`);
  });
  if (options.fluidCompute) attachPoolToFluidCompute(pool, FLUID_IDLE_TIMEOUT_MS);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withErrorsFromConnect(pool) }) });
  return {
    db,
    kind: 'neon',
    async close() {
      await db.destroy();
      await shutdown.untilClosed();
    },
  };
}

interface PgClient {
  on(event: 'error', listener: () => void): void;
  query(...args: unknown[]): unknown;
  release(error?: Error | boolean): void;
}

/**
 * When no connection can be opened, the driver rejects with an Error, a server's FATAL error, or the DOM `ErrorEvent`
 * itself (driver-errors.ts). Each becomes a `DatabaseConnectError` that says what failed.
 */
function withErrorsFromConnect(pool: Pool): PostgresPool {
  const kyselyPool = pool as unknown as PostgresPool;
  const guarded = new WeakSet<object>();
  /** Clients whose statement timed out: what they are still waiting for is unknown, so they are closed, never reused. */
  const timedOut = new WeakSet<object>();
  return {
    Client: kyselyPool.Client,
    options: kyselyPool.options,
    async connect() {
      try {
        const client = await kyselyPool.connect();
        const pgClient = client as unknown as PgClient;
        // pg-pool removes its 'error' listener while a client is checked out, so a connection lost
        // mid-query would emit 'error' with no listener and crash the process. The query rejects anyway.
        if (!guarded.has(client)) {
          guarded.add(client);
          pgClient.on('error', () => {});
          const query = pgClient.query;
          pgClient.query = function (this: PgClient, ...args: unknown[]) {
            const result = query.apply(this, args);
            if (result instanceof Promise) {
              result.catch((error: unknown) => {
                if ((error as Error | null)?.message === 'Query read timeout') timedOut.add(client);
              });
            }
            return result;
          };
        }
        // pg-pool gives each checkout its own `release`; an error passed to it closes the connection.
        const release = pgClient.release;
        pgClient.release = (error?: Error | boolean) => release(error || (timedOut.has(client) ? new Error('statement timed out') : undefined));
        return client;
      } catch (error) {
        const what = isSocketEvent(error) ? 'could not open the WebSocket to the database, refused or unreachable' : 'could not connect to the database';
        throw new DatabaseConnectError(`${what}: ${describeDriverError(error)}`, { cause: error });
      }
    },
    end: () => kyselyPool.end(),
  };
}
