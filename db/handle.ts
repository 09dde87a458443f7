import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'neon' | 'pglite';
  close(): Promise<void>;
}
