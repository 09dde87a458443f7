/**
 * @module ci/uploads
 * Where a CI job sends an artifact's bytes. They never pass through this server when storage is S3/R2
 * (a Vercel function takes at most 4.5 MB per request):
 *
 * - S3, up to `multipartThresholdBytes`: one presigned PUT.
 * - S3, above it: a presigned multipart upload. Parts are all `part_size` bytes but the last (R2's rule),
 *   at most 10,000 of them; the client PUTs each to its URL, keeps the ETag answers, and sends them to
 *   `complete`, which assembles the object.
 * - Filesystem storage (local, no accounts, no presigning): a PUT to this server, `PUT /ci/uploads/{id}`,
 *   authorised by an unguessable single-upload token in the URL that expires like a presigned URL. The body
 *   streams into storage and is never buffered; more bytes than declared are refused. Always one PUT, whatever
 *   the size: multipart is S3 only.
 *
 * Staged bytes go to a key of their own, `{app}/releases/{version}/uploads/{upload id}/{file}` (`stagedKey`,
 * protocol/storage-keys.ts), so an upload never overwrites an artifact that is ready; `complete` then points the
 * artifact at it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import type { ArtifactUploadRow, Database } from '../../../db/schema.ts';
import { ApiError, storageCall } from '../http/errors.ts';
import { uploadBody } from '../http/refused-upload.ts';
import { MULTIPART_PART_SIZE_BYTES, MULTIPART_THRESHOLD_BYTES } from '../protocol/ci.ts';
import { isUuid } from '../protocol/uuid.ts';
import { deleteObjectsNotReady } from '../releases/store.ts';
import type { Storage } from '../storage/storage.ts';

/** S3 allows 10,000 parts per upload. */
export const MAX_PARTS = 10_000;
/** How long upload URLs (presigned or the filesystem PUT) stay valid. */
export const UPLOAD_URL_TTL_SECONDS = 60 * 60;

export interface UploadLimits {
  /** Above this, S3 uploads are multipart. */
  multipartThresholdBytes: number;
  /** Size of every part but the last (grown when the file would need more than 10,000 parts). */
  partSizeBytes: number;
  urlTtlSeconds: number;
}

export const DEFAULT_UPLOAD_LIMITS: Readonly<UploadLimits> = Object.freeze({
  multipartThresholdBytes: MULTIPART_THRESHOLD_BYTES,
  partSizeBytes: MULTIPART_PART_SIZE_BYTES,
  urlTtlSeconds: UPLOAD_URL_TTL_SECONDS,
});

const MIB = 1024 * 1024;

/** Equal parts of `partSize` (grown in whole MiB to stay within 10,000 parts) and the count. */
export function planParts(size: number, partSize: number): { partSize: number; partCount: number } {
  const needed = Math.ceil(size / MAX_PARTS);
  const grown = needed > partSize ? Math.ceil(needed / MIB) * MIB : partSize;
  return { partSize: grown, partCount: Math.max(1, Math.ceil(size / grown)) };
}

export function hashUploadToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateUploadToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashUploadToken(token) };
}

export type UploadTarget =
  | { method: 'PUT'; url: string; headers: Record<string, string> }
  | { method: 'MULTIPART'; part_size: number; parts: Array<{ part_number: number; url: string }> };

/** The presigned (or, for the filesystem, tokenised) URLs for an upload row. */
export async function uploadTarget(
  storage: Storage,
  upload: Pick<ArtifactUploadRow, 'id' | 'storage_key' | 'content_type' | 'multipart_upload_id' | 'part_size' | 'part_count'>,
  options: { publicUrl: string; token: string | null; ttlSeconds: number; signingDate: Date },
): Promise<UploadTarget> {
  const contentType = upload.content_type ?? undefined;
  if (storage.driver === 'fs') {
    if (!options.token) throw new Error('a filesystem upload needs its token');
    return { method: 'PUT', url: `${options.publicUrl}/ci/uploads/${upload.id}?token=${options.token}`, headers: {} };
  }
  const presign = { signingDate: options.signingDate, ...(contentType ? { contentType } : {}) };
  if (upload.multipart_upload_id !== null) {
    const parts = [];
    for (let part = 1; part <= upload.part_count!; part++) {
      parts.push({ part_number: part, url: await storage.presignUploadPart(upload.storage_key, upload.multipart_upload_id, part, options.ttlSeconds, presign) });
    }
    return { method: 'MULTIPART', part_size: upload.part_size!, parts };
  }
  const url = await storage.presignPut(upload.storage_key, options.ttlSeconds, presign);
  if (!url) throw new Error(`storage driver ${storage.driver} cannot presign a PUT`);
  return { method: 'PUT', url, headers: contentType ? { 'content-type': contentType } : {} };
}

