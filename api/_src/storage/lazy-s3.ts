/**
 * @module storage/lazy-s3
 * The S3 driver behind the same `Storage` interface, with the AWS SDK (the largest part of the Vercel function)
 * imported on the first call that needs the bucket rather than when the instance starts: update checks answered from
 * a snapshot and public download URLs never need it, so a cold instance serves them without loading it.
 */
import type { S3Config } from '../config.ts';
import { publicObjectUrl } from './public-url.ts';
import type { ByteRange, ObjectInfo, PresignOptions, PutOptions, Storage, StoredObject, UploadedPart } from './storage.ts';

export class LazyS3Storage implements Storage {
  readonly driver = 's3' as const;
  readonly #config: S3Config;
  #loading: Promise<Storage> | undefined;

  constructor(config: S3Config) {
    this.#config = config;
  }

  #s3(): Promise<Storage> {
    if (!this.#loading) {
      this.#loading = import('./s3.ts').then(({ S3Storage }) => new S3Storage(this.#config));
      // A failed import (never expected in a built function) is retried by the next call rather than kept.
      this.#loading.catch(() => { this.#loading = undefined; });
    }
    return this.#loading;
  }

  publicUrl(key: string): string | null {
    return publicObjectUrl(this.#config.publicBaseUrl, key);
  }

  async put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, options?: PutOptions): Promise<ObjectInfo> {
    return (await this.#s3()).put(key, body, options);
  }
  async head(key: string): Promise<ObjectInfo | null> {
    return (await this.#s3()).head(key);
  }
  async get(key: string, range?: ByteRange): Promise<StoredObject | null> {
    return (await this.#s3()).get(key, range);
  }
  async delete(key: string): Promise<void> {
    return (await this.#s3()).delete(key);
  }
  async presignGet(key: string, expiresInSeconds: number): Promise<string | null> {
    return (await this.#s3()).presignGet(key, expiresInSeconds);
  }
  async presignPut(key: string, expiresInSeconds: number, options?: PresignOptions): Promise<string | null> {
    return (await this.#s3()).presignPut(key, expiresInSeconds, options);
  }
  async createMultipart(key: string, options?: PutOptions): Promise<string> {
    return (await this.#s3()).createMultipart(key, options);
  }
  async presignUploadPart(key: string, uploadId: string, partNumber: number, expiresInSeconds: number, options?: PresignOptions): Promise<string> {
    return (await this.#s3()).presignUploadPart(key, uploadId, partNumber, expiresInSeconds, options);
  }
  async completeMultipart(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<void> {
    return (await this.#s3()).completeMultipart(key, uploadId, parts);
  }
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    return (await this.#s3()).abortMultipart(key, uploadId);
  }
  async check(): Promise<void> {
    return (await this.#s3()).check();
  }
}
