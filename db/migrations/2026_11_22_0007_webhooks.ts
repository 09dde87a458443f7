import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Webhooks (api/_src/webhooks/): per-app endpoints told about release events, and one row per delivery of one
// event to one endpoint. The delivery row is the queue: pending rows with a due `next_attempt_at` are what
// any instance's scheduler picks up, so retries survive a restart.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('app_id', 'uuid', (col) => col.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('url', 'text', (col) => col.notNull().check(sql`length(url) between 1 and 2048`))
    .addColumn('description', 'text')
    // The HMAC key, as generated; never returned after creation and never logged.
    .addColumn('secret', 'text', (col) => col.notNull())
    // null: every event kind, including kinds added later.
    .addColumn('events', 'jsonb', (col) => col.check(sql`events is null or jsonb_typeof(events) = 'array'`))
    .addColumn('format', 'text', (col) => col.notNull().defaultTo('json').check(sql`format in ('json', 'slack', 'discord')`))
    .addColumn('active', 'boolean', (col) => col.notNull().defaultTo(true))
    // Circuit breaker: failed attempts since the last success; opened_at set stops attempts until a success or re-enable.
    .addColumn('consecutive_failures', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('circuit_opened_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('webhooks_app_idx').on('webhooks').column('app_id').execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('webhook_id', 'uuid', (col) => col.notNull().references('webhooks.id').onDelete('cascade'))
    // The same for every endpoint told about one event, so a receiver can de-duplicate.
    .addColumn('event_id', 'uuid', (col) => col.notNull())
    .addColumn('event', 'text', (col) => col.notNull())
    // The exact bytes sent (and signed) on every attempt.
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending').check(sql`status in ('pending', 'succeeded', 'failed', 'suppressed')`))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (col) => col.notNull().check(sql`max_attempts between 1 and 20`))
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('response_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('webhook_deliveries_webhook_idx').on('webhook_deliveries').columns(['webhook_id', 'created_at']).execute();
  // The scheduler's question: which pending deliveries are due?
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .column('next_attempt_at')
    .where(sql.ref('status'), '=', 'pending')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhooks').execute();
}
