/**
 * @module releases/registration
 * How CI registers a release and its artifacts, as plain functions over a transaction: the CI routes
 * (`ci/releases.ts`) own the transactions and the HTTP. Every step can be repeated: parallel matrix legs
 * and re-runs of a workflow end in the same state. The release row is created with INSERT … ON CONFLICT
 * on (app, version), artifacts are upserted on (release, platform, bundle), and each write then takes the
 * release's row lock, as the admin API does. Publishing goes through the transition table and
 * `withPublishChecks` (`status.ts`), so CI and admins refuse the same releases.
 *
 * `via` is what the audit log keeps about the CI caller besides its actor (`{via: 'ci', run_attempt, …}`).
 */
import type { Insertable } from 'kysely';
import type { AppRow, ArtifactRow, ArtifactUploadRow, ArtifactUploadsTable, ReleaseRow } from '../../../db/schema.ts';
import { audit } from '../audit/audit.ts';
import type { Principal } from '../auth/principal.ts';
import { conflict } from '../http/api-error.ts';
import { directUploadKeys } from '../protocol/storage-keys.ts';
import type { ObjectInfo, Storage } from '../storage/storage.ts';
import { verifyStoredArtifact } from './ingest.ts';
import { checkFileNameFree, sameSlot } from './slots.ts';
import { changeStatus, checkTransition } from './status.ts';
import type { Db } from '../../../db/schema.ts';
import { type ArtifactValues, artifactsOf, assertDraft, findRelease, registerPendingArtifact, storeReadyArtifact } from './store.ts';

export type AuditVia = Record<string, unknown>;

export interface DraftRequest {
  version: string;
  notes?: string | null | undefined;
  channel?: string | undefined;
}

/**
 * Creates the draft for `request.version`, or reuses the release another leg (or an earlier run) created,
 * bringing a draft's notes and channel up to the request's. A live release with other notes or channel is a 409.
 */
export async function createOrReuseDraft(trx: Db, principal: Principal, app: AppRow, request: DraftRequest, via: AuditVia): Promise<{ release: ReleaseRow; created: boolean }> {
  const inserted = await trx
    .insertInto('releases')
    .values({ app_id: app.id, version: request.version, notes: request.notes ?? null, ...(request.channel ? { channel: request.channel } : {}) })
    .onConflict((oc) => oc.constraint('releases_app_version_unique').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) {
    await audit(trx, principal, {
      action: 'release.create',
      appId: app.id,
      target: `release:${inserted.id}`,
      details: { version: inserted.version, channel: inserted.channel, ...via },
    });
    return { release: inserted, created: true };
  }
  const existing = await findRelease(trx, app, request.version, true);
  const changes: { notes?: string | null; channel?: string } = {};
  if (request.notes !== undefined && request.notes !== existing.notes) changes.notes = request.notes;
  if (request.channel !== undefined && request.channel !== existing.channel) changes.channel = request.channel;
  if (Object.keys(changes).length === 0) return { release: existing, created: false };
  if (existing.status !== 'draft') {
    throw conflict(
      `release ${existing.version} is ${existing.status} with other ${Object.keys(changes).join(' and ')} than this request's; ` +
        'CI does not change a live release (an admin can, with PATCH /admin/apps/{app}/releases/{version})',
    );
  }
  const updated = await trx.updateTable('releases').set({ ...changes, updated_at: new Date() }).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow();
  await audit(trx, principal, { action: 'release.update', appId: app.id, target: `release:${existing.id}`, details: { version: existing.version, changes, ...via } });
  return { release: updated, created: false };
}

/**
 * For a release that is no longer a draft, the same artifacts again are a no-op (a re-run); others are a
 * 409 naming them. Returns false for a draft, whose artifacts are still to be registered.
 */
