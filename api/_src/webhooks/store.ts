/**
 * @module webhooks/store
 * Queries on `webhooks` and `webhook_deliveries`. Each takes `db` or a transaction first; the caller owns
 * the transaction. The delivery table doubles as the queue: a pending row whose `next_attempt_at` has
 * come is due, and `claimNextDue` takes one atomically, so two instances never send the same attempt.
 */
import type { Db, WebhookDeliveryRow, WebhookDeliveryStatus, WebhookRow } from '../../../db/schema.ts';


export async function findWebhook(db: Db, appId: string, id: string, lock = false): Promise<WebhookRow | undefined> {
  let query = db.selectFrom('webhooks').selectAll().where('id', '=', id).where('app_id', '=', appId);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function webhookById(db: Db, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The app's active webhooks with the app's display name (for chat formats). */
export async function activeWebhooksOf(db: Db, appId: string): Promise<(WebhookRow & { app_name: string })[]> {
  return db
    .selectFrom('webhooks')
    .innerJoin('apps', 'apps.id', 'webhooks.app_id')
    .selectAll('webhooks')
    .select('apps.name as app_name')
    .where('webhooks.app_id', '=', appId)
    .where('webhooks.active', '=', true)
    .orderBy('webhooks.created_at')
    .execute();
}

/**
 * Takes the oldest due delivery of `webhookId`: counts the attempt now (so a crash mid-attempt still
 * counts towards the bound) and leases the row until `leaseUntil`, after which another instance may retry it.
 */
export async function claimNextDue(db: Db, webhookId: string, now: Date, leaseUntil: Date): Promise<WebhookDeliveryRow | undefined> {
  return db
    .updateTable('webhook_deliveries')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), last_attempt_at: now, next_attempt_at: leaseUntil }))
    .where('id', '=', (eb) =>
      eb
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('webhook_id', '=', webhookId)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .whereRef('attempts', '<', 'max_attempts')
        .orderBy('next_attempt_at')
        .orderBy('created_at')
        .limit(1)
        .forUpdate()
        .skipLocked(),
    )
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
}

/** Pending rows whose every attempt is spent (the last one's instance died while leased): failed. */
export async function failExhausted(db: Db, webhookId: string, now: Date): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', next_attempt_at: null, completed_at: now, last_error: 'gave up: every attempt was used (the last one did not report back)' })
    .where('webhook_id', '=', webhookId)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .whereRef('attempts', '>=', 'max_attempts')
    .execute();
}

/** Every still-pending delivery of the webhook becomes `suppressed`, with the reason. */
export async function suppressPending(db: Db, webhookId: string, reason: string, now: Date): Promise<number> {
  const rows = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'suppressed', next_attempt_at: null, completed_at: now, last_error: reason })
    .where('webhook_id', '=', webhookId)
    .where('status', '=', 'pending')
    .returning('id')
    .execute();
  return rows.length;
}

/** Webhooks that have a delivery due now (what a scheduler tick works through). */
export async function webhooksWithDueDeliveries(db: Db, now: Date, limit = 500): Promise<string[]> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select('webhook_id')
    .distinct()
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .limit(limit)
    .execute();
  return rows.map((row) => row.webhook_id);
}

export interface DeliveryFilter {
  status?: WebhookDeliveryStatus | undefined;
  limit: number;
  offset: number;
}

export async function listDeliveries(db: Db, webhookId: string, filter: DeliveryFilter): Promise<WebhookDeliveryRow[]> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
  if (filter.status) query = query.where('status', '=', filter.status);
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute();
}

/** Finished deliveries older than `before` are deleted; the log is for recent history, not an archive. */
export async function pruneDeliveries(db: Db, before: Date): Promise<number> {
  const result = await db
    .deleteFrom('webhook_deliveries')
    .where('status', '!=', 'pending')
    .where('created_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
