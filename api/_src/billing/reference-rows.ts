/**
 * @module billing/reference-rows
 * The tables that file a provider's ids under an integration (payment_references, payment_links, held_revocations)
 * hold one row per `(integration_id, reference)`: the first row for an id wins, so a delivery the provider sends
 * again changes nothing.
 */
import type { Insertable, InsertObject } from 'kysely';
import type { Database, Db } from '../../../db/schema.ts';

type ReferenceTable = 'payment_references' | 'payment_links' | 'held_revocations';

/**
 * Files `references` under the integration with `columns`, keeping any row already there; returns those that were new.
 * `created_at` is the database's clock unless given (held revocations expire by the caller's clock).
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
    .onConflict((oc) => oc.columns(['integration_id', 'reference']).doNothing())
    .returning('reference')
    .execute();
  return inserted.map((row) => row.reference);
}
