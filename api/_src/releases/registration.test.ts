import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppRow } from '../../../db/schema.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { generateKeyPair, type KeyPair } from '../../../test/support/tauri.ts';
import type { Principal } from '../auth/principal.ts';
import { ApiError } from '../http/api-error.ts';
import { signedArtifact, type SignedArtifact } from '../ci/testing.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import { artifactKey, directUploadKey } from '../protocol/storage-keys.ts';
import type { Storage } from '../storage/storage.ts';
import { IngestRefusal } from './ingest.ts';
import { withPublishChecks } from './status.ts';
import {
  alreadyRegistered,
  completeUpload,
  createOrReuseDraft,
  locateStoredArtifacts,
  publishForCi,
  registerUpload,
  storeVerifiedArtifacts,
  verifyStoredArtifacts,
} from './registration.ts';
import { type ArtifactValues, artifactsOf } from './store.ts';

/** The CI registration functions called directly, each in a transaction of its own, as the CI routes call them. */
describe('releases/registration', () => {
  let ctx: TestContext;
  let dir: string;
  let key: KeyPair;
  let app: AppRow;
  let file: SignedArtifact;
  const principal: Principal = { actor: 'oidc:owner/repo@1', scope: 'ci', appId: null, keyId: null };
  const via = { via: 'ci' };
  const db = () => ctx.database.db;
  const audits = (action: string) => db().selectFrom('audit_log').selectAll().where('action', '=', action).execute();
  const values = (storageKey: string, overrides: Partial<ArtifactValues> = {}): ArtifactValues => ({
    platform: 'linux-x86_64',
    bundle: 'appimage',
    fileName: file.name,
    size: file.bytes.byteLength,
    sha256: file.sha256,
    signature: file.signature,
    storageKey,
    installerOnly: false,
    ...overrides,
  });
  /** `values` with the HEAD `locateStoredArtifacts` would have made of its key. */
  const located = async (storageKey: string, overrides: Partial<ArtifactValues> = {}) => ({ ...values(storageKey, overrides), head: await ctx.storage.head(storageKey) });

  beforeAll(async () => {
    ctx = await createTestContext();
    dir = await mkdtemp(join(tmpdir(), 'registration-'));
    key = await generateKeyPair(dir);
    app = await db().insertInto('apps').values({ slug: 'my-app', name: 'my-app', public_key: key.publicKey }).returningAll().executeTakeFirstOrThrow();
    file = await signedArtifact(dir, key, 'my-app_1.0.0_amd64.AppImage', randomBytes(3000), '1.0.0');
  });
  afterAll(async () => {
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('createOrReuseDraft', () => {
    it('creates the draft once, audited with `via`; a repeat reuses it', async () => {
      const first = await db().transaction().execute((trx) => createOrReuseDraft(trx, principal, app, { version: '0.9.0', notes: 'n' }, via));
      expect(first).toMatchObject({ created: true, release: { version: '0.9.0', status: 'draft', notes: 'n' } });
      const again = await db().transaction().execute((trx) => createOrReuseDraft(trx, principal, app, { version: '0.9.0', notes: 'n' }, via));
      expect(again).toEqual({ created: false, release: first.release });
      const created = (await audits('release.create')).filter((row) => row.target === `release:${first.release.id}`);
      expect(created).toHaveLength(1);
      expect(created[0]!.details).toMatchObject({ version: '0.9.0', via: 'ci' });
    });

    it('brings a draft up to the request, and refuses to change a live release (409)', async () => {
      const { release } = await db().transaction().execute((trx) => createOrReuseDraft(trx, principal, app, { version: '0.9.1' }, via));
      const updated = await db().transaction().execute((trx) => createOrReuseDraft(trx, principal, app, { version: '0.9.1', channel: 'beta' }, via));
      expect(updated).toMatchObject({ created: false, release: { id: release.id, channel: 'beta' } });
      await db().updateTable('releases').set({ status: 'published' }).where('id', '=', release.id).execute();
      const live = db().transaction().execute((trx) => createOrReuseDraft(trx, principal, app, { version: '0.9.1', notes: 'other' }, via));
      await expect(live).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/^release 0\.9\.1 is published with other notes than this request's; CI does not change a live release/) });
    });
  });

  describe('one artifact, registered and completed', () => {
    let releaseId: string;
    const uploadId = randomUUID();
    const staged = `my-app/releases/1.0.0/uploads/${uploadId}/${'my-app_1.0.0_amd64.AppImage'}`;

    beforeAll(async () => {
      ({ release: { id: releaseId } } = await db().transaction().execute((trx) => createOrReuseDraft(trx, principal, app, { version: '1.0.0' }, via)));
    });

    it('registers a requested upload as a pending artifact', async () => {
      const upload = {
        id: uploadId, release_id: releaseId, platform: 'linux-x86_64', bundle: 'appimage', file_name: file.name, size: file.bytes.byteLength,
        sha256: file.sha256, signature: file.signature, content_type: null, storage_key: staged, multipart_upload_id: null, part_size: null,
        part_count: null, token_hash: null, actor: principal.actor, expires_at: new Date(Date.now() + 60_000),
      };
      const row = await db().transaction().execute((trx) => registerUpload(trx, app, releaseId, upload, values(staged)));
      expect(row).toMatchObject({ state: 'pending', verified_key_id: null, storage_key: staged });
    });

    it('verifies the stored bytes, then makes the artifact ready; a second complete finds the work done', async () => {
      await expect(verifyStoredArtifacts(ctx.storage, app, '1.0.0', [await located(staged)])).rejects.toMatchObject({ rule: 'not_uploaded' });
      await ctx.storage.put(staged, file.bytes);
      const [keyId] = await verifyStoredArtifacts(ctx.storage, app, '1.0.0', [await located(staged)]);
      expect(keyId).toBe(tauriPublicKeyId(key.publicKey));
      const done = await db().transaction().execute((trx) => completeUpload(trx, principal, app, releaseId, { id: uploadId }, values(staged), keyId!, new Date(), via));
      expect(done.row).toMatchObject({ state: 'ready', verified_key_id: keyId, storage_key: staged });
      expect(done.previous).toMatchObject({ state: 'pending' });
      const again = await db().transaction().execute((trx) => completeUpload(trx, principal, app, releaseId, { id: uploadId }, values(staged), keyId!, new Date(), via));
      expect(again).toEqual({ row: expect.objectContaining({ id: done.row.id, state: 'ready' }), previous: undefined });
      expect((await audits('artifact.upload')).filter((row) => (row.details as { upload_id?: string }).upload_id === uploadId)).toHaveLength(1);
    });

    it('refuses bytes another key signed before reading them', async () => {
      const other = await generateKeyPair(await mkdtemp(join(dir, 'other-')));
      const foreign = await signedArtifact(await mkdtemp(join(dir, 'f-')), other, file.name, file.bytes, '1.0.0');
      const refused = verifyStoredArtifacts(ctx.storage, app, '1.0.0', [await located(staged, { signature: foreign.signature })]);
      await expect(refused).rejects.toBeInstanceOf(IngestRefusal);
      await expect(refused).rejects.toMatchObject({ status: 422, rule: 'key_id_mismatch' });
    });

    it('replaces a ready artifact in its slot and hands back the replaced object', async () => {
      const stored = 'my-app/releases/1.0.0/my-app_1.0.0_amd64.AppImage';
      const replaced = await db().transaction().execute((trx) =>
        storeVerifiedArtifacts(trx, principal, app, releaseId, [values(stored)], [tauriPublicKeyId(key.publicKey)!], via),
      );
      expect(replaced).toEqual([staged]);
      expect((await artifactsOf(db(), [releaseId])).map((row) => row.storage_key)).toEqual([stored]);
    });

    it('publishes the draft once; a re-run changes nothing', async () => {
      await ctx.storage.put('my-app/releases/1.0.0/my-app_1.0.0_amd64.AppImage', file.bytes);
      const first = await withPublishChecks(db(), ctx.storage, (trx, checkPublishable) => publishForCi(trx, checkPublishable, principal, app, '1.0.0'));
      expect(first).toMatchObject({ changed: true, release: { status: 'published', pub_date: expect.any(Date) } });
      const again = await withPublishChecks(db(), ctx.storage, (trx, checkPublishable) => publishForCi(trx, checkPublishable, principal, app, '1.0.0'));
      expect(again).toMatchObject({ changed: false, release: { id: first.release.id, status: 'published' } });
    });

    it('on a live release, the same artifacts are a no-op and others a 409 naming them', async () => {
      const release = await db().selectFrom('releases').selectAll().where('id', '=', releaseId).executeTakeFirstOrThrow();
      expect(await alreadyRegistered(db(), release, [values('my-app/releases/1.0.0/my-app_1.0.0_amd64.AppImage')])).toBe(true);
      const changed = alreadyRegistered(db(), release, [values('x', { sha256: '0'.repeat(64) })]);
      await expect(changed).rejects.toBeInstanceOf(ApiError);
      await expect(changed).rejects.toMatchObject({ status: 409, message: expect.stringContaining(`these differ from what it holds: ${file.name} (linux-x86_64)`) });
    });

    it('does not publish again what an admin archived (409)', async () => {
      await db().updateTable('releases').set({ status: 'archived' }).where('id', '=', releaseId).execute();
      const refused = withPublishChecks(db(), ctx.storage, (trx, checkPublishable) => publishForCi(trx, checkPublishable, principal, app, '1.0.0'));
      await expect(refused).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/^release 1\.0\.0 was archived by an admin; CI does not publish it again/) });
    });
  });

  it('publishes with the stored bytes checked outside the lock: a hanging storage holds up no other writer of the release', async () => {
    const { release } = await db().transaction().execute((trx) => createOrReuseDraft(trx, principal, app, { version: '3.0.0' }, via));
    const stored = 'my-app/releases/3.0.0/my-app_1.0.0_amd64.AppImage';
    await ctx.storage.put(stored, file.bytes);
    await db().transaction().execute((trx) => storeVerifiedArtifacts(trx, principal, app, release.id, [values(stored)], [tauriPublicKeyId(key.publicKey)!], via));
    let headStarted!: () => void;
    let answer!: () => void;
    const started = new Promise<void>((resolve) => (headStarted = resolve));
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const held = new Proxy(ctx.storage, {
      get: (target, name: keyof Storage) =>
        name === 'head'
          ? async (storageKey: string) => (headStarted(), await answered, target.head(storageKey))
          : typeof target[name] === 'function' ? (target[name] as Function).bind(target) : target[name],
    });
    const publishing = withPublishChecks(db(), held, (trx, checkPublishable) => publishForCi(trx, checkPublishable, principal, app, '3.0.0'));
    await started;
    const writing = db().transaction().execute((trx) => createOrReuseDraft(trx, principal, app, { version: '3.0.0', notes: 'while publishing' }, via));
    let timer: NodeJS.Timeout | undefined;
    const first = await Promise.race([writing.then(() => 'write'), new Promise((resolve) => (timer = setTimeout(resolve, 3000, 'still waiting')))]);
    clearTimeout(timer);
    answer();
    expect(first).toBe('write');
    expect(await publishing).toMatchObject({ changed: true, release: { status: 'published', notes: 'while publishing' } });
  });

  it('finds directly uploaded bytes at their content-addressed key first, then at the key older upload-r2 releases wrote', async () => {
    const contentKey = directUploadKey('my-app', '4.0.0', file.sha256, file.name);
    const legacyKey = artifactKey('my-app', '4.0.0', file.name);
    const locate = async () => {
      const [found] = await locateStoredArtifacts(ctx.storage, app, '4.0.0', [values('ignored')]);
      return { storageKey: found!.storageKey, storedSize: found!.head?.size ?? null };
    };
    expect(await locate()).toEqual({ storageKey: contentKey, storedSize: null }); // nothing stored: verification then refuses it as not uploaded
    await ctx.storage.put(legacyKey, file.bytes);
    expect(await locate()).toEqual({ storageKey: legacyKey, storedSize: file.bytes.byteLength });
    await ctx.storage.put(contentKey, file.bytes.subarray(1));
    expect(await locate()).toEqual({ storageKey: contentKey, storedSize: file.bytes.byteLength - 1 });
  });

  it('a draft has nothing registered yet', async () => {
    const { release } = await db().transaction().execute((trx) => createOrReuseDraft(trx, principal, app, { version: '2.0.0' }, via));
    expect(await alreadyRegistered(db(), release, [])).toBe(false);
  });
});
