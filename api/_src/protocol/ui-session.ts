/**
 * @module ui-session
 * Wire types of the dashboard's sign-in (`/ui/session`), shared by the control plane (api/_src/ui/session.ts) and
 * the dashboard's browser code. No Node imports here: the client bundle includes this module.
 *
 *   POST   /ui/session   {"key"}  → 201 session view + `Set-Cookie: tr_session=…; HttpOnly; SameSite=Strict`
 *   GET    /ui/session            → 200 session view for the cookie (recovers the CSRF token after a reload),
 *                                    or 204 when not signed in
 *   DELETE /ui/session            → 204, cookie cleared (needs the CSRF header)
 *
 * Every cookie-authenticated request other than GET/HEAD/OPTIONS, to `/ui/session`, `/admin/*` or `/ci/apps/*`,
 * must send `X-CSRF-Token: <csrf_token>`, and must not carry an `Origin` other than the server's own.
 */
import * as z from 'zod';
import { API_KEY_SCOPES } from '../../../db/schema.ts';

/** The session cookie's name; the cookie is HttpOnly, so only the server reads it. */
export const SESSION_COOKIE = 'tr_session';
/** Request header carrying the session view's `csrf_token` on every unsafe cookie-authenticated request. */
export const CSRF_HEADER = 'x-csrf-token';
/** How long a session lasts from sign-in (12 hours); not extended by use. */
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

export const signInBodySchema = z.strictObject({
  key: z
    .string()
    .min(1)
    .max(512)
    .meta({ description: 'an admin-scoped API key (`trk_…`) or the server\'s ADMIN_TOKEN; exchanged for the cookie, never stored' }),
});
export type SignInBody = z.infer<typeof signInBodySchema>;

export const sessionViewSchema = z.object({
  csrf_token: z.string().meta({ description: `send as the \`${CSRF_HEADER}\` header on every cookie-authenticated request that is not GET/HEAD/OPTIONS` }),
  expires_at: z.string().meta({ format: 'date-time', description: 'when the session ends; sign in again after it' }),
  principal: z.object({
    actor: z.string().meta({ description: 'as written to the audit log: `key:<id>` or `token:ADMIN_TOKEN`' }),
    scope: z.enum(API_KEY_SCOPES),
    app: z
      .object({ id: z.string(), slug: z.string(), name: z.string() })
      .nullable()
      .meta({ description: 'the one app a scoped key may see; null: every app' }),
  }),
  server: z.object({
    storage: z.enum(['fs', 's3']).meta({ description: 'fs: stream uploads through the server; s3: upload straight to the presigned URLs' }),
    public_url: z.string().meta({ description: 'the URL installed apps reach this server at (PUBLIC_URL)' }),
    storage_public_url: z
      .string()
      .nullable()
      .meta({ description: 'the bucket\'s public base URL (S3_PUBLIC_BASE_URL), where the static latest.json failover is served from; null when there is none' }),
    action_reference: z
      .string()
      .nullable()
      .meta({ description: 'what a workflow writes after `uses:` for the release action, e.g. my-company/tauri-release@v1 (ACTION_REPOSITORY); null when the server does not know it' }),
  }),
});
export type SessionView = z.infer<typeof sessionViewSchema>;
