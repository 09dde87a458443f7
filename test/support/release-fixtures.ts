/**
 * Apps, releases and artifacts written straight into the database with Kysely, for tests of the
 * read side (update checks, downloads) that must not depend on the admin API.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Storage } from '../../api/_src/storage/storage.ts';
import { artifactKey } from '../../api/_src/protocol/storage-keys.ts';
import type { ArtifactState, Database, ReleaseStatus } from '../../db/schema.ts';

export interface ArtifactFixture {
  platform: string;
  bundle?: string | null;
  file?: string;
  signature?: string;
  isDefault?: boolean;
  /** When given with `storage`, these bytes are stored under the artifact's key. */
  content?: Uint8Array;
  /** Default `ready`: as if its upload had been completed. */
  state?: ArtifactState;
  /** Default `FIXTURE_KEY_ID`: as if its signature had been verified at ingest; null: never verified. */
  verifiedKeyId?: string | null;
  /** An installer only (a DMG): no bundle, no signature, never verified against a key. */
  installerOnly?: boolean;
}

/** The key id fixture artifacts count as verified against (their signatures are not real ones). */
export const FIXTURE_KEY_ID = '0123456789ABCDEF';

export interface ReleaseFixture {
  version: string;
  status?: ReleaseStatus;
  channel?: string;
  notes?: string | null;
  pubDate?: Date | null;
  artifacts?: ArtifactFixture[];
}

export interface InsertedRelease {
  id: string;
  artifacts: Array<{ id: string; fileName: string; storageKey: string; signature: string }>;
}

/** A signature-looking value, distinct per file so bodies differ. */
export const fakeSignature = (file: string) => Buffer.from(`untrusted comment: signature from tauri secret key\n${file}`).toString('base64');

export async function insertApp(db: Kysely<Database>, slug: string, publicKey: string | null = 'cHVibGljIGtleQ=='): Promise<string> {
  const row = await db.insertInto('apps').values({ slug, name: slug, public_key: publicKey }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** An app whose updates and downloads are gated by licenses (`licensing: 'licensed'`), as rows. */
export async function insertLicensedApp(db: Kysely<Database>, slug: string): Promise<string> {
  const appId = await insertApp(db, slug);
  await db.updateTable('apps').set({ licensing: 'licensed' }).where('id', '=', appId).execute();
  return appId;
}

export async function insertRelease(
  db: Kysely<Database>,
  appId: string,
  release: ReleaseFixture,
  storage?: Storage,
): Promise<InsertedRelease> {
  const slug = (await db.selectFrom('apps').select('slug').where('id', '=', appId).executeTakeFirstOrThrow()).slug;
  const { id } = await db
    .insertInto('releases')
    .values({
      app_id: appId,
      version: release.version,
      status: release.status ?? 'published',
      channel: release.channel ?? 'stable',
      notes: release.notes ?? null,
      pub_date: release.pubDate === undefined ? new Date('2026-11-01T12:00:00Z') : release.pubDate,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const artifacts: InsertedRelease['artifacts'] = [];
  for (const a of release.artifacts ?? []) {
    const fileName = a.file ?? `${slug}_${release.version}_${a.platform}${a.bundle ? `.${a.bundle}` : ''}.bin`;
    const storageKey = artifactKey(slug, release.version, fileName);
    const content = a.content ?? new TextEncoder().encode(`${slug} ${release.version} ${fileName}`);
    if (storage && a.content) await storage.put(storageKey, content);
    const signature = a.installerOnly ? '' : (a.signature ?? fakeSignature(fileName));
    const row = await db
      .insertInto('artifacts')
      .values({
        release_id: id,
        platform: a.platform,
        bundle: a.bundle ?? null,
        signature,
        storage_key: storageKey,
        file_name: fileName,
        size: content.byteLength,
        sha256: createHash('sha256').update(content).digest('hex'),
        is_default: a.isDefault ?? false,
        state: a.state ?? 'ready',
        verified_key_id: a.installerOnly ? null : a.verifiedKeyId === undefined ? FIXTURE_KEY_ID : a.verifiedKeyId,
        installer_only: a.installerOnly ?? false,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    artifacts.push({ id: row.id, fileName, storageKey, signature });
  }
  return { id, artifacts };
}
