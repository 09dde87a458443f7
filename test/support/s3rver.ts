/**
 * A real S3 server for tests: @20minutes/s3rver verifies SigV4 signatures, presigned expiry and signed
 * headers (docs/reference/platform.md §6), on 127.0.0.1 with its files in a temporary folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Config } from '../../api/_src/config.ts';

interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  resetOnClose: boolean;
  configureBuckets: Array<{ name: string; configs?: string[] }>;
}

interface FilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  deleteObject(bucket: string, key: string): Promise<void>;
}

interface S3rverInstance {
  httpServer?: Server;
  store: FilesystemStore;
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

// The package is CommonJS without type declarations.
const S3rver = createRequire(import.meta.url)('@20minutes/s3rver') as new (options: S3rverOptions) => S3rverInstance;

/** s3rver's built-in credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface RunningS3rver {
  endpoint: string;
  bucket: string;
  config: S3Config;
  /** Where s3rver keeps its files: an object is `{directory}/{bucket}/{key}._S3rver_object` (read it to list the bucket). */
  directory: string;
  /** Stops the server (dropping kept-alive connections, which would otherwise hold close open) and removes its files. */
  close(): Promise<void>;
}

/** The environment that makes the control plane store its files in `s3`'s bucket (path-style, as s3rver needs). */
export function s3rverStorageEnv(s3: RunningS3rver): Record<string, string> {
  return {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
  };
}

/**
 * The bucket CORS rule a browser needs for presigned uploads from the dashboard at `origin` (the same rule the
 * README gives for R2): PUT with a Content-Type, and the ETag header readable so multipart uploads can complete.
 */
export function browserUploadCors(origin: string): string {
  return `<CORSConfiguration><CORSRule><AllowedOrigin>${origin}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>` +
    '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>';
}

/**
 * s3rver's delete also removes the folders the object leaves empty, by a recursive rm of a folder it found empty a
 * moment before (@20minutes/s3rver 5.0.0, lib/stores/filesystem.js `deleteObject`): an object another request writes
 * there meanwhile is lost, and its PUT has already answered 200. S3 has no folders, so here a delete removes the
 * object's own files only.
 */
function keepFolders(store: FilesystemStore): void {
  store.deleteObject = async (bucket, key) => {
    await Promise.all(['object', 'object.md5', 'metadata.json'].map((resource) => rm(store.getResourcePath(bucket, key, resource), { force: true })));
  };
}

export async function startS3rver(options: { bucket?: string; publicBaseUrl?: string; corsOrigin?: string } = {}): Promise<RunningS3rver> {
  const bucket = options.bucket ?? 'artifacts';
  const directory = await mkdtemp(join(tmpdir(), 'tauri-release-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    resetOnClose: false, // close() removes the folder; s3rver's own reset uses a deprecated fs.rmdir
    configureBuckets: [{ name: bucket, configs: options.corsOrigin ? [browserUploadCors(options.corsOrigin)] : [] }],
  });
  keepFolders(server.store);
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  let closed = false;
  return {
    endpoint,
    bucket,
    directory,
    config: {
      endpoint,
      region: 'auto',
      bucket,
      ...S3RVER_CREDENTIALS,
      publicBaseUrl: options.publicBaseUrl,
      forcePathStyle: true,
    },
    async close() {
      if (closed) return;
      closed = true;
      const closing = server.close();
      server.httpServer?.closeAllConnections();
      await closing;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