export async function alreadyRegistered(db: Db, release: ReleaseRow, planned: readonly ArtifactValues[]): Promise<boolean> {
  if (release.status === 'draft') return false;
  const existing = await artifactsOf(db, [release.id]);
  const differing = planned.filter((p) => {
    const row = existing.find((r) => sameSlot(r, p.platform, p.bundle, p.installerOnly));
    return !row || row.state !== 'ready' || row.sha256 !== p.sha256 || row.size !== p.size || row.file_name !== p.fileName;
  });
  if (differing.length === 0) return true;
  throw conflict(
    `release ${release.version} is ${release.status}, and a published release's artifacts are immutable; these differ from what it holds: ` +
      `${differing.map((p) => `${p.fileName} (${p.platform})`).join(', ')}; create a new version instead`,
  );
}

/** An artifact of the one-call registration, at the key that holds its bytes, with what the HEAD of that key answered. */
export interface LocatedArtifact extends ArtifactValues {
  /** null: nothing is stored at either key. */
  head: ObjectInfo | null;
}

/**
 * The one-call registration's artifacts, each with the key that holds its bytes: the first of `directUploadKeys`
 * (its content-addressed key, then the legacy one older upload-r2 releases wrote) where an object is stored. The keys
 * come from the declared file name and sha256, never from a path the client gives; with neither stored, the
 * content-addressed key, which verification then refuses as not uploaded. Each key is HEADed at most once; the answer
 * goes on to verification, which does not ask the bucket again (one HEAD fewer per artifact, and no second answer
 * that could disagree with the first).
 */
export async function locateStoredArtifacts(storage: Storage, app: AppRow, version: string, planned: readonly ArtifactValues[]): Promise<LocatedArtifact[]> {
  const located: LocatedArtifact[] = [];
  for (const values of planned) {
    const [contentKey, legacyKey] = directUploadKeys(app.slug, version, values.sha256, values.fileName);
    const atContentKey = await storage.head(contentKey);
    const atLegacyKey = atContentKey ? null : await storage.head(legacyKey);
    located.push(atLegacyKey ? { ...values, storageKey: legacyKey, head: atLegacyKey } : { ...values, storageKey: contentKey, head: atContentKey });
  }
  return located;
}

/** Checks each artifact where `locateStoredArtifacts` found it (`ingest.ts`); returns the key id each was verified against. */
export async function verifyStoredArtifacts(storage: Storage, app: AppRow, version: string, located: readonly LocatedArtifact[]): Promise<(string | null)[]> {
  const keyIds: (string | null)[] = [];
  for (const values of located) {
    const stored = { key: values.storageKey, head: values.head };
    keyIds.push((await verifyStoredArtifact(storage, stored, values, app.public_key, version, 'straight to the bucket')).keyId);
  }
  return keyIds;
}

/**
 * Makes verified artifacts the draft's, each under the release's lock; returns the storage keys of the
 * ready artifacts they replaced, for the caller to delete once committed.
 */
export async function storeVerifiedArtifacts(
  trx: Db,
  principal: Principal,
  app: AppRow,
  releaseId: string,
  planned: readonly ArtifactValues[],
  keyIds: readonly (string | null)[],
  via: AuditVia,
): Promise<string[]> {
  const locked = await findRelease(trx, app, releaseId, true);
  assertDraft(locked, 'register artifacts');
  const current = await artifactsOf(trx, [locked.id]);
  const replaced: string[] = [];
  for (const [index, values] of planned.entries()) {
    checkFileNameFree(current, values.fileName, values.platform, values.bundle, values.installerOnly);
    const previous = current.find((row) => sameSlot(row, values.platform, values.bundle, values.installerOnly));
    const row = await storeReadyArtifact(trx, locked.id, values, keyIds[index] ?? null);
    await auditArtifact(trx, principal, app, locked, row, previous, null, via);
    if (previous?.state === 'ready' && previous.storage_key !== values.storageKey) replaced.push(previous.storage_key);
  }
  return replaced;
}

/** An upload's row, as `ci/releases.ts` builds it from the request. */
export type UploadInsert = Insertable<ArtifactUploadsTable>;

