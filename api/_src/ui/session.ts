/**
 * @module ui/session
 * The dashboard's sign-in, mounted at `/ui/session` (ui/routes.ts): an admin-scoped API key (or ADMIN_TOKEN)
 * is exchanged for a 12-hour session in the `tr_session` cookie (HttpOnly, SameSite=Strict, Secure outside
 * localhost). The dashboard then calls `/admin/*` and `/ci/apps/*` with the cookie alone; `apiKeyAuth`
 * resolves it to the key's own principal, so a scoped key's session sees only its app.
 *
 *   POST   /ui/session   {"key"}   sign in: 201, Set-Cookie, the session view (csrf_token, principal, server)
 *   GET    /ui/session             the session view again, for a page reload; 204 when not signed in (not an
 *                                   error: the page asks on every load, and a browser logs every 4xx as one)
 *   DELETE /ui/session             sign out (X-CSRF-Token required): 204, the row deleted, the cookie cleared
 *
 * Cookie lookup and the CSRF rules live in `session-cookie.ts`; the wire types in `protocol/ui-session.ts`.
 */
import { Hono } from 'hono';
import type * as z from 'zod';
import { type Principal, resolveApiKey } from '../auth/authenticate.ts';
import { audit } from '../audit/audit.ts';
import { adminTokenHashOf, hashApiKey } from '../auth/keys.ts';
import { readJson } from '../http/request.ts';
import type { AppDeps } from '../deps.ts';
import { defineRoutes } from '../docs/registry.ts';
import { ApiError } from '../http/errors.ts';
import { checkPresentedKey } from '../rate-limit/middleware.ts';
import { sessionViewSchema, signInBodySchema } from '../protocol/ui-session.ts';
import {
  assertSameOrigin,
  clearSessionCookie,
  cookieSession,
  csrfTokenFor,
  generateSessionToken,
  type Session,
  SESSION_TTL_SECONDS,
  setSessionCookie,
} from '../auth/session-cookie.ts';

export { CSRF_HEADER, SESSION_COOKIE, sessionPrincipal } from '../auth/session-cookie.ts';

const notSignedIn = () => new ApiError(401, 'unauthorized', 'not signed in to the dashboard: no session cookie; sign in with POST /ui/session');

export function sessionRoutes(deps: AppDeps): Hono {
  const { db, config } = deps;
  const routes = new Hono();

  async function view(session: Pick<Session, 'token' | 'expiresAt' | 'principal'>): Promise<z.input<typeof sessionViewSchema>> {
    const { principal } = session;
    const app = principal.appId
      ? ((await db.selectFrom('apps').select(['id', 'slug', 'name']).where('id', '=', principal.appId).executeTakeFirst()) ?? null)
      : null;
    return {
      csrf_token: csrfTokenFor(session.token),
      expires_at: session.expiresAt.toISOString(),
      principal: { actor: principal.actor, scope: principal.scope, app },
      server: {
        storage: config.storage.driver,
        public_url: config.publicUrl,
        storage_public_url: config.storage.driver === 's3' ? (config.storage.publicBaseUrl ?? null) : null,
        action_reference: config.actionReference,
      },
    };
  }

  routes.post('/', async (c) => {
    // Sign-in CSRF (a foreign page signing the browser in as someone else) is refused like any other.
    assertSameOrigin(c, config);
    const body = await readJson(c, signInBodySchema);
    // The key is in the body, not in Authorization: its prefix's failed sign-ins are limited here.
    await checkPresentedKey(deps.rateLimits, c, body.key);
    const principal: Principal = await resolveApiKey(db, adminTokenHashOf(config), body.key);
    if (principal.scope !== 'admin') {
      throw new ApiError(403, 'forbidden', `the dashboard needs an admin-scoped API key; this key has scope "${principal.scope}" (it may only create releases and upload artifacts)`);
    }
    const now = Date.now();
    const expiresAt = new Date(now + SESSION_TTL_SECONDS * 1000);
    const { token, hash } = generateSessionToken();
    // Dead sessions go here rather than on a timer: sign-in is rare, and the expires_at index makes it cheap.
    await db.deleteFrom('ui_sessions').where('expires_at', '<=', new Date(now)).execute();
    await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('ui_sessions')
        .values({
          token_hash: hash,
          api_key_id: principal.keyId,
          admin_token_hash: principal.keyId ? null : hashApiKey(body.key),
          expires_at: expiresAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (principal.keyId) await trx.updateTable('api_keys').set({ last_used_at: new Date(now) }).where('id', '=', principal.keyId).execute();
      await audit(trx, principal, { action: 'session.create', appId: principal.appId, target: `ui_session:${row.id}`, details: { expires_at: expiresAt.toISOString() } });
    });
    setSessionCookie(c, token);
    c.header('Cache-Control', 'no-store');
    return c.json(await view({ token, expiresAt, principal }), 201);
  });

  routes.get('/', async (c) => {
    c.header('Cache-Control', 'no-store');
    let session: Awaited<ReturnType<typeof cookieSession>>;
    try {
      session = await cookieSession(db, config, c);
    } catch (error) {
      // A cookie naming an ended session (cookieSession has already cleared it): answer as for no cookie.
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      session = null;
    }
    if (!session) return c.body(null, 204);
    return c.json(await view(session));
  });

  routes.delete('/', async (c) => {
    const session = await cookieSession(db, config, c);
    if (!session) throw notSignedIn();
    const { principal } = session;
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('ui_sessions').where('id', '=', session.id).execute();
      await audit(trx, principal, { action: 'session.delete', appId: principal.appId, target: `ui_session:${session.id}` });
    });
    clearSessionCookie(c);
    c.header('Cache-Control', 'no-store');
    return c.body(null, 204);
  });

  return routes;
}

