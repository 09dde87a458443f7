import type { Config } from '../config.ts';
import { FileSystemStorage } from './fs.ts';
import { LazyS3Storage } from './lazy-s3.ts';
import type { Storage } from './storage.ts';

export type { Storage } from './storage.ts';

export async function createStorage(config: Readonly<Config>): Promise<Storage> {
  if (config.storage.driver === 'fs') return new FileSystemStorage(config.dataDir);
  // The AWS SDK is the largest import of a cold start: loaded on the first call that needs the bucket.
  return new LazyS3Storage(config.storage);
}
