/**
 * The S3 bucket behind the server, read directly for test/robustness/concurrent-operations.test.ts (the
 * `StorageReader` of release-invariants.ts): from s3rver's own files, since it refuses the SDK's signature of a
 * bucket listing (ListObjects and ListObjectsV2 both answer SignatureDoesNotMatch).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { RunningS3rver } from '../support/s3rver.ts';
import type { StorageReader } from './release-invariants.ts';

const OBJECT_SUFFIX = '._S3rver_object';

export function s3Reader(s3: RunningS3rver): StorageReader {
  const root = join(s3.directory, s3.bucket);
  return {
    async list(prefix) {
      const entries = await readdir(join(root, prefix), { recursive: true, withFileTypes: true }).catch(() => []);
      return entries
        .filter((e) => e.isFile() && e.name.endsWith(OBJECT_SUFFIX))
        .map((e) => relative(root, join(e.parentPath, e.name.slice(0, -OBJECT_SUFFIX.length))).split(sep).join('/'));
    },
    read: (key) => readFile(join(root, `${key}${OBJECT_SUFFIX}`)).catch(() => null),
  };
}