const forbidden = (message: string) => new ApiError(403, 'forbidden', message);

/**
 * `PUT /ci/uploads/{id}?token=…` for filesystem storage. Like a presigned URL, the token is the only
 * authorisation, so an unknown id and a wrong token get the same 403. A refusal, before the body or during it,
 * lets the client finish sending first (`answerRefusedUploads`, mounted in app.ts).
 */
export async function receiveFsUpload(c: Context, db: Kysely<Database>, storage: Storage, now: () => number): Promise<Response> {
  const id = c.req.param('upload') ?? '';
  const token = c.req.query('token') ?? '';
  const upload = isUuid(id) ? await db.selectFrom('artifact_uploads').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
  const given = Buffer.from(hashUploadToken(token), 'hex');
  const expected = upload?.token_hash ? Buffer.from(upload.token_hash, 'hex') : null;
  if (!upload || !expected || token === '' || !timingSafeEqual(given, expected)) {
    throw forbidden('invalid upload URL: unknown upload or wrong token; use the URL from POST …/uploads exactly as returned');
  }
  const expiresAt = new Date(upload.expires_at);
  if (expiresAt.getTime() <= now()) {
    throw forbidden(`this upload URL expired at ${expiresAt.toISOString()}; request a new upload (POST …/uploads) for the artifact`);
  }
  if (upload.completed_at !== null || upload.failure !== null) {
    throw new ApiError(409, 'conflict', `upload ${upload.id} was already ${upload.completed_at ? 'completed' : 'refused'}; request a new upload (POST …/uploads)`);
  }
  const release = await db.selectFrom('releases').select(['status', 'version']).where('id', '=', upload.release_id).executeTakeFirst();
  if (release?.status !== 'draft') {
    throw new ApiError(409, 'conflict', `release ${release?.version ?? '(deleted)'} is ${release?.status ?? 'gone'}; only a draft's artifacts can be uploaded`);
  }
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > upload.size) throw tooLarge(upload.size, declared);
  const source = uploadBody(c.req.raw);
  if (!source) throw new ApiError(400, 'invalid_request', 'the PUT has no body; send the artifact\'s bytes');

  let received = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      // Refused as it streams, so the filesystem never holds more than was declared.
      if (received > upload.size) return done(tooLarge(upload.size, received));
      done(null, chunk);
    },
  });
  source.on('error', (error) => limit.destroy(error));
  let info: { etag: string };
  try {
    info = await storageCall(() =>
      storage.put(upload.storage_key, Readable.toWeb(source.pipe(limit)) as ReadableStream<Uint8Array>, upload.content_type ? { contentType: upload.content_type } : {}),
    );
  } catch (error) {
    // Includes the storage outage, which storageCall made a 503.
    if (error instanceof ApiError) throw error;
    throw new ApiError(400, 'invalid_request', `the upload was interrupted: ${(error as Error).message}`);
  }
  await refuseIfClosedMeanwhile(db, storage, upload);
  c.header('ETag', info.etag);
  return c.body(null, 200);
}

/**
 * A release deleted, published or archived while the bytes streamed in: its upload can never be completed, and the
 * delete's cleanup may have run before the bytes were written, so they are removed here or never. Checked after the
 * write, so either this sees the change or the change's own cleanup finds the bytes.
 */
async function refuseIfClosedMeanwhile(db: Kysely<Database>, storage: Storage, upload: Pick<ArtifactUploadRow, 'id' | 'storage_key'>): Promise<void> {
  const now = await db
    .selectFrom('artifact_uploads')
    .innerJoin('releases', 'releases.id', 'artifact_uploads.release_id')
    .select(['releases.status', 'releases.version'])
    .where('artifact_uploads.id', '=', upload.id)
    .executeTakeFirst();
  if (now?.status === 'draft') return;
  await deleteObjectsNotReady(db, storage, [upload.storage_key]);
  throw new ApiError(409, 'conflict', `release ${now?.version ?? '(deleted)'} ${now ? `became ${now.status}` : 'was deleted'} while the bytes were sent; nothing was kept, and only a draft's artifacts can be uploaded`);
}

function tooLarge(declared: number, got: number): ApiError {
  return new ApiError(413, 'payload_too_large', `the body has ${got} bytes or more but the upload declared ${declared}; request a new upload with the real size`);
}
