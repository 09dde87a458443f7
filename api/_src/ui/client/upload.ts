/**
 * @module ui/client/upload
 * Sends one artifact's bytes, reporting progress, by the path the server's storage allows:
 *
 * - filesystem storage: a multipart POST to the admin API (`…/artifacts`), fields first and the file last, as the
 *   route reads it as a stream; the server verifies the signature against the app's key while the bytes arrive.
 * - S3/R2: the bytes go straight to the bucket (a Vercel function takes at most 4.5 MB per request). The file is
 *   hashed here, `POST /ci/apps/{app}/releases/{version}/uploads` returns a presigned PUT (or one per part), the
 *   bytes are PUT there, and `…/complete` has the server check size, SHA-256 and signature.
 *
 * XMLHttpRequest rather than fetch: only it reports upload progress. Both APIs take the session cookie and the CSRF
 * header `requestHeaders` adds.
 */
import { type CiCompleteUploadBody, type CiUploadRequestBody, ciUploadResponseSchema } from '../../protocol/ci.ts';
import { artifactSchema } from '../../protocol/schemas.ts';
import { ApiFailure, adminPath, answerOf, api, failureOf, requestHeaders } from './api.ts';
import { sha256OfBlob } from './sha256-blob.ts';

export type UploadPhase = 'hashing' | 'uploading' | 'verifying';

export interface UploadProgress {
  phase: UploadPhase;
  /** Bytes done of `total` in this phase. */
  loaded: number;
  total: number;
}

export interface ArtifactUpload {
  appSlug: string;
  releaseId: string;
  version: string;
  file: File;
  platform: string;
  bundle: string;
  /** The `.sig` file, or the pasted signature. */
  signature: File | string;
  /** Admin path only: the CI API has no default flag. */
  isDefault: boolean;
  onProgress(progress: UploadProgress): void;
  signal: AbortSignal;
}

/** What the panel shows after an upload; the CI path's answer has fewer fields, so the panel reloads the release. */
export interface UploadResult {
  fileName: string;
  replaced: boolean;
}

export function uploadArtifact(storage: 'fs' | 's3', upload: ArtifactUpload): Promise<UploadResult> {
  return storage === 's3' ? uploadDirect(upload) : uploadThroughServer(upload);
}

const cancelled = () => new ApiFailure(0, 'cancelled', 'upload cancelled');

export const isCancelled = (error: unknown) => error instanceof ApiFailure && error.code === 'cancelled';

interface XhrOptions {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: XMLHttpRequestBodyInit;
  signal: AbortSignal;
  onUploadProgress(loaded: number, total: number): void;
  /** Bytes sent; the answer has not come yet (the server is checking them). */
  onSent?(): void;
  /** How to explain status 0 (no answer): the network, or a bucket's CORS rules. */
  unreachable: string;
  /** Same-origin requests carry the session cookie; presigned URLs must not be sent credentials. */
  withCredentials: boolean;
}

interface XhrAnswer {
  status: number;
  text: string;
  etag: string | null;
}

function send(options: XhrOptions): Promise<XhrAnswer> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) return reject(cancelled());
    const xhr = new XMLHttpRequest();
    xhr.open(options.method, options.url);
    xhr.withCredentials = options.withCredentials;
    for (const [name, value] of Object.entries(options.headers)) xhr.setRequestHeader(name, value);
    const abort = () => xhr.abort();
    options.signal.addEventListener('abort', abort, { once: true });
    const done = () => options.signal.removeEventListener('abort', abort);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) options.onUploadProgress(event.loaded, event.total);
    });
    xhr.upload.addEventListener('load', () => options.onSent?.());
    xhr.addEventListener('load', () => {
      done();
      resolve({ status: xhr.status, text: xhr.responseText, etag: xhr.getResponseHeader('etag') });
    });
    xhr.addEventListener('error', () => {
      done();
      reject(new ApiFailure(0, 'network', options.unreachable));
    });
    xhr.addEventListener('abort', () => {
      done();
      reject(cancelled());
    });
    xhr.send(options.body);
  });
}

