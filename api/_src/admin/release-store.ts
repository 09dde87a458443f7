/**
 * @module admin/release-store
 * Queries and wire mapping for releases and their artifacts, shared by `releases.ts` and
 * `artifacts.ts` (and by the CI API's `ci/artifact-store.ts`). Functions take `db` (or a transaction)
 * first; the routes own the transactions.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AppRow, ArtifactRow, ArtifactState, Database, ReleaseRow, ReleaseStatus } from '../../../db/schema.ts';
import { conflict, notFound } from '../http/errors.ts';
import type { BundleType } from '../protocol/platforms.ts';
import type { ArtifactBody, ReleaseBody, ReleaseSummaryBody } from '../protocol/schemas.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import { compareVersions, parseVersion, safeParseVersion, formatVersion } from '../protocol/semver.ts';
import type { Storage } from '../storage/storage.ts';
import { isUuid } from '../auth/access.ts';
import { signatureKeyId } from './artifact-checks.ts';

export type Db = Kysely<Database> | Transaction<Database>;

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
  bundle: BundleType;
  fileName: string;
  size: number;
  sha256: string;
  signature: string;
  storageKey: string;
}

/** The unique (release, platform, bundle) index's expression: the conflict target of every artifact upsert. */
export const ARTIFACT_SLOT = sql`release_id, platform, coalesce(bundle, '')`;

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

// ---- status transitions ---------------------------------------------------------------------------

interface Transition {
  /** The endpoint that performs it. */
  endpoint: 'publish' | 'archive';
  /** Whether `PATCH {status}` may perform it too; publishing a draft is a deliberate, separate step. */
  viaPatch: boolean;
}

/** Every allowed status change; anything not listed is a 409 that names these. */
export const RELEASE_TRANSITIONS: Readonly<Record<ReleaseStatus, Partial<Record<ReleaseStatus, Transition>>>> = {
  draft: { published: { endpoint: 'publish', viaPatch: false } },
  published: { archived: { endpoint: 'archive', viaPatch: true } },
  archived: { published: { endpoint: 'publish', viaPatch: true } },
};

function describeAllowed(from: ReleaseStatus): string {
  const entries = Object.entries(RELEASE_TRANSITIONS[from]) as [ReleaseStatus, Transition][];
  const list = entries.map(([to, t]) => `${from} → ${to} (POST …/releases/{id}/${t.endpoint}${t.viaPatch ? ' or PATCH {"status"}' : ''})`);
  return list.length ? list.join(', ') : 'none';
}

/** Throws a 409 naming the allowed transitions unless `from → to` is allowed by `via`. */
export function checkTransition(release: ReleaseRow, to: ReleaseStatus, via: 'patch' | 'publish' | 'archive'): void {
  const transition = RELEASE_TRANSITIONS[release.status][to];
  const allowed = transition !== undefined && (via === 'patch' ? transition.viaPatch : transition.endpoint === via);
  if (allowed) return;
  const what = release.status === to ? `release ${release.version} is already ${to}` : `cannot change release ${release.version} from ${release.status} to ${to}`;
  const hint = transition && via === 'patch' ? `; use POST …/releases/{id}/${transition.endpoint}` : '';
  throw conflict(`${what}${via === 'patch' ? ' with PATCH' : ''}${hint}; allowed from ${release.status}: ${describeAllowed(release.status)}`);
}

/** Why an artifact may not be published, or null when it is ready and verified against `keyId`. */
function unpublishableReason(artifact: ArtifactRow, keyId: string): string | null {
  if (artifact.state !== 'ready') {
    return 'its upload was not completed (state pending): complete it (POST /ci/…/uploads/{upload}/complete), upload it again, or delete the artifact';
  }
  if (artifact.verified_key_id === null) {
    return 'its signature was never verified (it was uploaded while the app had no public key): upload it again';
  }
  if (artifact.verified_key_id !== keyId) {
    return `it was verified against key ${artifact.verified_key_id}, but the app's public key is now ${keyId}: upload it again, signed with the new key`;
  }
  return null;
}

