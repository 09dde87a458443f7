import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Installers (api/_src/protocol/installers.ts): an artifact may be an installer only (a notarized DMG), which has no
// bundle type and no updater signature (`signature` is '' and, as before, an unsigned artifact is never offered to the
// updater); it has a slot of its own per platform, beside a bundle-less updater artifact. Uploads in flight may be
// installers too. Apps get the two settings of the public installer links: the download page (opt-in) and, for a
// licensed app, whether installers are open to everyone.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('artifacts').addColumn('installer_only', 'boolean', (col) => col.notNull().defaultTo(false)).execute();
  await sql`alter table artifacts add constraint artifacts_installer_only_check
    check (not installer_only or (bundle is null and signature = '' and verified_key_id is null))`.execute(db);
  await sql`drop index artifacts_release_platform_bundle_unique`.execute(db);
  await sql`create unique index artifacts_release_platform_bundle_unique
    on artifacts (release_id, platform, coalesce(bundle, ''), installer_only)`.execute(db);

  await db.schema.alterTable('artifact_uploads').addColumn('installer_only', 'boolean', (col) => col.notNull().defaultTo(false)).execute();
  await db.schema.alterTable('artifact_uploads').alterColumn('bundle', (col) => col.dropNotNull()).execute();
  await sql`alter table artifact_uploads add constraint artifact_uploads_installer_only_check
    check (installer_only = (bundle is null))`.execute(db);

  await db.schema.alterTable('apps').addColumn('download_page', 'boolean', (col) => col.notNull().defaultTo(false)).execute();
  await db.schema.alterTable('apps').addColumn('public_installers', 'boolean', (col) => col.notNull().defaultTo(false)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').dropColumn('public_installers').execute();
  await db.schema.alterTable('apps').dropColumn('download_page').execute();
  await db.deleteFrom('artifact_uploads').where('installer_only', '=', true).execute();
  await db.schema.alterTable('artifact_uploads').dropConstraint('artifact_uploads_installer_only_check').execute();
  await db.schema.alterTable('artifact_uploads').alterColumn('bundle', (col) => col.setNotNull()).execute();
  await db.schema.alterTable('artifact_uploads').dropColumn('installer_only').execute();
  await db.deleteFrom('artifacts').where('installer_only', '=', true).execute();
  await sql`drop index artifacts_release_platform_bundle_unique`.execute(db);
  await sql`create unique index artifacts_release_platform_bundle_unique
    on artifacts (release_id, platform, coalesce(bundle, ''))`.execute(db);
  await db.schema.alterTable('artifacts').dropConstraint('artifacts_installer_only_check').execute();
  await db.schema.alterTable('artifacts').dropColumn('installer_only').execute();
}
