/**
 * db/schema.ts is written by hand; this checks it against the migrated database. The expected side is
 * what Kysely itself derives from schema.ts (Selectable/Insertable, evaluated by the TypeScript checker),
 * so the test compares what queries will actually be typed as, not a second hand-written list.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { testEngines } from '../test/support/postgres.ts';
import type { DatabaseHandle } from './connect.ts';
import { migrateToLatest } from './migrate.ts';

type TypeClass = 'string' | 'number' | 'boolean' | 'Date' | 'json' | `unexpected ${string}`;

interface ColumnShape {
  type: TypeClass;
  nullable: boolean;
  /** Kysely lets an insert leave it out (declared nullable, `Generated`, or never inserted). */
  optionalOnInsert: boolean;
}
type TableShapes = Record<string, Record<string, ColumnShape>>;

/** Which PostgreSQL types each TypeScript type may stand for. */
const COMPATIBLE_TYPES: Record<string, string[]> = {
  string: ['text', 'uuid', 'varchar'],
  number: ['int2', 'int4', 'int8'],
  boolean: ['bool'],
  Date: ['timestamptz', 'date'],
  json: ['jsonb'],
};

const PROBE = fileURLToPath(new URL('./__schema_probe__.ts', import.meta.url));
const PROBE_SOURCE = `
import type { Insertable, Selectable } from 'kysely';
import type { Database } from './schema.ts';
export type Probe = { [T in keyof Database]: { select: Selectable<Database[T]>; insert: Insertable<Database[T]> } };
`;

function classify(checker: ts.TypeChecker, type: ts.Type): TypeClass {
  if (type.flags & ts.TypeFlags.StringLike) return 'string';
  if (type.flags & ts.TypeFlags.NumberLike) return 'number';
  if (type.flags & ts.TypeFlags.BooleanLike) return 'boolean';
  if (checker.isArrayType(type) || checker.isTupleType(type)) return 'json';
  const name = type.getSymbol()?.getName();
  if (name === 'Date') return 'Date';
  if (name === '__type' || name === 'Record') return 'json';
  return `unexpected ${checker.typeToString(type)}`;
}

function shapesFromSchemaTs(): TableShapes {
  const options: ts.CompilerOptions = {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists } = host;
  host.fileExists = (file) => file === PROBE || fileExists(file);
  host.getSourceFile = (file, language, ...rest) =>
    file === PROBE ? ts.createSourceFile(file, PROBE_SOURCE, language) : getSourceFile(file, language, ...rest);
  const program = ts.createProgram([PROBE], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(PROBE));
  if (diagnostics.length) throw new Error(ts.formatDiagnostics(diagnostics, host));

  const checker = program.getTypeChecker();
  const probe = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(PROBE)!)!)[0]!;
  const tables: TableShapes = {};
  for (const table of checker.getDeclaredTypeOfSymbol(probe).getProperties()) {
    const tableType = checker.getTypeOfSymbol(table);
    const select = checker.getTypeOfSymbol(tableType.getProperty('select')!);
    const insert = checker.getTypeOfSymbol(tableType.getProperty('insert')!);
    tables[table.getName()] = {};
    for (const column of select.getProperties()) {
      const type = checker.getTypeOfSymbol(column);
      const parts = type.isUnion() ? type.types : [type];
      const nonNull = parts.filter((part) => !(part.flags & ts.TypeFlags.Null));
      const classes = [...new Set(nonNull.map((part) => classify(checker, part)))];
      const insertColumn = insert.getProperty(column.getName());
      tables[table.getName()]![column.getName()] = {
        type: classes.length === 1 ? classes[0]! : `unexpected ${checker.typeToString(type)}`,
        nullable: nonNull.length < parts.length,
        optionalOnInsert: !insertColumn || (insertColumn.flags & ts.SymbolFlags.Optional) !== 0,
      };
    }
  }
  return tables;
}

interface ColumnRow {
  table_name: string;
  column_name: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
  is_identity: 'YES' | 'NO';
}

describe.each(testEngines)('db/schema.ts against the migrated database on $name', ({ open }) => {
  let database: DatabaseHandle;
  let expected: TableShapes;
  let columns: ColumnRow[];
  beforeAll(async () => {
    expected = shapesFromSchemaTs();
    database = await open();
    await migrateToLatest(database.db);
    ({ rows: columns } = await sql<ColumnRow>`
      select table_name, column_name, udt_name, is_nullable, column_default, is_identity
      from information_schema.columns
      where table_schema = 'public' and table_name not like 'kysely\\_%'
      order by table_name, ordinal_position`.execute(database.db));
  });
  afterAll(() => database.close());

  it('has the same tables and columns', () => {
    const actual: Record<string, string[]> = {};
    for (const row of columns) (actual[row.table_name] ??= []).push(row.column_name);
    const declared = Object.fromEntries(Object.entries(expected).map(([table, cols]) => [table, Object.keys(cols)]));
    for (const cols of [...Object.values(actual), ...Object.values(declared)]) cols.sort();
    expect(declared).toEqual(actual);
  });

  it('agrees on nullability, defaults and types, column by column', () => {
    const mismatches: string[] = [];
    for (const row of columns) {
      const shape = expected[row.table_name]?.[row.column_name];
      if (!shape) continue; // reported by the test above
      const where = `${row.table_name}.${row.column_name}`;
      const nullable = row.is_nullable === 'YES';
      const optional = nullable || row.column_default !== null || row.is_identity === 'YES';
      if (shape.nullable !== nullable) mismatches.push(`${where}: schema.ts nullable=${shape.nullable}, database ${nullable}`);
      // Only one direction is a bug: requiring a value the database could default is a fair choice.
      if (shape.optionalOnInsert && !optional) {
        mismatches.push(`${where}: schema.ts lets inserts omit it, but the database has no default and refuses null`);
      }
      if (!COMPATIBLE_TYPES[shape.type]?.includes(row.udt_name)) {
        mismatches.push(`${where}: schema.ts selects ${shape.type}, database column is ${row.udt_name}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
