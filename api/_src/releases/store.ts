/**
 * @module releases/store
 * Queries of releases, their artifacts and the CI API's pending uploads, shared by the admin and CI
 * routes and the domain's own functions. Functions take `db` (or a transaction) first; the routes own
 * the transactions. Writes that parallel matrix legs race on are single `INSERT … ON CONFLICT`
 * statements on the unique (release, platform, bundle) index.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AppRow, ArtifactRow, ArtifactState, ArtifactUploadRow, Database, Db, ReleaseRow } from '../../../db/schema.ts';
import { conflict, notFound, UnavailableError } from '../http/api-error.ts';
import type { BundleType } from '../protocol/platforms.ts';
import { compareVersions, parseVersion, safeParseVersion, formatVersion } from '../protocol/semver.ts';
import { type Storage, StorageLowOnSpaceError } from '../storage/storage.ts';
import { loggedError } from '../http/logged-error.ts';
import { isUuid } from '../protocol/uuid.ts';


/** Newest first by semantic version (the client's order), not by creation time. */
export function byVersionDescending(a: { version: string }, b: { version: string }): number {
  return compareVersions(parseVersion(b.version), parseVersion(a.version));
}

/**
 * A release of `app` by id, or by version (`1.2.3` or `v1.2.3`), so CI can address the release it
 * just tagged. With `forUpdate`, the row stays locked until the transaction ends: every write to a
 * release or its artifacts takes this lock first, so status checks cannot race.
 */
export async function findRelease(db: Db, app: AppRow, idOrVersion: string, forUpdate = false): Promise<ReleaseRow> {
  let query = db.selectFrom('releases').selectAll().where('app_id', '=', app.id);
  if (isUuid(idOrVersion)) {
    query = query.where('id', '=', idOrVersion.toLowerCase());
  } else {
    const parsed = safeParseVersion(idOrVersion);
    if (!parsed.success) throw notFound(`release ${JSON.stringify(idOrVersion.slice(0, 140))} not found`);
    query = query.where('version', '=', formatVersion(parsed.version));
  }
  const release = await (forUpdate ? query.forUpdate() : query).executeTakeFirst();
  if (!release) throw notFound(`release ${JSON.stringify(idOrVersion.slice(0, 140))} not found in app ${app.slug}`);
  return release;
}

export async function artifactsOf(db: Db, releaseIds: readonly string[]): Promise<ArtifactRow[]> {
  if (releaseIds.length === 0) return [];
  return db
    .selectFrom('artifacts')
    .selectAll()
    .where('release_id', 'in', releaseIds)
    .orderBy('platform')
    .orderBy('bundle')
    .execute();
}

/** Refuses to change the bytes of a release that is or was served: only drafts are mutable. */
export function assertDraft(release: ReleaseRow, doing: string): void {
  if (release.status === 'draft') return;
  throw conflict(
    `cannot ${doing}: release ${release.version} is ${release.status}, and a published release's artifacts are immutable; ` +
      'create a new version instead' + (release.status === 'published' ? ' (or archive this one)' : ''),
  );
}

// ---- artifact writes ------------------------------------------------------------------------------

/** One artifact's identity and declared content. */
export interface ArtifactValues {
  platform: string;
  /** null for an installer only. */
  bundle: BundleType | null;
  fileName: string;
  size: number;
  sha256: string;
  /** '' for an installer only. */
  signature: string;
  storageKey: string;
  /** An installer only (a DMG, protocol/installers.ts): no bundle, no signature, never offered to the updater. */
  installerOnly: boolean;
}

/** The unique (release, platform, bundle, installer only) index's expression: the conflict target of every artifact upsert. */
export const ARTIFACT_SLOT = sql`release_id, platform, coalesce(bundle, ''), installer_only`;

export function artifactRowValues(releaseId: string, values: ArtifactValues, state: ArtifactState, verifiedKeyId: string | null) {
  return {
    release_id: releaseId,
    platform: values.platform,
    bundle: values.bundle,
    file_name: values.fileName,
    size: values.size,
    sha256: values.sha256,
    signature: values.signature,
    storage_key: values.storageKey,
    state,
    verified_key_id: verifiedKeyId,
    installer_only: values.installerOnly,
  };
}

