/**
 * Migration 0003 on a database that already holds artifacts: they stay served when their signature names
 * the app's key (the admin API verified them against it), and new rows start pending.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tauriPublicKeyId } from '../api/_src/protocol/minisign-key.ts';
import { testEngines } from '../test/support/postgres.ts';
import { generateKeyPair, type KeyPair, sign } from '../test/support/tauri.ts';
import type { DatabaseHandle } from './connect.ts';
import { migrateToLatest } from './migrate.ts';
import { migrationProvider } from './migrations/index.ts';

describe.each(testEngines)('migration 2026_11_22_0003 on $name', ({ open }) => {
  let database: DatabaseHandle;
  let dir: string;
  let key: KeyPair;
  let other: KeyPair;
  let signedByKey: string;
  let signedByOther: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'migration-0003-'));
    [key, other] = await Promise.all([generateKeyPair(dir), mkdtemp(join(dir, 'o-')).then(generateKeyPair)]);
    await writeFile(join(dir, 'a.AppImage'), 'bytes');
    await writeFile(join(dir, 'b.AppImage'), 'bytes');
    signedByKey = await sign(join(dir, 'a.AppImage'), key);
    signedByOther = await sign(join(dir, 'b.AppImage'), other);
    database = await open();
  });
  afterAll(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps existing artifacts ready, records the key id of those signed with the app\'s key, and defaults new rows to pending', async () => {
    const db = database.db as Kysely<any>;
    const migrator = new Migrator({ db, provider: migrationProvider });
    expect((await migrator.migrateTo('2026_11_22_0002_trusted_publishing')).error).toBeUndefined();

    const artifact = async (appSlug: string, publicKey: string | null, signature: string) => {
      const app = await db.insertInto('apps').values({ slug: appSlug, name: appSlug, public_key: publicKey }).returning('id').executeTakeFirstOrThrow();
      const release = await db.insertInto('releases').values({ app_id: app.id, version: '1.0.0', status: 'published' }).returning('id').executeTakeFirstOrThrow();
      const row = await db
        .insertInto('artifacts')
        .values({ release_id: release.id, platform: 'linux-x86_64', bundle: 'appimage', signature, storage_key: `${appSlug}/k`, file_name: 'a.AppImage', size: 5, sha256: 'a'.repeat(64) })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id as string;
    };
    const matching = await artifact('matching', key.publicKey, signedByKey);
    const otherKey = await artifact('other-key', key.publicKey, signedByOther);
    const noKey = await artifact('no-key', null, signedByKey);
    const garbage = await artifact('garbage', key.publicKey, 'not base64 at all');

    await migrateToLatest(db);
    const rows = await db.selectFrom('artifacts').select(['id', 'state', 'verified_key_id']).execute();
    const byId = Object.fromEntries(rows.map((row) => [row.id, row]));
    expect(byId[matching]).toMatchObject({ state: 'ready', verified_key_id: tauriPublicKeyId(key.publicKey) });
    expect(byId[otherKey]).toMatchObject({ state: 'ready', verified_key_id: null });
    expect(byId[noKey]).toMatchObject({ state: 'ready', verified_key_id: null });
    expect(byId[garbage]).toMatchObject({ state: 'ready', verified_key_id: null });

    const release = await db.selectFrom('releases').select('id').limit(1).executeTakeFirstOrThrow();
    const fresh = await db
      .insertInto('artifacts')
      .values({ release_id: release.id, platform: 'linux-aarch64', bundle: 'appimage', signature: 's', storage_key: 'k2', file_name: 'c.AppImage', size: 1, sha256: 'b'.repeat(64) })
      .returning(['state', 'verified_key_id'])
      .executeTakeFirstOrThrow();
    expect(fresh).toEqual({ state: 'pending', verified_key_id: null });
    await expect(db.updateTable('artifacts').set({ verified_key_id: 'not-a-key-id' }).where('id', '=', matching).execute()).rejects.toThrow(/check constraint/);
  });
});
