/**
 * @module bench/shared-data
 * The data every benchmarked server reads, so they serve the same snapshot: one PostgreSQL database (the
 * machine's, 127.0.0.1:5432, reached through the Neon driver over the WebSocket relay in test/support, as the Vercel
 * function reaches Neon) and one s3rver bucket. `env` is what each server is started with; seeding through one
 * server's admin API is then seen by all, byte for byte (same signatures, same `PUBLIC_URL` in the bodies).
 */
import { migrateToLatest } from '../../db/migrate.ts';
import { openNeon } from '../../db/neon.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { s3rverStorageEnv, startS3rver } from '../support/s3rver.ts';
import { startWsProxy } from '../support/ws-proxy.ts';

/** The base URL every server writes into its answers' download URLs (each listens on its own port). */
const SHARED_PUBLIC_URL = 'http://updates.bench.invalid';

export interface SharedData {
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startSharedData(): Promise<SharedData> {
  process.env.TEST_DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/test';
  const closes: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of closes.reverse()) await step().catch((error: unknown) => console.error('bench: shared data cleanup failed:', error));
  };
  try {
    const proxy = await startWsProxy();
    closes.push(() => proxy.close());
    process.env.NEON_WS_PROXY = proxy.address;
    const database = await createTestDatabase();
    closes.push(() => database.drop());
    const migration = openNeon({ connectionString: database.url, wsProxy: proxy.address });
    await migrateToLatest(migration.db);
    await migration.close();
    const s3 = await startS3rver();
    closes.push(() => s3.close());
    return {
      env: {
        DATABASE_URL: database.url,
        NEON_WS_PROXY: proxy.address,
        ...s3rverStorageEnv(s3),
        PUBLIC_URL: SHARED_PUBLIC_URL,
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
