/**
 * @module storage/s3
 * Artifacts in an S3-compatible bucket (Cloudflare R2 in production, s3rver in tests). The only module
 * that imports the AWS SDK; `lazy-s3.ts` loads it on first use.
 *
 * Checksums are `WHEN_REQUIRED`: the SDK's default CRC32 would sign an empty-body checksum into presigned
 * PUT URLs (so real uploads through them fail) and send stream bodies aws-chunked, which S3 look-alikes
 * store corrupted (docs/reference/platform.md §5).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Config } from '../config.ts';
import { isConnectionError } from '../http/errors.ts';
import { publicObjectUrl } from './public-url.ts';
import {
  type ByteRange,
  MultipartRefusedError,
  type ObjectInfo,
  type PresignOptions,
  type PutOptions,
  type Storage,
  StorageUnavailableError,
  type StoredObject,
  type UploadedPart,
} from './storage.ts';

/** Memory for one streamed upload stays near PART_SIZE × QUEUE_SIZE (32 MiB), whatever the file size. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;
/** Pauses before the 2nd and 3rd attempt of a read. */
const READ_RETRY_DELAYS_MS = [100, 400] as const;
/** Never written: `artifactKey()` (protocol/storage-keys.ts) cannot produce a name starting with a dot. */
const HEALTH_PROBE_KEY = '.health-check';

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

function httpStatus(error: unknown): number | undefined {
  return (error as SdkError | null)?.$metadata?.httpStatusCode;
}

// In the message too: the SDK re-wraps an error from another realm (jest's vm) and keeps only its text.
const NETWORK_FAILURE = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b|socket hang up/;

/** The bucket could not be reached or answered with a server error: worth retrying, and a 503 to clients. */
function isUnavailable(error: unknown): boolean {
  const status = httpStatus(error);
  if (status !== undefined) return status >= 500 || status === 429;
  const { name, message } = (error ?? {}) as SdkError & { message?: unknown };
  return (
    isConnectionError(error) ||
    name === 'TimeoutError' ||
    (typeof message === 'string' && NETWORK_FAILURE.test(message))
  );
}

