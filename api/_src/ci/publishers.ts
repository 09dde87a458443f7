/**
 * @module ci/publishers
 * Trusted publishers: an app's bindings to a GitHub repository, as the admin API answers with them
 * (`api/_src/admin/publishers.ts`; wire schemas in protocol/publishers.ts) and as the token exchange looks them up
 * (`exchange.ts`).
 */
import { type Kysely, sql } from 'kysely';
import type { Database, TrustedPublisherRow } from '../../../db/schema.ts';
import type { PublisherBody } from '../protocol/publishers.ts';

export function toPublisherBody(row: TrustedPublisherRow): PublisherBody {
  return {
    id: row.id,
    app_id: row.app_id,
    repository: row.repository,
    repository_id: row.repository_id,
    repository_owner_id: row.repository_owner_id,
    workflow: row.workflow,
    environment: row.environment,
    allowed_refs: row.allowed_refs,
    allow_self_hosted: row.allow_self_hosted,
    can_publish: row.can_publish,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/**
 * The app's publishers that could accept a token from `repository`: same name (any case) or same
 * repository id, so a renamed or re-created repository is refused by the rule that explains it rather
 * than by "no publisher". Oldest first, which is the tie-break of `selectPublisher`.
 */
export async function candidatePublishers(
  db: Kysely<Database>,
  appId: string,
  claims: { repository: string; repository_id: string },
): Promise<TrustedPublisherRow[]> {
  return db
    .selectFrom('trusted_publishers')
    .selectAll()
    .where('app_id', '=', appId)
    .where((eb) =>
      eb.or([eb(sql`lower(repository)`, '=', claims.repository.toLowerCase()), eb('repository_id', '=', claims.repository_id)]),
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