async function uploadThroughServer(upload: ArtifactUpload): Promise<UploadResult> {
  const form = new FormData();
  form.append('platform', upload.platform);
  form.append('bundle', upload.bundle);
  form.append('is_default', String(upload.isDefault));
  // The server takes the .sig as a file part too; either way it must come before the file.
  if (typeof upload.signature === 'string') form.append('signature', upload.signature.trim());
  else form.append('signature', upload.signature, upload.signature.name);
  form.append('file', upload.file, upload.file.name);
  const url = adminPath('apps', upload.appSlug, 'releases', upload.releaseId, 'artifacts');
  const answer = await send({
    method: 'POST',
    url,
    headers: requestHeaders('POST'),
    body: form,
    signal: upload.signal,
    withCredentials: true,
    unreachable: 'the server could not be reached during the upload; check your connection and upload again',
    onUploadProgress: (loaded, total) => upload.onProgress({ phase: 'uploading', loaded, total }),
    onSent: () => upload.onProgress({ phase: 'verifying', loaded: upload.file.size, total: upload.file.size }),
  });
  if (answer.status !== 200 && answer.status !== 201) throw failureOf(answer.status, answer.text);
  const body = answerOf('POST', url, answer.status, answer.text, artifactSchema);
  return { fileName: body.file_name, replaced: answer.status === 200 };
}

/** What to tell the user when the bucket does not answer the browser (almost always a missing CORS rule). */
export function bucketRefusal(origin: string): string {
  return (
    `the bucket refused the browser's upload: add a CORS rule to the bucket allowing PUT from ${origin} ` +
    '(with AllowedHeaders ["content-type"] and ExposeHeaders ["ETag"]), then upload again'
  );
}

async function uploadDirect(upload: ArtifactUpload): Promise<UploadResult> {
  const { file, signal } = upload;
  const sha256 = await sha256OfBlob(file, {
    signal,
    onProgress: (loaded, total) => upload.onProgress({ phase: 'hashing', loaded, total }),
  }).catch((error: unknown) => {
    throw signal.aborted ? cancelled() : error;
  });
  const signature = typeof upload.signature === 'string' ? upload.signature.trim() : (await upload.signature.text()).trim();
  const base = `/ci/apps/${encodeURIComponent(upload.appSlug)}/releases/${encodeURIComponent(upload.version)}/uploads`;
  const request: CiUploadRequestBody = {
    platform: upload.platform as CiUploadRequestBody['platform'],
    bundle: upload.bundle as NonNullable<CiUploadRequestBody['bundle']>,
    file_name: file.name,
    size: file.size,
    sha256,
    signature,
  };
  if (signal.aborted) throw cancelled();
  const started = await api.post(base, request, ciUploadResponseSchema);
  const target = started.target;
  const refusal = bucketRefusal(location.origin);
  const complete: CiCompleteUploadBody = {};
  upload.onProgress({ phase: 'uploading', loaded: 0, total: file.size });

  if (target.method === 'PUT') {
    // A slice has no type, so the browser adds no Content-Type of its own: the PUT carries exactly the signed headers.
    const answer = await send({
      method: 'PUT',
      url: target.url,
      headers: target.headers,
      body: file.slice(0, file.size),
      signal,
      withCredentials: false,
      unreachable: refusal,
      onUploadProgress: (loaded) => upload.onProgress({ phase: 'uploading', loaded, total: file.size }),
    });
    if (answer.status < 200 || answer.status >= 300) throw storageFailure(answer);
  } else {
    const parts: NonNullable<CiCompleteUploadBody['parts']> = [];
    let done = 0;
    for (const part of target.parts) {
      const start = (part.part_number - 1) * target.part_size;
      const body = file.slice(start, Math.min(start + target.part_size, file.size));
      const answer = await send({
        method: 'PUT',
        url: part.url,
        headers: {},
        body,
        signal,
        withCredentials: false,
        unreachable: refusal,
        onUploadProgress: (loaded) => upload.onProgress({ phase: 'uploading', loaded: done + loaded, total: file.size }),
      });
      if (answer.status < 200 || answer.status >= 300) throw storageFailure(answer);
      if (!answer.etag) {
        throw new ApiFailure(0, 'cors', `the bucket accepted part ${part.part_number} but hid its ETag from the browser: add "ETag" to the ExposeHeaders of the bucket's CORS rule, then upload again`);
      }
      parts.push({ part_number: part.part_number, etag: answer.etag });
      done += body.size;
    }
    complete.parts = parts;
  }
  upload.onProgress({ phase: 'verifying', loaded: file.size, total: file.size });
  await api.post(`${base}/${encodeURIComponent(started.upload_id)}/complete`, complete);
  return { fileName: file.name, replaced: false };
}

/** A bucket's XML error, reduced to its code and message. */
function storageFailure(answer: XhrAnswer): ApiFailure {
  const code = /<Code>([^<]*)<\/Code>/.exec(answer.text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(answer.text)?.[1];
  const detail = code ? `${code}${message ? `: ${message}` : ''}` : `HTTP ${answer.status}`;
  const hint = answer.status === 403 ? '; the upload URL may have expired (they last an hour): upload again' : '; upload again';
  return new ApiFailure(answer.status, 'storage_refused', `the bucket refused the upload (${detail})${hint}`);
}
