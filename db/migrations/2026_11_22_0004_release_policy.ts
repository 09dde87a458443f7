import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Release policy (api/_src/update/): channels that follow other channels, staged rollouts bucketed with a per-release
// seed, yanking with a replacement, and critical / minimum-supported-version flags served as extra manifest fields.
export async function up(db: Kysely<any>): Promise<void> {
  // Per app, the channels it offers and which more stable channel each follows (`beta` follows `stable`,
  // `nightly` follows `beta`). `stable` exists without a row and follows nothing. The composite foreign key keeps
  // a followed channel from being dropped while another follows it.
  await db.schema
    .createTable('release_channels')
    .addColumn('app_id', 'uuid', (col) => col.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('name', 'text', (col) => col.notNull().check(sql`name ~ '^[a-z0-9][a-z0-9._-]{0,31}$'`))
    .addColumn('follows', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('release_channels_pkey', ['app_id', 'name'])
    .addForeignKeyConstraint('release_channels_follows_fkey', ['app_id', 'follows'], 'release_channels', ['app_id', 'name'])
    .addCheckConstraint('release_channels_not_self', sql`follows is null or follows <> name`)
    .addCheckConstraint('release_channels_stable_follows_nothing', sql`name <> 'stable' or follows is null`)
    .execute();

  // A volatile default is evaluated per row, so every existing release gets its own seed too.
  await db.schema
    .alterTable('releases')
    .addColumn('rollout_seed', 'uuid', (col) => col.notNull().defaultTo(sql`gen_random_uuid()`))
    .execute();
  await db.schema.alterTable('releases').addColumn('critical', 'boolean', (col) => col.notNull().defaultTo(false)).execute();
  await db.schema.alterTable('releases').addColumn('min_supported_version', 'text').execute();
  await db.schema.alterTable('releases').addColumn('yanked_at', 'timestamptz').execute();
  await db.schema
    .alterTable('releases')
    .addColumn('replacement_release_id', 'uuid', (col) => col.references('releases.id').onDelete('set null'))
    .execute();
  await db.schema
    .alterTable('releases')
    .addCheckConstraint('releases_replacement_needs_yank', sql`replacement_release_id is null or yanked_at is not null`)
    .execute();
  await db.schema
    .alterTable('releases')
    .addCheckConstraint('releases_replacement_not_self', sql`replacement_release_id is null or replacement_release_id <> id`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('releases').dropConstraint('releases_replacement_not_self').execute();
  await db.schema.alterTable('releases').dropConstraint('releases_replacement_needs_yank').execute();
  for (const column of ['replacement_release_id', 'yanked_at', 'min_supported_version', 'critical', 'rollout_seed']) {
    await db.schema.alterTable('releases').dropColumn(column).execute();
  }
  await db.schema.dropTable('release_channels').execute();
}