/**
 * Publishing (admin and CI alike) needs: an app public key, at least one artifact, every artifact
 * `ready` and verified against that key, and its bytes in storage with the recorded size, so a client is
 * never pointed at a missing, half-replaced or unverified object.
 */
export async function checkPublishable(db: Db, storage: Storage, release: ReleaseRow): Promise<void> {
  const app = await db.selectFrom('apps').select(['slug', 'public_key']).where('id', '=', release.app_id).executeTakeFirstOrThrow();
  const keyId = tauriPublicKeyId(app.public_key);
  if (keyId === null) {
    throw conflict(
      `cannot publish release ${release.version}: app ${app.slug} has no public key, so its artifacts cannot be verified; set the app's ` +
        'public_key (PATCH /admin/apps/{app} with {"public_key": …}) to the key in tauri.conf.json plugins.updater.pubkey, then upload the artifacts again',
    );
  }
  const artifacts = await artifactsOf(db, [release.id]);
  if (artifacts.length === 0) {
    throw conflict(`cannot publish release ${release.version}: it has no artifacts; upload at least one with POST …/releases/{id}/artifacts`);
  }
  for (const artifact of artifacts) {
    const reason = unpublishableReason(artifact, keyId);
    if (reason) throw conflict(`cannot publish release ${release.version}: artifact ${artifact.file_name} (${artifact.platform}) is not verified; ${reason}`);
  }
  for (const artifact of artifacts) {
    const info = await storage.head(artifact.storage_key);
    if (!info || info.size !== artifact.size) {
      throw conflict(
        `cannot publish release ${release.version}: the stored bytes of ${artifact.file_name} (${artifact.platform}) are ` +
          `${info ? `${info.size} bytes, not ${artifact.size}` : 'missing'}; upload the artifact again`,
      );
    }
  }
}

// ---- storage cleanup ------------------------------------------------------------------------------

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
      console.error(`could not delete stored object ${key}:`, error);
    }
  }
}

// ---- wire mapping ---------------------------------------------------------------------------------

const iso = (value: Date | string): string => new Date(value).toISOString();

export function downloadPath(app: AppRow, version: string, fileName: string): string {
  return `/download/${app.slug}/${encodeURIComponent(version)}/${encodeURIComponent(fileName)}`;
}

export function toArtifactBody(app: AppRow, release: ReleaseRow, row: ArtifactRow): ArtifactBody {
  return {
    id: row.id,
    platform: row.platform,
    bundle: row.bundle as BundleType | null,
    file_name: row.file_name,
    size: row.size,
    is_default: row.is_default,
    sha256: row.sha256,
    signature: row.signature,
    signature_key_id: signatureKeyId(row.signature),
    state: row.state,
    verified_key_id: row.verified_key_id,
    download_path: downloadPath(app, release.version, row.file_name),
    created_at: iso(row.created_at),
  };
}

function releaseFields(row: ReleaseRow) {
  return {
    id: row.id,
    app_id: row.app_id,
    version: row.version,
    status: row.status,
    channel: row.channel,
    rollout_percent: row.rollout_percent,
    notes: row.notes,
    pub_date: row.pub_date === null ? null : iso(row.pub_date),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    critical: row.critical,
    min_supported_version: row.min_supported_version,
    yanked_at: row.yanked_at === null ? null : iso(row.yanked_at),
    replacement_release_id: row.replacement_release_id,
  };
}

export function toReleaseBody(app: AppRow, row: ReleaseRow, artifacts: readonly ArtifactRow[]): ReleaseBody {
  return { ...releaseFields(row), artifacts: artifacts.map((artifact) => toArtifactBody(app, row, artifact)) };
}

export function toReleaseSummary(row: ReleaseRow, artifacts: readonly ArtifactRow[]): ReleaseSummaryBody {
  return {
    ...releaseFields(row),
    artifacts: artifacts.map(({ id, platform, bundle, file_name, size, is_default }) => ({
      id,
      platform,
      bundle: bundle as BundleType | null,
      file_name,
      size,
      is_default,
    })),
  };
}

export async function releaseBody(db: Db, app: AppRow, release: ReleaseRow): Promise<ReleaseBody> {
  return toReleaseBody(app, release, await artifactsOf(db, [release.id]));
}
