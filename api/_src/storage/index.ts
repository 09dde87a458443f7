import type { Config } from '../config.ts';
import { LazyS3Storage } from './lazy-s3.ts';
import type { Storage } from './storage.ts';

export type { Storage } from './storage.ts';

export async function createStorage(config: Readonly<Config>): Promise<Storage> {
  // Each driver is imported when chosen: the Vercel function never loads the file system driver.
  if (config.storage.driver === 'fs') return new (await import('./fs.ts')).FileSystemStorage(config.dataDir);
  // The AWS SDK is the largest import of a cold start: loaded on the first call that needs the bucket.
  return new LazyS3Storage(config.storage);
}