/** Records a requested upload and registers its artifact as pending, under the release's lock. */
export async function registerUpload(trx: Db, app: AppRow, releaseId: string, upload: UploadInsert, values: ArtifactValues): Promise<ArtifactRow> {
  const locked = await findRelease(trx, app, releaseId, true);
  assertDraft(locked, 'upload an artifact');
  checkFileNameFree(await artifactsOf(trx, [locked.id]), values.fileName, values.platform, values.bundle, values.installerOnly);
  await trx.insertInto('artifact_uploads').values(upload).execute();
  return registerPendingArtifact(trx, locked.id, values);
}

/** Remembers why an upload's bytes were refused; a fresh upload is needed. */
export async function recordUploadFailure(db: Db, uploadId: string, failure: string): Promise<void> {
  await db.updateTable('artifact_uploads').set({ failure }).where('id', '=', uploadId).where('completed_at', 'is', null).execute();
}

/**
 * Makes a verified upload's artifact ready, under the release's lock. Two completes of one upload at
 * once: the second finds the first's work done and returns that artifact, with no `previous`.
 */
export async function completeUpload(
  trx: Db,
  principal: Principal,
  app: AppRow,
  releaseId: string,
  upload: Pick<ArtifactUploadRow, 'id'>,
  values: ArtifactValues,
  keyId: string | null,
  completedAt: Date,
  via: AuditVia,
): Promise<{ row: ArtifactRow; previous: ArtifactRow | undefined }> {
  const locked = await findRelease(trx, app, releaseId, true);
  assertDraft(locked, 'complete an upload');
  const fresh = await trx.selectFrom('artifact_uploads').select('completed_at').where('id', '=', upload.id).forUpdate().executeTakeFirstOrThrow();
  const current = await artifactsOf(trx, [locked.id]);
  const previous = current.find((row) => sameSlot(row, values.platform, values.bundle, values.installerOnly));
  if (fresh.completed_at !== null && previous) return { row: previous, previous: undefined };
  checkFileNameFree(current, values.fileName, values.platform, values.bundle, values.installerOnly);
  const row = await storeReadyArtifact(trx, locked.id, values, keyId);
  await trx.updateTable('artifact_uploads').set({ completed_at: completedAt }).where('id', '=', upload.id).execute();
  await auditArtifact(trx, principal, app, locked, row, previous, upload.id, via);
  return { row, previous };
}

/**
 * draft → published through the transition table; published stays (a re-run); archived is an admin's call.
 * Runs in `withPublishChecks`, which gives the `trx` and its `checkPublishable`.
 */
export async function publishForCi(
  trx: Db,
  checkPublishable: (release: ReleaseRow) => Promise<void>,
  principal: Principal,
  app: AppRow,
  ref: string,
): Promise<{ release: ReleaseRow; changed: boolean }> {
  const current = await findRelease(trx, app, ref, true);
  if (current.status === 'published') return { release: current, changed: false };
  if (current.status === 'archived') {
    throw conflict(
      `release ${current.version} was archived by an admin; CI does not publish it again (an admin can: POST /admin/apps/{app}/releases/${current.version}/publish)`,
    );
  }
  checkTransition(current, 'published', 'publish');
  await checkPublishable(current);
  return { release: await changeStatus(trx, principal, app, current, 'published'), changed: true };
}

async function auditArtifact(
  trx: Db,
  principal: Principal,
  app: AppRow,
  release: ReleaseRow,
  row: ArtifactRow,
  previous: ArtifactRow | undefined,
  uploadId: string | null,
  via: AuditVia,
): Promise<void> {
  await audit(trx, principal, {
    action: previous?.state === 'ready' ? 'artifact.replace' : 'artifact.upload',
    appId: app.id,
    target: `artifact:${row.id}`,
    details: {
      version: release.version,
      platform: row.platform,
      bundle: row.bundle,
      ...(row.installer_only ? { installer_only: true } : {}),
      file_name: row.file_name,
      size: row.size,
      sha256: row.sha256,
      verified_key_id: row.verified_key_id,
      upload_id: uploadId,
      ...via,
    },
  });
}
