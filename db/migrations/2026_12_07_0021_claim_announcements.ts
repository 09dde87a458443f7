import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// When a claim's URL was handed to the vendor's webhooks (`license.created`). A purchase delivery that failed after
// making the claim (while applying held events) is retried by the provider; the retry finds the license already
// there, and announces the claim still unannounced instead of announcing nothing (api/_src/billing/claims.ts).
// Claims made before this migration were announced (or dropped by a held refund): they are marked so.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('license_claims').addColumn('announced_at', 'timestamptz').execute();
  await db.updateTable('license_claims').set({ announced_at: sql`created_at` }).execute();
  await db.schema.createIndex('license_claims_unannounced_idx').on('license_claims').column('license_id').where(sql.ref('announced_at'), 'is', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('license_claims_unannounced_idx').execute();
  await db.schema.alterTable('license_claims').dropColumn('announced_at').execute();
}
