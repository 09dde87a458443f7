/**
 * @module admin/access
 * Finds the app a request names (by id or slug) as the caller is allowed to see it. A key scoped to
 * another app gets the same 404 as a missing app, so keys cannot probe which apps exist.
 */
import type { Kysely } from 'kysely';
import type { AppRow, Database } from '../../../db/schema.ts';
import { notFound } from '../http/api-error.ts';
import { APP_SLUG_PATTERN } from '../protocol/app-slug.ts';
import { isUuid } from '../protocol/uuid.ts';
import type { Principal } from './principal.ts';

export async function findAppFor(db: Kysely<Database>, principal: Principal, idOrSlug: string): Promise<AppRow> {
  // Neither an id nor a slug: answer without a query (a NUL byte would make Postgres fail with 22021).
  if (!isUuid(idOrSlug) && !APP_SLUG_PATTERN.test(idOrSlug)) throw notFound(`app ${JSON.stringify(idOrSlug.slice(0, 100))} not found`);
  const app = await db
    .selectFrom('apps')
    .selectAll()
    .where(isUuid(idOrSlug) ? 'id' : 'slug', '=', isUuid(idOrSlug) ? idOrSlug.toLowerCase() : idOrSlug)
    .executeTakeFirst();
  if (!app || (principal.appId !== null && principal.appId !== app.id)) {
    throw notFound(`app ${JSON.stringify(idOrSlug)} not found`);
  }
  return app;
}
