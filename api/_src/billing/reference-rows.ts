/**
 * @module billing/reference-rows
 * The tables that file a provider's ids under an integration (payment_references, payment_links, held_events)
 * hold one row per `(integration_id, reference)`, and held_events one per id and event: the first row for a key
 * wins, so a delivery the provider sends again changes nothing.
 */
import type { Insertable, InsertObject } from 'kysely';
import type { Database, Db } from '../../../db/schema.ts';

type ReferenceTable = 'payment_references' | 'payment_links' | 'held_events';

/** Each table's primary key. */
const KEY: Record<ReferenceTable, Array<'integration_id' | 'reference' | 'event'>> = {
  payment_references: ['integration_id', 'reference'],
  payment_links: ['integration_id', 'reference'],
  held_events: ['integration_id', 'reference', 'event'],
};

/**
 * Files `references` under the integration with `columns`, keeping any row already there; returns those that were new.
 * `created_at` is the database's clock unless given (held events expire by the caller's clock).
 */
export async function insertNewReferences<T extends ReferenceTable>(
  db: Db,
  table: T,
  integrationId: string,
  references: readonly string[],
  columns: Omit<Insertable<Database[T]>, 'integration_id' | 'reference'> & { created_at?: Date },
): Promise<string[]> {
  if (references.length === 0) return [];
  const inserted = await db
    .insertInto(table)
    // Kysely cannot see that a generic table's row is `columns` plus the two key columns; the signature checks `columns`.
    .values(references.map((reference) => ({ ...columns, integration_id: integrationId, reference }) as InsertObject<Database, T>))
    // The key's columns are columns of every table it lists; Kysely's types cannot narrow them per table.
    .onConflict((oc) => oc.columns(KEY[table] as never).doNothing())
    .returning('reference')
    .execute();
  return inserted.map((row) => row.reference);
}
