import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Kysely, sql } from 'kysely';
import { Migrator, NO_MIGRATIONS } from 'kysely/migration';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { testEngines } from '../test/support/postgres.ts';
import type { DatabaseHandle } from './connect.ts';
import { migrateToLatest } from './migrate.ts';
import { migrationProvider, migrations } from './migrations/index.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const MIGRATION_FILE = /^\d{4}_\d{2}_\d{2}_\d{4}_[a-z0-9_]+\.ts$/;

describe('the migration map', () => {
  const files = readdirSync(MIGRATIONS_DIR).filter((file) => file !== 'index.ts');

  it('names every migration file the way the Migrator orders them', () => {
    expect(files.filter((file) => !MIGRATION_FILE.test(file))).toEqual([]);
  });

  it('lists exactly the files in db/migrations/, each under its own name', async () => {
    const names = files.map((file) => file.replace(/\.ts$/, ''));
    expect(Object.keys(migrations).sort()).toEqual(names.sort());
    for (const name of names) {
      expect(migrations[name]).toBe(await import(`./migrations/${name}.ts`));
    }
  });
});

async function userTables(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely\\_%'
    order by table_name`.execute(db);
  return rows.map((row) => row.table_name);
}

describe.each(testEngines)('migrations on $name', ({ open }) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(() => database.close());

  it('apply from empty, go all the way down, and apply again', async () => {
    const db = database.db as Kysely<any>;
    expect(await userTables(db)).toEqual([]);

    const applied: string[] = [];
    await migrateToLatest(db, (line) => applied.push(line));
    expect(applied).toEqual(Object.keys(migrations).sort().map((name) => `migration ${name}: applied`));
    const tables = await userTables(db);
    expect(tables).toEqual(expect.arrayContaining(['apps', 'releases', 'artifacts']));

    const down = await new Migrator({ db, provider: migrationProvider }).migrateTo(NO_MIGRATIONS);
    expect(down.error).toBeUndefined();
    expect(down.results?.map((result) => [result.direction, result.status])).toEqual(
      Object.keys(migrations).map(() => ['Down', 'Success']),
    );
    expect(await userTables(db)).toEqual([]);

    await migrateToLatest(db);
    expect(await userTables(db)).toEqual(tables);
    const again: string[] = [];
    await migrateToLatest(db, (line) => again.push(line));
    expect(again).toEqual([]);
  });
});
