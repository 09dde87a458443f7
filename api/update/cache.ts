import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Config } from '../config.ts';
import type { Storage } from '../storage/storage.ts';

// Placeholder until the updater endpoint lands.
export class ReleaseCache {
  readonly db: Kysely<Database>;
  readonly storage: Storage;
  readonly config: Readonly<Config>;
  constructor(db: Kysely<Database>, storage: Storage, config: Readonly<Config>) {
    this.db = db;
    this.storage = storage;
    this.config = config;
  }
  /** Drops what this instance holds for the app, so its next update check reads the database. */
  invalidate(_appId: string): void {}
}
