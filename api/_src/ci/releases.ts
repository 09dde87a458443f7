/**
 * @module ci/releases
 * The CI API's release routes, mounted at `/ci/apps/:app/releases` behind `ciAuth` (an exchanged `trci_`
 * credential, or a static admin/ci API key). Wire types: `protocol/ci.ts`.
 *
 *   POST /                                  create or reuse the draft for a version; optionally register
 *                                           artifacts already in storage and publish (the one-call form)
 *   POST /:version/uploads                  where to upload one artifact (presigned PUT or multipart)
 *   POST /:version/uploads/:upload/complete check size, sha256 and signature; the artifact becomes ready
 *   POST /:version/publish                  when the caller may publish
 *
 * Every call can be repeated (parallel matrix legs, re-runs of a workflow); how is `releases/registration.ts`,
 * whose functions these routes call inside the transactions they own. The bytes are checked by
 * `releases/ingest.ts`, the one check every producer makes.
 */
import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import type { AppRow, ArtifactRow, ReleaseRow } from '../../../db/schema.ts';
import { findAppFor } from '../auth/access.ts';
import { isUuid } from '../protocol/uuid.ts';
import { type AdminEnv, type Principal, principalOf } from '../auth/authenticate.ts';
import { readJson, readOptionalJson } from '../http/request.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError, badRequest, conflict, notFound, storageCall } from '../http/errors.ts';
import { cleanUpAfterRefusal } from '../http/refused-upload.ts';
import {
  type CiArtifact,
  type CiCompleteUploadBody,
  ciCompleteUploadBodySchema,
  ciCreateReleaseBodySchema,
  ciUploadRequestBodySchema,
} from '../protocol/ci.ts';
import { planInstaller, planUpload } from '../releases/artifact-plan.ts';
import { releaseEvent } from '../releases/events.ts';
import { ingestCheck, IngestRefusal, verifyStoredArtifact } from '../releases/ingest.ts';
import {
  alreadyRegistered,
  completeUpload,
  createOrReuseDraft,
  type LocatedArtifact,
  locateStoredArtifacts,
  publishForCi,
  recordUploadFailure,
  registerUpload,
  storeVerifiedArtifacts,
  verifyStoredArtifacts,
} from '../releases/registration.ts';
import { withPublishChecks } from '../releases/status.ts';
import { type ArtifactValues, assertDraft, deleteObjectsNotReady, findRelease, findUpload, uploadValues } from '../releases/store.ts';
import { directUploadKey, stagedKey } from '../protocol/storage-keys.ts';
import { MultipartRefusedError } from '../storage/storage.ts';
import { ciReleaseView, toCiArtifactView } from './release-view.ts';
import { ciRunOf } from './credential.ts';
import { generateUploadToken, planParts, type UploadLimits, uploadTarget } from './uploads.ts';

export interface CiReleaseRouteOptions {
  now: () => number;
  limits: UploadLimits;
}

/** Trusted publishers with `can_publish`, and admin-scoped keys; a static `ci` key makes drafts only. */
export function mayPublish(principal: Principal): boolean {
  const run = ciRunOf(principal);
  return run ? run.canPublish : principal.scope === 'admin';
}

function requireCiPublish(principal: Principal): void {
  if (mayPublish(principal)) return;
  throw new ApiError(
    403,
    'forbidden',
    ciRunOf(principal)
      ? 'this CI credential comes from a trusted publisher that may create drafts only (can_publish is false); an admin publishes the draft'
      : 'a "ci" API key creates drafts only; an admin publishes the draft, or use a trusted publisher with can_publish (or an admin key)',
  );
}

/** What the audit log keeps about the caller, besides its actor. */
function via(principal: Principal): Record<string, unknown> {
  const run = ciRunOf(principal);
  return run ? { via: 'ci', run_attempt: run.runAttempt, sha: run.sha, ref: run.ref } : { via: 'ci' };
}

