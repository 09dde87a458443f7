/**
 * @module column-types
 * How timestamp columns read and write, shared by the table definitions (schema.ts, licensing-schema.ts).
 */
import type { ColumnType } from 'kysely';

// Not `CreatedAt`: Kysely unwraps one ColumnType only, so nesting would type a selected column as ColumnType.
/** Set by the database's default on insert and never written afterwards. */
export type CreatedAt = ColumnType<Date, never, never>;
/** Defaults to now() on insert; updates set it. */
export type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
