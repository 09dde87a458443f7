/**
 * @module releases/status
 * A release's status and the rules for changing it: the allowed transitions, what publishing needs,
 * and the change itself (with its audit row). Shared by the admin and CI routes, so both refuse the
 * same releases.
 */
import type { Kysely, Transaction } from 'kysely';
import type { AppRow, ArtifactRow, ReleaseRow, ReleaseStatus, ReleaseUpdate } from '../../../db/schema.ts';
import { audit } from '../audit/audit.ts';
import type { Principal } from '../auth/principal.ts';
import { conflict, storageCall } from '../http/api-error.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import type { Storage } from '../storage/storage.ts';
import type { Database, Db } from '../../../db/schema.ts';
import { artifactsOf, type StorageCheck, withStorageCheckedFirst } from './store.ts';

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
  // An installer only has no updater signature: its size and SHA-256 were checked, its notarization by the action.
  if (artifact.installer_only) return null;
  if (artifact.verified_key_id === null) {
    return 'its signature was never verified (it was uploaded while the app had no public key): upload it again';
  }
  if (artifact.verified_key_id !== keyId) {
    return `it was verified against key ${artifact.verified_key_id}, but the app's public key is now ${keyId}: upload it again, signed with the new key`;
  }
  return null;
}

/** The artifacts a publish found, whose stored bytes are checked with no transaction open. */
interface ArtifactsToPublish {
  release: ReleaseRow;
  artifacts: ArtifactRow[];
}

const storedIdentity = (artifacts: readonly ArtifactRow[]) =>
  artifacts.map((a) => JSON.stringify([a.id, a.storage_key, a.size])).sort().join('\n');

/** Each artifact's bytes are in storage with the recorded size, so a client is never pointed at a missing or half-replaced object. */
const storedBytesCheck = (storage: Storage): StorageCheck<ArtifactsToPublish> => ({
  async run({ release, artifacts }) {
    for (const artifact of artifacts) {
      // A storage that cannot answer is a 503 on every route that publishes, not only CI's.
      const info = await storageCall(() => storage.head(artifact.storage_key));
      if (!info || info.size !== artifact.size) {
        throw conflict(
          `cannot publish release ${release.version}: the stored bytes of ${artifact.file_name} (${artifact.platform}) are ` +
            `${info ? `${info.size} bytes, not ${artifact.size}` : 'missing'}; upload the artifact again`,
        );
      }
    }
  },
  // Rows still ready and verified were rechecked in the transaction; only which objects they name matters here.
  covers: (checked, now) => storedIdentity(checked.artifacts) === storedIdentity(now.artifacts),
  keptChanging: ({ release }) =>
    conflict(
      `cannot publish release ${release.version}: its artifacts changed while their stored bytes were being checked ` +
        '(an upload, replacement or delete ran meanwhile); retry the publish once they are settled',
    ),
});

/**
 * Publishing (admin and CI alike) needs: an app public key, at least one artifact, every artifact
 * `ready` and verified against that key, and its bytes in storage with the recorded size (`storedBytesCheck`).
 */
async function checkPublishable(db: Db, release: ReleaseRow, requireStorageChecked: (subject: ArtifactsToPublish) => void): Promise<void> {
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
  requireStorageChecked({ release, artifacts });
}

/**
 * Runs a transaction that may publish a release it locks: `work` calls `checkPublishable(release)` before
 * publishing it. The stored bytes are checked with no transaction open (`withStorageCheckedFirst`), so a hanging
 * storage holds no lock; the transaction then runs again and publishes only the artifacts that were checked. If
 * they changed meanwhile, the new ones are checked in turn (as the lock used to order such a writer first).
 */
export function withPublishChecks<T>(
  db: Kysely<Database>,
  storage: Storage,
  work: (trx: Transaction<Database>, checkPublishable: (release: ReleaseRow) => Promise<void>) => Promise<T>,
): Promise<T> {
  return withStorageCheckedFirst(db, storedBytesCheck(storage), (trx, requireStorageChecked) =>
    work(trx, (release) => checkPublishable(trx, release, requireStorageChecked)),
  );
}

export const statusAction = (to: ReleaseStatus) => (to === 'published' ? 'release.publish' : 'release.archive');

/** pub_date is the first publication; a re-published release keeps it. */
export function statusChange(current: ReleaseRow, to: ReleaseStatus): ReleaseUpdate {
  return to === 'published' && current.pub_date === null ? { status: to, pub_date: new Date() } : { status: to };
}

/** Moves a locked release to `to` and audits it; the caller checked the transition (and, to publish, `checkPublishable` of `withPublishChecks`). */
export async function changeStatus(
  trx: Db,
  principal: Principal,
  app: AppRow,
  current: ReleaseRow,
  to: ReleaseStatus,
): Promise<ReleaseRow> {
  const updated = await trx
    .updateTable('releases')
    .set({ ...statusChange(current, to), updated_at: new Date() })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(trx, principal, {
    action: statusAction(to),
    appId: app.id,
    target: `release:${current.id}`,
    details: { version: current.version, from: current.status, to, pub_date: updated.pub_date },
  });
  return updated;
}