/** Validates one artifact's fields (400 naming it); the admin upload's rules, so both accept the same files. */
function planArtifact(artifact: CiArtifact, keyOf: (fileName: string) => string, label: string): ArtifactValues {
  try {
    const declared = { fileName: artifact.file_name, size: artifact.size, sha256: artifact.sha256 };
    const installer = planInstaller(artifact, artifact.file_name);
    if (installer) return { ...declared, platform: installer.platform, bundle: null, signature: '', installerOnly: true, storageKey: keyOf(artifact.file_name) };
    const plan = planUpload({ platform: artifact.platform, bundle: artifact.bundle, signature: artifact.signature }, artifact.file_name);
    const storageKey = keyOf(artifact.file_name); // after planUpload checked the file name
    return { ...declared, platform: plan.platform, bundle: plan.bundle, signature: plan.signature, installerOnly: false, storageKey };
  } catch (error) {
    if (error instanceof ApiError) throw new ApiError(error.status, error.code, `${label}: ${error.message}`);
    throw error;
  }
}

export function ciReleaseRoutes(deps: AppDeps, options: CiReleaseRouteOptions): Hono<AdminEnv> {
  const { db, storage, releaseCache, config, events } = deps;
  const { now, limits } = options;
  const routes = new Hono<AdminEnv>();
  const appOf = (c: Context<AdminEnv>, principal: Principal) => findAppFor(db, principal, c.req.param('app') ?? '');
  const view = (app: AppRow, release: ReleaseRow) => ciReleaseView(db, config.publicUrl, app, release);
  const discard = (keys: string[]) => deleteObjectsNotReady(db, storage, keys);

  /**
   * The one-call form: artifacts already in the bucket (upload-r2's mode s3), at their content-addressed key or the
   * legacy one (`locateStoredArtifacts`), are verified there and become ready. On a release that is no longer a
   * draft, the same artifacts again are a no-op; others are a 409.
   */
  async function registerStored(principal: Principal, app: AppRow, release: ReleaseRow, planned: ArtifactValues[]): Promise<void> {
    let located: LocatedArtifact[];
    let keyIds: (string | null)[];
    try {
      if (await alreadyRegistered(db, release, planned)) return;
      located = await storageCall(() => locateStoredArtifacts(storage, app, release.version, planned));
      keyIds = await storageCall(() => verifyStoredArtifacts(storage, app, release.version, located));
    } catch (error) {
      // Refused for good (a published release's other bytes, a bad signature): what the action stored for it at the
      // content-addressed keys would only cost space. Never the legacy keys, which may be what a row points at.
      if (error instanceof ApiError && (error.status === 409 || error.status === 422)) await discard(planned.map((values) => values.storageKey));
      throw error;
    }
    const replaced = await db.transaction().execute((trx) => storeVerifiedArtifacts(trx, principal, app, release.id, located, keyIds, via(principal)));
    releaseCache.invalidate(app.id);
    await discard(replaced);
  }

  async function publish(principal: Principal, app: AppRow, ref: string): Promise<ReleaseRow> {
    const { release, changed } = await storageCall(() => withPublishChecks(db, storage, (trx, checkPublishable) => publishForCi(trx, checkPublishable, principal, app, ref)));
    releaseCache.invalidate(app.id);
    // A re-run that finds the release already published changes nothing, and tells nothing.
    if (changed) await events.emit(releaseEvent('release.published', app, release, principal, { via: 'ci' }));
    return release;
  }

  routes.post('/', async (c) => {
    const principal = principalOf(c);
    const app = await appOf(c, principal);
    const body = await readJson(c, ciCreateReleaseBodySchema);
    // Every artifact is validated before anything is written.
    const planned = (body.artifacts ?? []).map((artifact, index) =>
      planArtifact(artifact, (fileName) => directUploadKey(app.slug, body.version, artifact.sha256, fileName), `artifacts[${index}] (${artifact.file_name})`),
    );
    for (const [index, values] of planned.entries()) {
      const twin = planned.findIndex(
        (other) =>
          (other.platform === values.platform && other.bundle === values.bundle && other.installerOnly === values.installerOnly) || other.fileName === values.fileName,
      );
      if (twin !== index) throw badRequest(`artifacts[${twin}] and artifacts[${index}] are the same ${planned[twin]!.fileName === values.fileName ? 'file name' : 'platform and bundle'}; list each artifact once`);
      ingestCheck(values, app.public_key, body.version); // no key or another key: refused before any write
    }
    const { release, created } = await db.transaction().execute((trx) => createOrReuseDraft(trx, principal, app, body, via(principal)));
    releaseCache.invalidate(app.id);
    if (planned.length) await registerStored(principal, app, release, planned);
    let current = await findRelease(db, app, release.id);
    if (body.auto_publish && mayPublish(principal)) current = await publish(principal, app, release.id);
    return c.json(await view(app, current), created ? 201 : 200);
  });

  // ---- uploads --------------------------------------------------------------------------------------

  routes.post('/:version/uploads', async (c) => {
    const principal = principalOf(c);
    const app = await appOf(c, principal);
    const body = await readJson(c, ciUploadRequestBodySchema);
    const release = await findRelease(db, app, c.req.param('version'));
    const id = randomUUID();
    const values = planArtifact(body, (fileName) => stagedKey(app.slug, release.version, id, fileName), body.file_name);
    ingestCheck(values, app.public_key, release.version); // refuse a wrong key before the client sends the file
    assertDraft(release, 'upload an artifact');

    const contentType = body.content_type ?? null;
    const parts = storage.driver === 's3' && body.size > limits.multipartThresholdBytes ? planParts(body.size, limits.partSizeBytes) : null;
    const multipartUploadId = parts ? await storageCall(() => storage.createMultipart(values.storageKey, contentType ? { contentType } : {})) : null;
    const token = storage.driver === 'fs' ? generateUploadToken() : null;
    const expiresAt = new Date(now() + limits.urlTtlSeconds * 1000);
    const upload = {
      id,
      release_id: release.id,
      platform: values.platform,
      bundle: values.bundle,
      file_name: values.fileName,
      size: values.size,
      sha256: values.sha256,
      signature: values.signature,
      installer_only: values.installerOnly,
      content_type: contentType,
      storage_key: values.storageKey,
      multipart_upload_id: multipartUploadId,
      part_size: parts?.partSize ?? null,
      part_count: parts?.partCount ?? null,
      token_hash: token?.hash ?? null,
      actor: principal.actor,
      expires_at: expiresAt,
    };
    let artifact: ArtifactRow;
    try {
      artifact = await db.transaction().execute((trx) => registerUpload(trx, app, release.id, upload, values));
    } catch (error) {
      if (multipartUploadId) await cleanUpAfterRefusal(`aborting the multipart upload of ${values.storageKey}`, () => storage.abortMultipart(values.storageKey, multipartUploadId));
      throw error;
    }
    const target = await storageCall(() =>
      uploadTarget(storage, upload, { publicUrl: config.publicUrl, token: token?.token ?? null, ttlSeconds: limits.urlTtlSeconds, signingDate: new Date(now()) }),
    );
    return c.json(
      {
        upload_id: id,
        // What the artifact will be once this upload completes; a ready artifact it replaces stays until then.
        artifact: {
          ...toCiArtifactView(artifact),
          file_name: values.fileName,
          size: values.size,
          sha256: values.sha256,
          state: 'pending' as const,
          verified_key_id: null,
          installer_only: values.installerOnly,
        },
        expires_at: expiresAt.toISOString(),
        target,
      },
      201,
    );
  });

  routes.post('/:version/uploads/:upload/complete', async (c) => {
    const principal = principalOf(c);
    const app = await appOf(c, principal);
    const release = await findRelease(db, app, c.req.param('version'));
    const body = await readOptionalJson(c, ciCompleteUploadBodySchema); // optional after a single PUT
    const uploadId = c.req.param('upload');
    const upload = isUuid(uploadId) ? await findUpload(db, release.id, uploadId.toLowerCase()) : undefined;
    if (!upload) throw notFound(`upload ${JSON.stringify(uploadId.slice(0, 100))} not found in release ${release.version}`);
    const values = uploadValues(upload);
    const slotRow = () =>
      db
        .selectFrom('artifacts')
        .selectAll()
        .where('release_id', '=', release.id)
        .where('platform', '=', upload.platform)
        .where('bundle', upload.bundle === null ? 'is' : '=', upload.bundle)
        .where('installer_only', '=', upload.installer_only)
        .executeTakeFirst();

    if (upload.completed_at !== null) {
      // A repeated complete (a retried request, a re-run): answer what the first one did.
      const row = await slotRow();
      if (row) return c.json(toCiArtifactView(row));
      throw conflict(`upload ${upload.id} was completed, but its artifact has since been deleted; request a new upload`);
    }
    if (upload.failure !== null) throw new ApiError(422, 'invalid_request', `${upload.failure} (request a new upload once the file is fixed)`);
    // A release never returns to draft: the staged bytes can never become an artifact.
    if (release.status !== 'draft') await discard([upload.storage_key]);
    assertDraft(release, 'complete an upload');

    if (upload.multipart_upload_id !== null) await assemble(upload.storage_key, upload.multipart_upload_id, upload.part_count!, body);
    else if (body.parts?.length) throw badRequest(`upload ${upload.id} is a single PUT, not multipart; complete it without "parts"`);

    let keyId: string | null;
    try {
      ({ keyId } = await storageCall(() => verifyStoredArtifact(storage, { key: upload.storage_key }, values, app.public_key, release.version)));
    } catch (error) {
      if (error instanceof IngestRefusal && error.final) {
        // Refused bytes are not kept; the upload remembers why, and a fresh upload is needed.
        await recordUploadFailure(db, upload.id, error.message);
        await discard([upload.storage_key]);
      }
      throw error;
    }

    let result: { row: ArtifactRow; previous: ArtifactRow | undefined };
    try {
      result = await db.transaction().execute((trx) => completeUpload(trx, principal, app, release.id, upload, values, keyId, new Date(now()), via(principal)));
    } catch (error) {
      if (error instanceof ApiError) await discard([upload.storage_key]);
      throw error;
    }
    releaseCache.invalidate(app.id);
    const { previous } = result;
    // The replaced bytes go once nothing points at them; a pending row's key belongs to another upload in flight.
    if (previous?.state === 'ready' && previous.storage_key !== upload.storage_key) await discard([previous.storage_key]);
    return c.json(toCiArtifactView(result.row));
  });

  /** CompleteMultipartUpload with the client's ETags, after checking it lists every part once. */
  async function assemble(key: string, multipartUploadId: string, partCount: number, body: CiCompleteUploadBody): Promise<void> {
    const parts = [...(body.parts ?? [])].sort((a, b) => a.part_number - b.part_number);
    const expected = `parts 1–${partCount}, each once, with the ETag its PUT answered: {"parts":[{"part_number":1,"etag":"…"},…]}`;
    if (parts.length === 0) throw badRequest(`this is a multipart upload; send ${expected}`);
    if (parts.length !== partCount || parts.some((part, index) => part.part_number !== index + 1)) {
      throw badRequest(`expected ${expected}; got part numbers ${parts.map((part) => part.part_number).join(', ')}`);
    }
    try {
      await storageCall(() => storage.completeMultipart(key, multipartUploadId, parts.map((part) => ({ partNumber: part.part_number, etag: part.etag }))));
    } catch (error) {
      if (!(error instanceof MultipartRefusedError)) throw error;
      // A retried complete: the first one assembled the object, and the bucket has forgotten the upload.
      if (await storageCall(() => storage.head(key))) return;
      throw new ApiError(422, 'invalid_request', `${error.message}; PUT every part to its URL and send the ETag each PUT answered`);
    }
  }

  routes.post('/:version/publish', async (c) => {
    const principal = principalOf(c);
    const app = await appOf(c, principal);
    requireCiPublish(principal);
    const release = await publish(principal, app, c.req.param('version'));
    return c.json(await view(app, release));
  });

  return routes;
}
