import type { Config } from '../config.ts';
import { FileSystemStorage } from './fs.ts';
import type { Storage } from './storage.ts';

export type { Storage } from './storage.ts';

export async function createStorage(config: Readonly<Config>): Promise<Storage> {
  if (config.storage.driver === 'fs') return new FileSystemStorage(config.dataDir);
  // Loaded only when used: the AWS SDK is the largest import of a cold start.
  const { S3Storage } = await import('./s3.ts');
  return new S3Storage(config.storage);
}
