/**
 * @module admin/artifact-upload
 * Reads a `multipart/form-data` artifact upload as a stream: the text fields (and an optional
 * `signature` file part) must come before the `file` part, whose bytes go straight to storage while
 * the ingest check (`releases/ingest.ts`) counts, hashes and verifies them; nothing is buffered whole.
 * `curl -F a=1 -F file=@x` sends the parts in the order given; so does `FormData` in the order fields
 * were appended.
 *
 * Any failure (bad fields, a client that goes away, a truncated body, a missing file part) rejects
 * with a 400, and a refusal of the check with its own status and rule, after the stored object, if any
 * was written, has been handed to `discard` (whose own failure is logged: the refusal stays the answer).
 * The body is read from `uploadBody`, so what a refusal leaves unread is drained by the route's
 * `answerRefusedUploads` (http/refused-upload.ts) before the connection closes.
 */
import busboy from 'busboy';
import { Readable, Transform } from 'node:stream';
import { ApiError, badRequest, UnavailableError } from '../http/errors.ts';
import { cleanUpAfterRefusal, uploadBody } from '../http/refused-upload.ts';
import { assertStorableText } from '../http/storable-text.ts';
import type { ArtifactCheck, CheckedArtifact } from '../protocol/artifact-check.ts';
import { MAX_SIGNATURE_LENGTH } from '../protocol/minisign.ts';
import { UPLOAD_FIELD_NAMES, type UploadFields } from '../releases/artifact-plan.ts';
import { type Storage, StorageUnavailableError } from '../storage/storage.ts';

/** An upload stored after its check accepted it: its size, SHA-256 and the key id it was verified against. */
export interface StoredUpload extends CheckedArtifact {
  key: string;
  fileName: string;
}

export interface UploadOptions<Plan> {
  storage: Storage;
  /**
   * Called once, when the file part starts, with the fields sent before it. Validates them (throwing
   * an ApiError refuses the upload before any byte is stored), names the storage key, and starts the
   * check every byte goes through on its way to storage (a throw from it refuses the upload).
   */
  plan(fields: UploadFields, fileName: string): { key: string; plan: Plan; check: ArtifactCheck };
  /** Cleans up a stored object after a failure (e.g. deletes it unless a row still points at it). */
  discard(key: string): Promise<void>;
  /** Largest accepted file in bytes; unlimited when omitted. */
  maxFileBytes?: number;
}

const MULTIPART = /^multipart\/form-data\s*;/i;
const FILE_AFTER_FIELDS = 'send every field before the file part (curl -F sends parts in the order given)';

