/**
 * @module admin/audit-routes
 * `GET /admin/audit`: the audit log, newest first, paged by entry id. An app-scoped key reads only its
 * app's entries. A global key may name a deleted app by id, since the log outlives what it describes.
 */
import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { defineRoutes } from '../docs/registry.ts';
import { auditListSchema, auditQuerySchema } from '../protocol/schemas.ts';
import { findAppFor } from '../auth/access.ts';
import { isUuid } from '../protocol/uuid.ts';
import { type AdminEnv, principalOf, requireAdmin } from '../auth/authenticate.ts';
import { readQuery } from '../http/request.ts';

export function auditRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db } = deps;
  const app = new Hono<AdminEnv>();

  app.get('/', async (c) => {
    const principal = principalOf(c);
    requireAdmin(principal);
    const query = readQuery(c, auditQuerySchema);
    let appId = principal.appId;
    if (query.app !== undefined) {
      appId = principal.appId === null && isUuid(query.app) ? query.app.toLowerCase() : (await findAppFor(db, principal, query.app)).id;
    }
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .$if(appId !== null, (qb) => qb.where('app_id', '=', appId!))
      .$if(query.action !== undefined, (qb) => qb.where('action', '=', query.action!))
      .$if(query.actor !== undefined, (qb) => qb.where('actor', '=', query.actor!))
      .$if(query.since !== undefined, (qb) => qb.where('at', '>=', new Date(query.since!)))
      .$if(query.until !== undefined, (qb) => qb.where('at', '<', new Date(query.until!)))
      .$if(query.before !== undefined, (qb) => qb.where('id', '<', query.before!))
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
      .execute();
    const page = rows.slice(0, query.limit);
    return c.json({
      entries: page.map((row) => ({
        id: Number(row.id),
        at: row.at.toISOString(),
        actor: row.actor,
        action: row.action,
        app_id: row.app_id,
        target: row.target,
        details: row.details,
      })),
      next_before: rows.length > query.limit ? Number(page[page.length - 1]!.id) : null,
    });
  });

  return app;
}

export const auditRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag: 'Audit log',
    summary: 'Read the audit log',
    description:
      'Every change made through the admin API, newest first. Actions: app.create, app.update, app.delete, ' +
      'api_key.create, api_key.revoke, and those of releases and artifacts. Page with `before=<next_before>`.',
    auth: 'api-key',
    access: 'admin scope (an app-scoped key sees its app only)',
    query: auditQuerySchema,
    responses: {
      200: { description: 'one page of entries', schema: auditListSchema },
      403: { description: 'a CI key' },
      404: { description: '`app` does not exist or is not visible to this key' },
    },
  },
]);
