/**
 * @module audit/audit
 * Every mutation of the control plane writes one row here, inside the same transaction as the change.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import type { Principal } from '../auth/principal.ts';
import type { AuditAction } from '../protocol/audit-actions.ts';

export interface AuditEntry {
  action: AuditAction;
  appId: string | null;
  /** What was acted on, e.g. `release:<id>` or `artifact:<id>`. */
  target?: string | null;
  details?: Record<string, unknown> | null;
}

/** `principal`: who acted; anything with an `actor` (a `Principal`, or e.g. `{ actor: 'integration:<id>' }` for a billing webhook). */
export async function audit(db: Kysely<Database> | Transaction<Database>, principal: Pick<Principal, 'actor'> | 'system', entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      actor: principal === 'system' ? 'system' : principal.actor,
      action: entry.action,
      app_id: entry.appId,
      target: entry.target ?? null,
      details: entry.details ? JSON.stringify(entry.details) : null,
    })
    .execute();
}
