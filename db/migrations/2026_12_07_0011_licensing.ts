import { type Kysely, type RawBuilder, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// License-gated updates (api/_src/licensing/, issue 17): per app `open` (as before, the default) or `licensed`;
// policies; licenses stored as an HMAC digest of their key, never the key; the installs counted against a
// machine limit; and on releases the date a license's cutoff is compared with: the first publication (kept by a
// trigger, so no code path can move it) or an admin's back-date.

/** A JSON array of at most 64 entitlement names (what api/_src/licensing/ compares as strings). */
function entitlementList(column: string): RawBuilder<unknown> {
  return sql`jsonb_typeof(${sql.ref(column)}) = 'array' and jsonb_array_length(${sql.ref(column)}) <= 64
    and not jsonb_path_exists(${sql.ref(column)}, '$[*] ? (@.type() != "string" || !(@ like_regex "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"))')`;
}

const ENTITLEMENT = sql`'^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('apps')
    .addColumn('licensing', 'text', (col) => col.notNull().defaultTo('open').check(sql`licensing in ('open', 'licensed')`))
    .execute();

  await db.schema
    .createTable('license_policies')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('app_id', 'uuid', (col) => col.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('name', 'text', (col) => col.notNull().check(sql`length(name) between 1 and 100 and name !~ '[[:cntrl:]]'`))
    // null: perpetual.
    .addColumn('duration_days', 'integer', (col) => col.check(sql`duration_days between 1 and 36500`))
    .addColumn('expiry_strategy', 'text', (col) => col.notNull().defaultTo('fallback').check(sql`expiry_strategy in ('fallback', 'revoke', 'allow')`))
    .addColumn('expiration_basis', 'text', (col) => col.notNull().defaultTo('created').check(sql`expiration_basis in ('created', 'first_check')`))
    .addColumn('grace_days', 'integer', (col) => col.notNull().defaultTo(0).check(sql`grace_days between 0 and 3650`))
    // null: any number of installs.
    .addColumn('max_machines', 'integer', (col) => col.check(sql`max_machines between 1 and 100000`))
    .addColumn('entitlements', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`).check(entitlementList('entitlements')))
    .addColumn('patch_line_after_expiry', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('license_policies_app_name_unique', ['app_id', 'name'])
    // The target of licenses' (app_id, policy_id) key: a license's policy is always its own app's.
    .addUniqueConstraint('license_policies_app_id_unique', ['app_id', 'id'])
    .execute();

  await db.schema
    .createTable('licenses')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('app_id', 'uuid', (col) => col.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('policy_id', 'uuid', (col) => col.notNull())
    // HMAC-SHA256 of the key under an HKDF subkey of SECRETS_KEY, named by key_secret_id; the key is never stored.
    .addColumn('key_digest', 'text', (col) => col.notNull().unique().check(sql`key_digest ~ '^[0-9a-f]{64}$'`))
    .addColumn('key_secret_id', 'text', (col) => col.notNull().check(sql`key_secret_id ~ '^[0-9a-f]{16}$'`))
    // `trl_` and 4 of the key's 26 random characters: enough to find a license in support, 110 bits short of the key.
    .addColumn('key_prefix', 'text', (col) => col.notNull().check(sql`key_prefix ~ '^trl_[0-9A-HJKMNP-TV-Z]{4}$'`))
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('active').check(sql`status in ('active', 'suspended', 'revoked')`))
    // null: computed from the policy (its duration from creation or from the first check), or perpetual.
    .addColumn('expires_at', 'timestamptz')
    .addColumn('entitlements', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`).check(entitlementList('entitlements')))
    // A payment provider's (or an import's) id for the purchase: creating from the same event twice finds the first.
    .addColumn('external_source', 'text', (col) => col.check(sql`external_source ~ '^[a-z][a-z0-9_-]{0,31}$'`))
    .addColumn('external_id', 'text', (col) => col.check(sql`length(external_id) between 1 and 255 and external_id !~ '[[:cntrl:]]'`))
    .addColumn('first_checked_at', 'timestamptz')
    .addColumn('revision', 'bigint', (col) => col.notNull().defaultTo(1).check(sql`revision >= 1`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    // No ON DELETE: a policy in use cannot be deleted (deleting the app removes both).
    .addForeignKeyConstraint('licenses_policy_fkey', ['app_id', 'policy_id'], 'license_policies', ['app_id', 'id'])
    .addCheckConstraint('licenses_external_pair', sql`(external_source is null) = (external_id is null)`)
    .addUniqueConstraint('licenses_app_external_unique', ['app_id', 'external_source', 'external_id'])
    .execute();
  await db.schema.createIndex('licenses_app_prefix_idx').on('licenses').columns(['app_id', 'key_prefix']).execute();
  await db.schema.createIndex('licenses_policy_idx').on('licenses').columns(['app_id', 'policy_id']).execute();

  await db.schema
    .createTable('license_machines')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('license_id', 'uuid', (col) => col.notNull().references('licenses.id').onDelete('cascade'))
    // SHA-256 of the license id and the X-Install-Id; the install id itself is never stored.
    .addColumn('install_digest', 'text', (col) => col.notNull().check(sql`install_digest ~ '^[0-9a-f]{64}$'`))
    .addColumn('first_seen_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('deactivated_at', 'timestamptz')
    .execute();
  // Counted once while active; a deactivated install that comes back gets a new row.
  await sql`create unique index license_machines_active_unique
    on license_machines (license_id, install_digest) where deactivated_at is null`.execute(db);

  await db.schema.alterTable('releases').addColumn('first_published_at', 'timestamptz').execute();
  // pub_date is already the first publication (a re-publish keeps it); a published row without one is served
  // with its creation time as its date (update/snapshot.ts), so that is its first publication too.
  await sql`update releases set first_published_at = coalesce(pub_date, created_at)
    where pub_date is not null or status = 'published'`.execute(db);
  await sql`create function releases_keep_first_publication() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and old.first_published_at is not null then
        new.first_published_at := old.first_published_at;
      elsif new.first_published_at is null and new.status = 'published' then
        new.first_published_at := coalesce(new.pub_date, now());
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger releases_first_publication before insert or update on releases
    for each row execute function releases_keep_first_publication()`.execute(db);

  await db.schema.alterTable('releases').addColumn('entitlement_date', 'timestamptz').execute();
  await db.schema
    .alterTable('releases')
    .addCheckConstraint('releases_entitlement_date_backdates', sql`entitlement_date <= first_published_at`)
    .execute();
  await db.schema
    .alterTable('releases')
    .addColumn('required_entitlements', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`).check(entitlementList('required_entitlements')))
    .execute();

  await db.schema
    .alterTable('release_channels')
    .addColumn('required_entitlement', 'text', (col) => col.check(sql`required_entitlement ~ ${ENTITLEMENT}`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('release_channels').dropColumn('required_entitlement').execute();
  await db.schema.alterTable('releases').dropColumn('required_entitlements').execute();
  await db.schema.alterTable('releases').dropConstraint('releases_entitlement_date_backdates').execute();
  await db.schema.alterTable('releases').dropColumn('entitlement_date').execute();
  await sql`drop trigger releases_first_publication on releases`.execute(db);
  await sql`drop function releases_keep_first_publication()`.execute(db);
  await db.schema.alterTable('releases').dropColumn('first_published_at').execute();
  await db.schema.dropTable('license_machines').execute();
  await db.schema.dropTable('licenses').execute();
  await db.schema.dropTable('license_policies').execute();
  await db.schema.alterTable('apps').dropColumn('licensing').execute();
}