function explain(error: unknown): string {
  const status = httpStatus(error);
  const { name, code, message } = (error ?? {}) as SdkError & { message?: string };
  return [status && `HTTP ${status}`, code ?? name, message].filter(Boolean).join(': ');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The same stream, telling `onError` when reading it fails. */
function reportingErrors(body: ReadableStream<Uint8Array>, onError: (error: unknown) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        onError(error);
        controller.error(error);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

export class S3Storage implements Storage {
  readonly driver = 's3' as const;
  readonly bucket: string;
  readonly #client: S3Client;
  readonly #publicBaseUrl: string | undefined;
  readonly #endpoint: string;

  constructor(config: S3Config) {
    this.bucket = config.bucket;
    this.#endpoint = config.endpoint;
    this.#publicBaseUrl = config.publicBaseUrl?.replace(/\/+$/, '');
    this.#client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      forcePathStyle: config.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Retries are ours (`#read`): only reads are repeated, never a write whose body stream is spent.
      maxAttempts: 1,
      // A bucket that accepts a connection and then stalls fails rather than holding a request forever.
      requestHandler: { connectionTimeout: 5_000, socketTimeout: 30_000 },
    });
  }

  #unavailable(error: unknown): StorageUnavailableError {
    return new StorageUnavailableError(`object storage at ${this.#endpoint} is unavailable (${explain(error)})`, {
      cause: error,
    });
  }

  /** Runs an idempotent request, retrying outages briefly; other errors pass through unchanged. */
  async #read<T>(request: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        const delay = READ_RETRY_DELAYS_MS[attempt];
        if (delay === undefined) throw this.#unavailable(error);
        await sleep(delay);
      }
    }
  }

  /** Runs a write once, translating an outage. */
  async #write<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw isUnavailable(error) ? this.#unavailable(error) : error;
    }
  }

  async put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    const params = { Bucket: this.bucket, Key: key, ContentType: options.contentType, CacheControl: options.cacheControl };
    if (body instanceof Uint8Array) {
      await this.#write(() =>
        this.#client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: body.byteLength })),
      );
    } else {
      let bodyError: unknown;
      const upload = new Upload({
        client: this.#client,
        params: { ...params, Body: reportingErrors(body, (error) => (bodyError ??= error)) },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      // When the body fails, Upload aborts the multipart upload, and if that abort fails too it throws the
      // abort's error instead; the body's error is the one that explains what happened.
      await this.#write(() => upload.done().catch((error: unknown) => Promise.reject(bodyError ?? error)));
    }
    const info = await this.head(key);
    if (!info) throw new Error(`object storage accepted ${key} but does not list it afterwards`);
    return info;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const object = await this.#read(() => this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
      return { size: object.ContentLength ?? 0, etag: object.ETag ?? '""', lastModified: object.LastModified ?? new Date(0) };
    } catch (error) {
      if (httpStatus(error) === 404) return null;
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | null> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Range: range ? `bytes=${range.start}-${range.end}` : undefined,
    });
    let object;
    try {
      object = await this.#read(() => this.#client.send(command));
    } catch (error) {
      if (httpStatus(error) === 404) return null;
      throw error;
    }
    if (!object.Body) throw new Error(`object storage returned no body for ${key}`);
    // A ranged reply's Content-Length is the slice; the whole size follows the slash of Content-Range.
    const total = object.ContentRange?.match(/\/(\d+)$/)?.[1];
    return {
      info: {
        size: total !== undefined ? Number(total) : (object.ContentLength ?? 0),
        etag: object.ETag ?? '""',
        lastModified: object.LastModified ?? new Date(0),
      },
      body: object.Body.transformToWebStream() as ReadableStream<Uint8Array>,
    };
  }

  async delete(key: string): Promise<void> {
    await this.#write(() => this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  publicUrl(key: string): string | null {
    return publicObjectUrl(this.#publicBaseUrl, key);
  }

  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.#client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }

  presignPut(key: string, expiresInSeconds: number, options: PresignOptions = {}): Promise<string> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: options.contentType });
    return getSignedUrl(this.#client, command, {
      expiresIn: expiresInSeconds,
      ...(options.signingDate ? { signingDate: options.signingDate } : {}),
      // Signed, so an upload with another Content-Type is refused instead of stored mislabelled.
      ...(options.contentType ? { signableHeaders: new Set(['content-type']) } : {}),
    });
  }

  async createMultipart(key: string, options: PutOptions = {}): Promise<string> {
    const created = await this.#write(() =>
      this.#client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: options.contentType })),
    );
    if (!created.UploadId) throw new Error(`object storage started a multipart upload of ${key} without an UploadId`);
    return created.UploadId;
  }

  presignUploadPart(key: string, uploadId: string, partNumber: number, expiresInSeconds: number, options: PresignOptions = {}): Promise<string> {
    const command = new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber });
    return getSignedUrl(this.#client, command, {
      expiresIn: expiresInSeconds,
      ...(options.signingDate ? { signingDate: options.signingDate } : {}),
    });
  }

  async completeMultipart(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<void> {
    const command = new CompleteMultipartUploadCommand({
      Bucket: this.bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts.map(({ partNumber, etag }) => ({ PartNumber: partNumber, ETag: etag })) },
    });
    try {
      await this.#write(() => this.#client.send(command));
    } catch (error) {
      // 4xx (InvalidPart, InvalidPartOrder, EntityTooSmall, NoSuchUpload): the client's parts, not an outage.
      const status = httpStatus(error);
      if (status !== undefined && status >= 400 && status < 500) {
        throw new MultipartRefusedError(`object storage refused to assemble the parts (${explain(error)})`, { cause: error });
      }
      throw error;
    }
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    await this.#write(() => this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })));
  }

  /**
   * Proves the bucket exists and takes these credentials. A GET of a key that is never written rather
   * than HeadBucket: test servers mis-verify the signature of bucket-level requests (the SDK signs
   * `/bucket/`, s3rver checks `/bucket`), and unlike a HEAD the error body tells NoSuchKey from NoSuchBucket.
   */
  async check(): Promise<void> {
    try {
      const probe = await this.#read(() =>
        this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: HEALTH_PROBE_KEY, Range: 'bytes=0-0' })),
      );
      await probe.Body?.transformToByteArray();
    } catch (error) {
      const { name } = error as SdkError;
      if (name === 'NoSuchKey') return;
      if (name === 'NoSuchBucket') {
        throw new Error(`the bucket ${this.bucket} does not exist at ${this.#endpoint}; check S3_BUCKET`, { cause: error });
      }
      if (httpStatus(error) === 403) {
        throw new Error(
          `object storage at ${this.#endpoint} refused the credentials for bucket ${this.bucket}; check S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and the key's permissions`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}