export async function receiveUpload<Plan>(request: Request, options: UploadOptions<Plan>): Promise<StoredUpload & { plan: Plan }> {
  const type = request.headers.get('content-type') ?? '';
  if (!MULTIPART.test(type)) {
    throw badRequest(`expected Content-Type: multipart/form-data with a boundary, got ${type ? JSON.stringify(type.slice(0, 100)) : 'none'}`);
  }
  const source = uploadBody(request);
  if (!source) throw badRequest('the request has no body; send the fields, then the file part');
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': type },
      limits: { fields: 20, fieldSize: MAX_SIGNATURE_LENGTH + 1, files: 2, parts: 24, fileSize: options.maxFileBytes ?? Infinity },
    });
  } catch (error) {
    throw badRequest(`malformed multipart/form-data request: ${(error as Error).message}`);
  }
  const fields: UploadFields = {};
  let upload: Promise<StoredUpload & { plan: Plan }> | undefined;
  let signatureRead: Promise<void> | undefined;
  let current: Readable | undefined;
  let hashing: Transform | undefined;
  let failure: unknown;

  const parsed = new Promise<void>((resolve, reject) => {
    /** `fromStorage`: the backend failed, not the client, so the error is not turned into a 400. */
    const fail = (error: unknown, fromStorage = false) => {
      if (failure !== undefined) return;
      failure =
        error instanceof ApiError ? error
        : error instanceof StorageUnavailableError ? new UnavailableError('storage', error)
        : fromStorage ? error
        : badRequest(`the upload failed: ${(error as Error)?.message ?? String(error)}`);
      hashing?.destroy(failure as Error);
      current?.unpipe();
      current?.resume();
      // Stop reading rather than cancel the body: what is left is drained before the connection closes,
      // and cancelling a body that is still being produced is not safe everywhere (undici's FormData).
      source.unpipe(parser);
      source.pause();
      reject(failure);
    };

    parser.on('field', (name, value, info) => {
      if (upload) return fail(badRequest(`field "${name}" came after the file part; ${FILE_AFTER_FIELDS}`));
      if (!(UPLOAD_FIELD_NAMES as readonly string[]).includes(name)) {
        return fail(badRequest(`unknown field "${name.slice(0, 50)}"; expected ${UPLOAD_FIELD_NAMES.join(', ')} and then file`));
      }
      if (info.valueTruncated) return fail(badRequest(`field "${name}" is longer than ${MAX_SIGNATURE_LENGTH} characters`));
      const key = name as keyof UploadFields;
      if (fields[key] !== undefined) return fail(badRequest(`field "${name}" is given more than once`));
      try {
        assertStorableText(value, name);
      } catch (error) {
        return fail(error);
      }
      fields[key] = value;
    });

    parser.on('file', (name, file, info) => {
      if (failure !== undefined || upload) {
        file.resume();
        return fail(badRequest(`part "${name.slice(0, 50)}" came after the file part; ${FILE_AFTER_FIELDS}`));
      }
      if (name === 'signature') {
        if (fields.signature !== undefined || signatureRead) {
          file.resume();
          return fail(badRequest('the signature is given more than once (as a field and as a file part)'));
        }
        signatureRead = readSignaturePart(file).then((text) => {
          assertStorableText(text, 'signature');
          fields.signature = text;
        }).catch(fail);
        return;
      }
      if (name !== 'file') {
        file.resume();
        return fail(badRequest(`unexpected file part "${name.slice(0, 50)}"; the artifact goes in a part named "file"`));
      }
      current = file;
      // Now, not once the upload starts: busboy emits 'limit' in the same write as 'file' when the first chunk is over it.
      file.on('limit', () => fail(new ApiError(413, 'payload_too_large', `the file is larger than ${options.maxFileBytes} bytes`)));
      try {
        assertStorableText(info.filename, 'file (its file name)');
      } catch (error) {
        file.resume();
        return fail(error);
      }
      // The signature part's 'end' may not have fired yet; the file waits (busboy applies backpressure).
      upload = (signatureRead ?? Promise.resolve()).then(async () => {
        if (failure !== undefined) throw failure;
        const planned = options.plan(fields, info.filename ?? '');
        const check = planned.check;
        let checked: CheckedArtifact | undefined;
        // The check's verdict fails the stream, so storage never commits refused bytes.
        const refuse = (error: unknown, done: (error: Error) => void) => {
          fail(error);
          done(failure as Error);
        };
        hashing = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            try {
              check.update(chunk);
            } catch (error) {
              return refuse(error, done);
            }
            done(null, chunk);
          },
          flush(done) {
            try {
              checked = check.finish();
            } catch (error) {
              return refuse(error, done);
            }
            done();
          },
        });
        file.on('error', fail);
        file.pipe(hashing);
        await options.storage.put(planned.key, Readable.toWeb(hashing) as ReadableStream<Uint8Array>);
        return { key: planned.key, fileName: info.filename ?? '', ...checked!, plan: planned.plan };
      });
      upload.catch((error: unknown) => fail(error, true));
    });

    for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) {
      parser.on(limit, () => fail(badRequest(`too many parts; send ${UPLOAD_FIELD_NAMES.join(', ')} and then file`)));
    }
    parser.on('error', fail);
    parser.on('close', () => {
      if (!upload) fail(badRequest(`the request has no part named "file"; ${FILE_AFTER_FIELDS}`));
      else resolve();
    });
    source.on('error', (error) => fail(badRequest(`the upload was interrupted: ${error.message}`)));
    source.pipe(parser);
  });

  try {
    await parsed;
    return await upload!;
  } catch (error) {
    if (upload) {
      const written = await upload.then((u) => u.key, () => null);
      if (written) await cleanUpAfterRefusal(`discarding the stored upload ${written}`, () => options.discard(written));
    }
    throw failure ?? error;
  }
}

/** A `.sig` file sent as a file part instead of a text field. */
function readSignaturePart(file: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    file.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length <= MAX_SIGNATURE_LENGTH) chunks.push(chunk);
    });
    file.on('error', reject);
    file.on('end', () => {
      if (length > MAX_SIGNATURE_LENGTH) reject(badRequest(`the signature file is larger than ${MAX_SIGNATURE_LENGTH} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