const cookieNote =
  'Signing in sets `tr_session` (HttpOnly, SameSite=Strict, Secure outside localhost, Max-Age 12 h). With it and no ' +
  'Authorization header, `/admin/*` and `/ci/apps/*` act as the key signed in with; every request other than ' +
  'GET/HEAD/OPTIONS must then send `X-CSRF-Token: <csrf_token>` and no foreign `Origin`, or gets 403 `csrf_failed`.';

export const sessionRouteDocs = defineRoutes([
  {
    method: 'post',
    path: '/',
    tag: 'Dashboard',
    summary: 'Sign in to the dashboard with an API key',
    description: `Exchanges an admin-scoped API key (or ADMIN_TOKEN) for a session cookie. ${cookieNote}`,
    auth: 'none',
    access: 'anyone holding an admin-scoped API key',
    body: signInBodySchema,
    responses: {
      201: {
        description: 'signed in; the session view',
        schema: sessionViewSchema,
        headers: { 'Set-Cookie': 'tr_session=…; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict (+ Secure)', 'Cache-Control': 'no-store' },
      },
      401: { description: 'unknown or revoked key' },
      403: { description: 'a `ci`-scoped key (the dashboard needs admin scope), or `csrf_failed`: a foreign Origin' },
    },
  },
  {
    method: 'get',
    path: '/',
    tag: 'Dashboard',
    summary: 'The current dashboard session',
    description: 'The same view sign-in returned, for the `tr_session` cookie; a reloaded page recovers its CSRF token here.',
    auth: 'session',
    access: 'a dashboard session',
    responses: {
      200: { description: 'the session view', schema: sessionViewSchema, headers: { 'Cache-Control': 'no-store' } },
      204: { description: 'not signed in (no cookie, or its session has ended: the cookie is cleared)' },
    },
  },
  {
    method: 'delete',
    path: '/',
    tag: 'Dashboard',
    summary: 'Sign out of the dashboard',
    description: 'Ends the session on every instance at once and clears the cookie. Needs `X-CSRF-Token`.',
    auth: 'session',
    access: 'a dashboard session',
    responses: {
      204: { description: 'signed out; `Set-Cookie` clears tr_session (Max-Age=0)' },
      403: { description: '`csrf_failed`: missing or wrong X-CSRF-Token, or a foreign Origin' },
    },
  },
]);
