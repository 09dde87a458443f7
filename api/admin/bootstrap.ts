import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Config } from '../config.ts';

// Placeholder until API keys land.
export async function ensureBootstrapAdminKey(_db: Kysely<Database>, _config: Readonly<Config>): Promise<string | null> {
  return null;
}
