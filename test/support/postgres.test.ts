import { describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { openNeon } from '../../db/connect.ts';
import { openFreshPostgres } from './postgres.ts';

const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

onPostgres('openFreshPostgres (TEST_DATABASE_URL)', () => {
  async function databaseExists(name: string): Promise<boolean> {
    const server = openNeon({ connectionString: process.env.TEST_DATABASE_URL!, wsProxy: process.env.NEON_WS_PROXY, max: 1 });
    try {
      const { rows } = await sql<{ n: number }>`select count(*) as n from pg_database where datname = ${name}`.execute(server.db);
      return rows[0]!.n === 1;
    } finally {
      await server.close();
    }
  }

  it('gives each caller its own database over the Neon driver, and drops it on close', async () => {
    const [a, b] = await Promise.all([openFreshPostgres(), openFreshPostgres()]);
    const nameOf = async (handle: typeof a) =>
      (await sql<{ name: string }>`select current_database() as name`.execute(handle.db)).rows[0]!.name;
    const [nameA, nameB] = await Promise.all([nameOf(a), nameOf(b)]);
    expect(a.kind).toBe('neon');
    expect(nameA).not.toBe(nameB);
    expect(await databaseExists(nameA)).toBe(true);

    await a.close();
    await b.close();
    expect(await databaseExists(nameA)).toBe(false);
    expect(await databaseExists(nameB)).toBe(false);
  });
});
