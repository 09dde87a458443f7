/**
 * @module storage/fs
 * Artifacts as files under `DATA_DIR/objects`. Writes go to a temporary file renamed into place, so a
 * reader never sees half an object and a failed upload leaves nothing behind. A process killed mid-write
 * (`kill -9`, power loss) leaves its temporary file, named after its pid: `removeStaleUploads` deletes those
 * of processes that no longer exist, at start.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, rmdir, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { processExists } from '../../../db/data-dir-lock.ts';
import { loggedError } from '../http/logged-error.ts';
import { type ByteRange, type ObjectInfo, type Storage, type StoredObject, StorageLowOnSpaceError, StorageUnavailableError } from './storage.ts';

const TEMPORARY = /^\.upload-([0-9]+)-[0-9a-f-]{36}$/;

/** A full, over-quota, read-only or failing disk: the storage refusing, not the request (the API answers 503). */
const DISK_REFUSALS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);

/**
 * Below this much free space `check()` (so `/readyz`) reports the storage unavailable: a typical Tauri release is a
 * few installers of tens of MB each, so a disk with less would refuse the next upload half-way.
 */
export const MIN_FREE_BYTES = 256 * 1024 * 1024;

export interface FileSystemStorageOptions {
  /** Default `MIN_FREE_BYTES`. */
  minFreeBytes?: number;
}

export class FileSystemStorage implements Storage {
  readonly driver = 'fs' as const;
  readonly root: string;
  readonly #minFreeBytes: number;

  constructor(dataDir: string, options: FileSystemStorageOptions = {}) {
    this.root = resolve(dataDir, 'objects');
    this.#minFreeBytes = options.minFreeBytes ?? MIN_FREE_BYTES;
  }

  #path(key: string): string {
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new Error('storage key escapes the storage folder');
    return path;
  }

  async put(key: string, body: ReadableStream<Uint8Array> | Uint8Array): Promise<ObjectInfo> {
    try {
      return await this.#put(key, body);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (typeof code === 'string' && DISK_REFUSALS.has(code)) {
        throw new StorageUnavailableError(`the disk under ${this.root} refused the write (${code}${code === 'ENOSPC' ? ': it is full' : ''})`, { cause: error });
      }
      throw error;
    }
  }

  async #put(key: string, body: ReadableStream<Uint8Array> | Uint8Array): Promise<ObjectInfo> {
    const path = this.#path(key);
    const temporary = join(dirname(path), `.upload-${process.pid}-${randomUUID()}`);
    const md5 = createHash('md5');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        md5.update(chunk);
        done(null, chunk);
      },
    });
    try {
      const file = await createInItsFolder(temporary);
      // Only now: a Node stream over a body that fails has nobody to report to while the file is being created.
      const source = body instanceof Uint8Array ? Readable.from([body]) : Readable.fromWeb(body as never);
      await pipeline(source, hashing, file.createWriteStream());
      await rename(temporary, path);
    } catch (error) {
      // The write's own failure (often the caller's refusal, which failed the stream) is the one to report.
      await rm(temporary, { force: true }).catch((cleanup: unknown) => console.error(`could not remove the partial upload ${temporary}: ${loggedError(cleanup)}`));
      // A refused upload leaves no folder of its own either: nothing points at it, so nothing would delete it.
      await removeUploadFolder(path);
      throw error;
    }
    const info = await stat(path);
    return { size: info.size, etag: `"${md5.digest('hex')}"`, lastModified: info.mtime };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const info = await stat(this.#path(key));
      if (!info.isFile()) return null;
      // A weak-but-stable validator without reading the file: size and modification time.
      return { size: info.size, etag: `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`, lastModified: info.mtime };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | null> {
    const info = await this.head(key);
    if (!info) return null;
    const stream = createReadStream(this.#path(key), range ? { start: range.start, end: range.end } : {});
    return { info, body: Readable.toWeb(stream) as ReadableStream<Uint8Array> };
  }

  async delete(key: string): Promise<void> {
    const path = this.#path(key);
    await rm(path, { force: true });
    await removeUploadFolder(path);
  }

  publicUrl(): string | null {
    return null;
  }

  async presignGet(): Promise<string | null> {
    return null;
  }

  async presignPut(): Promise<string | null> {
    return null;
  }

  // Uploads to this driver go through this server in one PUT (api/_src/ci/uploads.ts), never in parts.
  async createMultipart(): Promise<string> {
    throw new Error('multipart uploads need S3 storage; the filesystem driver takes one PUT through this server');
  }

  async presignUploadPart(): Promise<string> {
    throw new Error('multipart uploads need S3 storage');
  }

  async completeMultipart(): Promise<void> {
    throw new Error('multipart uploads need S3 storage');
  }

  async abortMultipart(): Promise<void> {}

  /** Throws when the folder cannot be created, or its disk has less than the minimum free space left. */
  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const disk = await statfs(this.root);
    const free = disk.bavail * disk.bsize;
    if (free < this.#minFreeBytes) {
      const mb = (bytes: number) => `${Math.floor(bytes / (1024 * 1024))} MB`;
      throw new StorageLowOnSpaceError(`the disk under ${this.root} has ${mb(free)} free, below the ${mb(this.#minFreeBytes)} uploads need`);
    }
  }

  /** Deletes the temporary files of writes whose process died (and their upload's own folder); returns how many. */
  async removeStaleUploads(): Promise<number> {
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch(() => []);
    let removed = 0;
    for (const entry of entries) {
      const pid = TEMPORARY.exec(entry.name)?.[1];
      if (!entry.isFile() || pid === undefined || processExists(Number(pid))) continue;
      const path = join(entry.parentPath, entry.name);
      await rm(path, { force: true });
      await removeUploadFolder(path);
      removed++;
    }
    return removed;
  }
}

/**
 * Removes the folder of `path` when it is an upload's own (`…/uploads/{id}/`, protocol/storage-keys.ts `stagedKey`)
 * and empty. Folders others write into are left, or a concurrent write could lose its folder; a write to the same
 * upload key keeps it while its temporary file is there, and recreates it if it went before that file was created
 * (`createInItsFolder`).
 */
async function removeUploadFolder(path: string): Promise<void> {
  const folder = dirname(path);
  if (basename(dirname(folder)) === 'uploads') await rmdir(folder).catch(() => {});
}

/**
 * Creates `path` (which must not exist) and its folder. The folder is created again when it is removed in between
 * (`removeUploadFolder` after another write to the same upload key failed, or a delete of that key).
 */
async function createInItsFolder(path: string): Promise<FileHandle> {
  for (let attempt = 1; ; attempt++) {
    await mkdir(dirname(path), { recursive: true });
    try {
      return await open(path, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 3) throw error;
    }
  }
}
