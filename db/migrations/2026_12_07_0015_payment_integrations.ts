import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Payment providers create, renew and revoke licenses (api/_src/billing/, issue 17 item 10): an app's
// integrations with Stripe, Lemon Squeezy or Paddle (the signing secret sealed under SECRETS_KEY, never stored in
// clear); the provider ids (orders, subscriptions, invoices, payments) each license was made or renewed from, so a
// later renewal or refund finds its license; and one-time claims that hand a new key to its buyer.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('payment_integrations')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('app_id', 'uuid', (col) => col.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('provider', 'text', (col) => col.notNull().check(sql`provider in ('stripe', 'lemonsqueezy', 'paddle')`))
    .addColumn('description', 'text', (col) => col.check(sql`length(description) <= 200 and description !~ '[[:cntrl:]]'`))
    // AES-256-GCM under SECRETS_KEY (github/secrets.ts SecretBox), with the integration id as associated data.
    .addColumn('signing_secret_sealed', 'text', (col) => col.notNull().check(sql`signing_secret_sealed like 'v1.%'`))
    // The provider's price (Stripe, Paddle) or variant (Lemon Squeezy) id → the policy of the license it buys.
    .addColumn('prices', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`).check(sql`jsonb_typeof(prices) = 'object'`))
    .addColumn('active', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('payment_integrations_app_idx').on('payment_integrations').column('app_id').execute();

  await db.schema
    .createTable('payment_references')
    .addColumn('integration_id', 'uuid', (col) => col.notNull().references('payment_integrations.id').onDelete('cascade'))
    // A provider id: `sub_…`, `in_…`, `pi_…` (Stripe), `order:1`, `subscription:2` (Lemon Squeezy), `txn_…` (Paddle).
    .addColumn('reference', 'text', (col) => col.notNull().check(sql`length(reference) between 1 and 255 and reference !~ '[[:cntrl:]]'`))
    // The license's `external_id` (licenses.external_source is the integration's provider).
    .addColumn('external_id', 'text', (col) => col.notNull().check(sql`length(external_id) between 1 and 255 and external_id !~ '[[:cntrl:]]'`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('payment_references_pkey', ['integration_id', 'reference'])
    .execute();

  await db.schema
    .createTable('license_claims')
    // SHA-256 of the claim token: the token is only in the claim URL, so the table alone opens no claim.
    .addColumn('token_digest', 'text', (col) => col.primaryKey().check(sql`token_digest ~ '^[0-9a-f]{64}$'`))
    .addColumn('app_id', 'uuid', (col) => col.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('license_id', 'uuid', (col) => col.notNull().references('licenses.id').onDelete('cascade'))
    // The key, sealed under SECRETS_KEY with the token digest as associated data; the row is deleted when claimed.
    .addColumn('key_sealed', 'text', (col) => col.notNull().check(sql`key_sealed like 'v1.%'`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('license_claims_expires_idx').on('license_claims').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('license_claims').execute();
  await db.schema.dropTable('payment_references').execute();
  await db.schema.dropTable('payment_integrations').execute();
}
