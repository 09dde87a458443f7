import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import application types.
// Verification at ingest (api/_src/ci/): an artifact is `pending` until its bytes are checked against the declared
// size, sha256 and signature, then `ready` with the key id it was verified against. Uploads through the CI API
// are tracked in `artifact_uploads` (the staged object, the S3 multipart upload, the filesystem PUT token).
export async function up(db: Kysely<any>): Promise<void> {
  // Existing rows were stored by the admin API, which only ever wrote complete objects: they are ready.
  await db.schema
    .alterTable('artifacts')
    .addColumn('state', 'text', (col) => col.notNull().defaultTo('ready').check(sql`state in ('pending', 'ready')`))
    .execute();
  // From now on a row must say it is ready; anything that forgets stays unserved.
  await db.schema.alterTable('artifacts').alterColumn('state', (col) => col.setDefault('pending')).execute();
  await db.schema
    .alterTable('artifacts')
    .addColumn('verified_key_id', 'text', (col) => col.check(sql`verified_key_id ~ '^[0-9A-F]{16}$'`))
    .execute();
  await backfillVerifiedKeyIds(db);

  await db.schema
    .createTable('artifact_uploads')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('release_id', 'uuid', (col) => col.notNull().references('releases.id').onDelete('cascade'))
    .addColumn('platform', 'text', (col) => col.notNull())
    .addColumn('bundle', 'text', (col) => col.notNull().check(sql`bundle in ('app', 'appimage', 'deb', 'rpm', 'msi', 'nsis')`))
    .addColumn('file_name', 'text', (col) => col.notNull())
    .addColumn('size', 'bigint', (col) => col.notNull().check(sql`size > 0`))
    .addColumn('sha256', 'text', (col) => col.notNull().check(sql`sha256 ~ '^[0-9a-f]{64}$'`))
    .addColumn('signature', 'text', (col) => col.notNull())
    .addColumn('content_type', 'text')
    // Where the bytes go: unique per upload, so a re-upload never overwrites bytes that are ready.
    .addColumn('storage_key', 'text', (col) => col.notNull().unique())
    // S3 multipart: the bucket's UploadId and the equal part size every part but the last has.
    .addColumn('multipart_upload_id', 'text')
    .addColumn('part_size', 'bigint')
    .addColumn('part_count', 'integer')
    // Filesystem storage: SHA-256 of the token in the PUT URL; the token itself is never stored.
    .addColumn('token_hash', 'text')
    .addColumn('actor', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('completed_at', 'timestamptz')
    // Why `complete` refused the bytes, repeated to a client that asks again.
    .addColumn('failure', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'artifact_uploads_multipart_complete',
      sql`(multipart_upload_id is null) = (part_size is null) and (part_size is null) = (part_count is null)`,
    )
    .execute();
  await db.schema.createIndex('artifact_uploads_release_idx').on('artifact_uploads').columns(['release_id', 'platform', 'bundle']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('artifact_uploads').execute();
  await db.schema.alterTable('artifacts').dropColumn('verified_key_id').execute();
  await db.schema.alterTable('artifacts').dropColumn('state').execute();
}

/**
 * The admin API verified every upload against the app's public key whenever the app had one, and a
 * signature can only have verified against a key with its own key id. So an existing artifact whose
 * signature names the app's current key id is recorded as verified against it; any other (an app without a
 * key, or a key changed since) stays unverified and is not served until it is uploaded again.
 */
async function backfillVerifiedKeyIds(db: Kysely<any>): Promise<void> {
  const rows: Array<{ id: string; signature: string; public_key: string | null }> = await db
    .selectFrom('artifacts')
    .innerJoin('releases', 'releases.id', 'artifacts.release_id')
    .innerJoin('apps', 'apps.id', 'releases.app_id')
    .select(['artifacts.id', 'artifacts.signature', 'apps.public_key'])
    .where('apps.public_key', 'is not', null)
    .execute();
  for (const row of rows) {
    const keyId = keyIdOf(row.public_key!);
    if (keyId !== null && keyId === keyIdOf(row.signature)) {
      await db.updateTable('artifacts').set({ verified_key_id: keyId }).where('id', '=', row.id).execute();
    }
  }
}

/**
 * The key id in a Tauri public key or signature: base64 of a minisign text whose second line is base64
 * of 2 algorithm bytes, the 8-byte key id (little-endian, printed as 16 upper-case hex digits), and more.
 */
function keyIdOf(value: string): string | null {
  const line = Buffer.from(value.trim(), 'base64').toString('utf8').split('\n')[1]?.trim() ?? '';
  const bytes = Buffer.from(line, 'base64');
  if (bytes.length < 10) return null;
  return bytes.readBigUInt64LE(2).toString(16).toUpperCase().padStart(16, '0');
}