/**
 * Makes `values` the (platform, bundle)'s artifact, ready and verified against `keyId` (null: the app has
 * no key to verify with), in one `INSERT … ON CONFLICT` so writers racing on the slot cannot both insert.
 * `isDefault` is written when given; left out, a new row is not the default and a replaced row keeps its flag.
 * The admin upload and the CI API both store through this.
 */
export async function storeReadyArtifact(db: Db, releaseId: string, values: ArtifactValues, keyId: string | null, isDefault?: boolean): Promise<ArtifactRow> {
  return db
    .insertInto('artifacts')
    .values({ ...artifactRowValues(releaseId, values, 'ready', keyId), ...(isDefault === undefined ? {} : { is_default: isDefault }) })
    .onConflict((oc) =>
      oc.expression(ARTIFACT_SLOT).doUpdateSet((eb) => ({
        signature: eb.ref('excluded.signature'),
        storage_key: eb.ref('excluded.storage_key'),
        file_name: eb.ref('excluded.file_name'),
        size: eb.ref('excluded.size'),
        sha256: eb.ref('excluded.sha256'),
        state: eb.ref('excluded.state'),
        verified_key_id: eb.ref('excluded.verified_key_id'),
        ...(isDefault === undefined ? {} : { is_default: eb.ref('excluded.is_default') }),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Registers a requested upload: a new (platform, bundle) gets a `pending` row, a pending row takes the new
 * declaration, and a `ready` row is left as it is (it keeps being the artifact until the upload completes).
 */
export async function registerPendingArtifact(trx: Db, releaseId: string, values: ArtifactValues): Promise<ArtifactRow> {
  const inserted = await trx
    .insertInto('artifacts')
    .values(artifactRowValues(releaseId, values, 'pending', null))
    .onConflict((oc) =>
      oc
        .expression(ARTIFACT_SLOT)
        .doUpdateSet((eb) => ({
          signature: eb.ref('excluded.signature'),
          storage_key: eb.ref('excluded.storage_key'),
          file_name: eb.ref('excluded.file_name'),
          size: eb.ref('excluded.size'),
          sha256: eb.ref('excluded.sha256'),
        }))
        .where('artifacts.state', '=', 'pending'),
    )
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  return trx
    .selectFrom('artifacts')
    .selectAll()
    .where('release_id', '=', releaseId)
    .where('platform', '=', values.platform)
    .where('bundle', values.bundle === null ? 'is' : '=', values.bundle)
    .where('installer_only', '=', values.installerOnly)
    .executeTakeFirstOrThrow();
}

export async function findUpload(db: Db, releaseId: string, uploadId: string): Promise<ArtifactUploadRow | undefined> {
  return db.selectFrom('artifact_uploads').selectAll().where('id', '=', uploadId).where('release_id', '=', releaseId).executeTakeFirst();
}

export const uploadValues = (upload: ArtifactUploadRow): ArtifactValues => ({
  platform: upload.platform,
  bundle: upload.bundle as BundleType | null,
  fileName: upload.file_name,
  size: upload.size,
  sha256: upload.sha256,
  signature: upload.signature,
  storageKey: upload.storage_key,
  installerOnly: upload.installer_only,
});

// ---- storage cleanup ------------------------------------------------------------------------------

/**
 * Refuses (503, before anything changes) a deletion whose stored objects could not be deleted now: with the storage
 * unreachable, the rows would go and their objects stay in the bucket, which nothing would ever delete. A disk low
 * on space does not refuse: deleting frees it.
 */
async function assertStorageCanDelete(storage: Storage): Promise<void> {
  try {
    await storage.check();
  } catch (error) {
    if (error instanceof StorageLowOnSpaceError) return;
    throw new UnavailableError('storage', error);
  }
}

/** Rolls back a transaction's run that needs a storage check not done yet; carries what to check. */
class StorageNotCheckedYet<S> extends Error {
  readonly subject: S;
  constructor(subject: S) {
    super('storage not checked yet');
    this.subject = subject;
  }
}

/** What `withStorageCheckedFirst` checks in storage, with no transaction open. */
export interface StorageCheck<S> {
  /** Waits on the storage for `subject`; throws to refuse. */
  run(subject: S): Promise<void>;
  /** Whether the check of `checked` still holds for `now`, as the next run found it; false checks `now` again. */
  covers(checked: S, now: S): boolean;
  /** The error once `subject` kept changing between the checks and the runs `MAX_STORAGE_CHECKS` times. */
  keptChanging(subject: S): Error;
}

/** Each check can wait long on a hanging storage; a subject changing under every one of them is refused. */
const MAX_STORAGE_CHECKS = 3;

/**
 * Runs a transaction with its storage check done outside it: the check can wait long on a hanging storage (S3
 * retries for up to ~90 s), and inside the transaction it would hold the locked rows, and every other writer of
 * them, all that while. `work` calls `requireStorageChecked(subject)` once it knows what the storage must be
 * checked for, before changing anything; unless that subject was checked already (`covers`), the transaction is
 * rolled back, `check.run(subject)` waits on the storage with no transaction open, and `work` runs again. A refusal
 * of the check is thrown only if that run finds the same subject: a replaced artifact's object, deleted meanwhile, is
 * no reason to refuse its replacement. Work that needs no check never waits on the storage.
 */
export async function withStorageCheckedFirst<T, S>(
  db: Kysely<Database>,
  check: StorageCheck<S>,
  work: (trx: Transaction<Database>, requireStorageChecked: (subject: S) => void) => Promise<T>,
): Promise<T> {
  let checked: { subject: S; refusal: { error: unknown } | null } | null = null;
  for (let checks = 0; ; checks++) {
    try {
      return await db.transaction().execute((trx) =>
        work(trx, (subject) => {
          if (checked && check.covers(checked.subject, subject)) {
            if (checked.refusal) throw checked.refusal.error;
            return;
          }
          if (checks === MAX_STORAGE_CHECKS) throw check.keptChanging(subject);
          throw new StorageNotCheckedYet(subject);
        }),
      );
    } catch (error) {
      if (!(error instanceof StorageNotCheckedYet)) throw error;
      const subject = error.subject as S;
      checked = { subject, refusal: await check.run(subject).then(() => null, (refused: unknown) => ({ error: refused })) };
    }
  }
}

/**
 * A delete transaction with its storage check (`assertStorageCanDelete`) done first (`withStorageCheckedFirst`):
 * `remove` calls `requireStorageChecked()` once it has found stored objects to delete, before changing anything.
 * A delete with no objects never waits on the storage.
 */
export async function deleteWithStorageCheckedFirst<T>(
  db: Kysely<Database>,
  storage: Storage,
  remove: (trx: Transaction<Database>, requireStorageChecked: () => void) => Promise<T>,
): Promise<T> {
  const canDelete: StorageCheck<void> = {
    run: () => assertStorageCanDelete(storage),
    covers: () => true,
    keptChanging: () => new Error('a storage check of nothing in particular cannot go stale'),
  };
  return withStorageCheckedFirst(db, canDelete, (trx, requireStorageChecked) => remove(trx, () => requireStorageChecked()));
}

/**
 * Deletes stored objects no artifact row points at any more (after a commit, a replace or a failed
 * upload). A key still referenced, e.g. by an artifact that was replaced in place, is kept.
 */
export async function deleteUnreferencedObjects(db: Kysely<Database>, storage: Storage, keys: Iterable<string>): Promise<void> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return;
  const referenced = await db.selectFrom('artifacts').select('storage_key').where('storage_key', 'in', unique).execute();
  const keep = new Set(referenced.map((row) => row.storage_key));
  for (const key of unique) {
    if (keep.has(key)) continue;
    try {
      await storage.delete(key);
    } catch (error) {
      // The database is already right; an orphaned object only costs space.
      console.error(`could not delete stored object ${key}: ${loggedError(error)}`);
    }
  }
}

/**
 * Deletes objects no ready artifact points at (refused or orphaned CI uploads, replaced bytes). A pending
 * row's key does not keep its object: it names an upload in flight, whose bytes are not an artifact yet.
 */
export async function deleteObjectsNotReady(db: Db, storage: Storage, keys: Iterable<string>): Promise<void> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return;
  try {
    const ready = await db.selectFrom('artifacts').select('storage_key').where('storage_key', 'in', unique).where('state', '=', 'ready').execute();
    for (const key of unique) {
      if (ready.some((row) => row.storage_key === key)) continue;
      await storage.delete(key).catch((error: unknown) => console.error(`could not delete stored object ${key}: ${loggedError(error)}`));
    }
  } catch (error) {
    // The database is already right; an orphaned object only costs space.
    console.error(`could not clean up stored objects: ${loggedError(error)}`);
  }
}
