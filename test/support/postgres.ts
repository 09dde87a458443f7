/**
 * PostgreSQL for tests, reached the way production reaches Neon: the Neon serverless driver over a
 * WebSocket, here relayed by `ws-proxy.ts` to the machine's PostgreSQL (TEST_DATABASE_URL).
 * Each `openFreshPostgres()` gets its own database, dropped again on close, so test files never share state.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { type DatabaseHandle, openNeon } from '../../db/connect.ts';
import { openTestPGlite } from './pglite-template.ts';

/** Started by global-setup.ts; jest forks its workers afterwards, so they inherit it (verified). */
function neonWsProxy(): string {
  const proxy = process.env.NEON_WS_PROXY;
  if (!proxy) throw new Error('NEON_WS_PROXY is not set: run the tests through jest, whose global setup starts the proxy');
  return proxy;
}

/**
 * The tests' own connections wait longer than production's 3 s (db/neon.ts): on a busy 2-core machine a new
 * WebSocket, its relay and a backend for a just-created database can take that long, and a test that is not about
 * timeouts should not fail on one. Tests of the timeout itself open their handles with `openNeon` directly.
 */
const TEST_CONNECTION_TIMEOUT_MS = 30_000;

function testDatabaseUrl(): URL {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set; it should name a PostgreSQL the tests may create databases on');
  return new URL(url);
}

/** Runs `statement` on the server's maintenance connection (the database TEST_DATABASE_URL names). */
async function onServer(statement: ReturnType<typeof sql.raw>): Promise<void> {
  const server = openNeon({ connectionString: testDatabaseUrl().href, wsProxy: neonWsProxy(), max: 1, connectionTimeoutMillis: TEST_CONNECTION_TIMEOUT_MS });
  try {
    await statement.execute(server.db);
  } finally {
    await server.close();
  }
}

export interface TestDatabase {
  /** Connection string of the new database (reach it through NEON_WS_PROXY). */
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database on the test server; for tests that hand a DATABASE_URL to a child process. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tauri_release_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await onServer(sql.raw(`create database "${name}"`));
  const url = testDatabaseUrl();
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => onServer(sql.raw(`drop database if exists "${name}" with (force)`)) };
}

export async function openFreshPostgres(): Promise<DatabaseHandle> {
  const database = await createTestDatabase();
  const handle = openNeon({ connectionString: database.url, wsProxy: neonWsProxy(), connectionTimeoutMillis: TEST_CONNECTION_TIMEOUT_MS });
  return {
    ...handle,
    async close() {
      await handle.close();
      await database.drop();
    },
  };
}

export interface TestEngine {
  name: 'pglite' | 'postgres';
  open(): Promise<DatabaseHandle>;
}

/** PGlite always; PostgreSQL through the Neon driver as well when TEST_DATABASE_URL is set. */
export const testEngines: TestEngine[] = [
  { name: 'pglite', open: openTestPGlite },
  ...(process.env.TEST_DATABASE_URL ? [{ name: 'postgres' as const, open: openFreshPostgres }] : []),
];
