/**
 * @module storage
 * One interface for where artifact bytes live: the local filesystem (default) or an S3-compatible
 * bucket such as Cloudflare R2. Keys are always built by protocol/storage-keys.ts, never from raw input.
 */
export interface ObjectInfo {
  size: number;
  /** Quoted strong ETag as the backend reports it. */
  etag: string;
  lastModified: Date;
}

export interface ByteRange {
  /** Inclusive. */
  start: number;
  /** Inclusive. */
  end: number;
}

export interface StoredObject {
  info: ObjectInfo;
  body: ReadableStream<Uint8Array>;
}

export interface PutOptions {
  contentType?: string;
  /** Stored with the object and sent by S3/R2 (and a CDN in front) on every GET; the filesystem driver ignores it. */
  cacheControl?: string;
}

export interface PresignOptions extends PutOptions {
  /** The moment the URL's validity starts (default now); tests pass a past date to get an expired URL. */
  signingDate?: Date;
}

/** A part of a multipart upload as the client reports it: its number and the ETag the bucket answered. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/** Refused by the bucket because of what the client sent (unknown upload, a wrong or missing part). */
export class MultipartRefusedError extends Error {
  override name = 'MultipartRefusedError';
}

export interface Storage {
  readonly driver: 'fs' | 's3';
  /** Streams `body` to `key`, replacing what was there; never buffers the whole body. */
  put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, options?: PutOptions): Promise<ObjectInfo>;
  head(key: string): Promise<ObjectInfo | null>;
  /** null when the key does not exist. With `range`, only those bytes. */
  get(key: string, range?: ByteRange): Promise<StoredObject | null>;
  delete(key: string): Promise<void>;
  /**
   * A URL a client can download `key` from without credentials, or null when downloads must go
   * through this server (`/download/…`). S3 with a public base URL returns that URL.
   */
  publicUrl(key: string): string | null;
  /** A time-limited GET URL (S3 only; the filesystem driver returns null). */
  presignGet(key: string, expiresInSeconds: number): Promise<string | null>;
  /** A time-limited PUT URL (S3 only; the filesystem driver returns null). */
  presignPut(key: string, expiresInSeconds: number, options?: PresignOptions): Promise<string | null>;
  /**
   * Presigned multipart upload (S3 only; the filesystem driver throws, its uploads are one PUT). R2 wants every
   * part but the last of one size. `createMultipart` returns the bucket's UploadId.
   */
  createMultipart(key: string, options?: PutOptions): Promise<string>;
  presignUploadPart(key: string, uploadId: string, partNumber: number, expiresInSeconds: number, options?: PresignOptions): Promise<string>;
  /** Throws `MultipartRefusedError` when the bucket refuses the parts or does not know the upload. */
  completeMultipart(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<void>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
  /** Throws when the backend cannot be reached. */
  check(): Promise<void>;
}

/** Thrown by drivers when the backend cannot be reached (maps to 503). */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

/** The disk under the filesystem driver has too little space left for uploads (a 503, and `/readyz` says so). */
export class StorageLowOnSpaceError extends StorageUnavailableError {
  override name = 'StorageLowOnSpaceError';
}
