/**
 * @module ci/routes
 * The CI API, mounted at `/ci`:
 *
 *   POST /ci/token   GitHub Actions OIDC token (Authorization: Bearer) + {"app": "<slug>"}
 *                    → {token, expires_at, app, can_publish, …}: a 15-minute credential for that app and run
 *   /ci/apps/:app/releases/…   create/reuse a draft, upload, complete, publish (releases.ts), behind `ciAuth`
 *   PUT /ci/uploads/:upload    the upload target when storage is the filesystem (uploads.ts); its URL's token
 *                              is its only authorisation, like a presigned URL
 *
 * Calls after the exchange authenticate with `ciAuth` (credential.ts), which accepts the credential or an
 * API key. Trusted publishing is off (404) until `OIDC_AUDIENCE` is set; static API keys work regardless.
 */
import { Hono } from 'hono';
import type * as z from 'zod';
import { readJson } from '../http/request.ts';
import type { AppDeps } from '../deps.ts';
import { defineRoutes } from '../docs/registry.ts';
import { ApiError } from '../http/errors.ts';
import { exchangeBodySchema, exchangeResponseSchema } from '../protocol/ci.ts';
import { ciAuth, CI_CREDENTIAL_TTL_SECONDS } from './credential.ts';
import { ciReleaseRouteDocs } from './release-docs.ts';
import { ciReleaseRoutes } from './releases.ts';
import { exchangeOidcToken } from './exchange.ts';
import { DEFAULT_UPLOAD_LIMITS, receiveFsUpload, type UploadLimits } from './uploads.ts';
import { type ActionsVerifier, createActionsVerifier } from './oidc/verify.ts';

export interface CiRouteOptions {
  /** Tests pass a verifier with their own clock; otherwise one is built from `config.oidc`. */
  verifier?: ActionsVerifier;
  now?: () => number;
  /** Tests lower the multipart threshold and part size, or shorten URL lifetimes. */
  uploadLimits?: Partial<UploadLimits>;
}

/** The token from `Authorization: Bearer <token>`, or '' (which the verifier refuses, rule "token"). */
function bearerOrEmpty(header: string | undefined): string {
  return /^Bearer[ \t]+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
}

export function ciRoutes(deps: AppDeps, options: CiRouteOptions = {}): Hono {
  const { issuer, audience } = deps.config.oidc;
  const verifier = options.verifier ?? (audience ? createActionsVerifier({ issuer, audience }) : null);
  const now = options.now ?? Date.now;
  const ci = new Hono();
  const limits: UploadLimits = { ...DEFAULT_UPLOAD_LIMITS, ...options.uploadLimits };

  ci.put('/uploads/:upload', (c) => receiveFsUpload(c, deps.db, deps.storage, now));
  ci.use('/apps/*', ciAuth(deps.db, deps.config, now));
  ci.route('/apps/:app/releases', ciReleaseRoutes(deps, { now, limits }));

  ci.post('/token', async (c) => {
    if (!verifier) {
      throw new ApiError(404, 'not_found', 'trusted publishing is not enabled on this server (its administrator has not set OIDC_AUDIENCE)');
    }
    const body = await readJson(c, exchangeBodySchema);
    const issued = await exchangeOidcToken(deps.db, verifier, { token: bearerOrEmpty(c.req.header('authorization')), app: body.app }, now);
    c.header('Cache-Control', 'no-store');
    return c.json({
      token: issued.token,
      token_type: 'Bearer',
      expires_at: issued.expiresAt.toISOString(),
      expires_in: CI_CREDENTIAL_TTL_SECONDS,
      app: issued.app.slug,
      can_publish: issued.publisher.can_publish,
      publisher_id: issued.publisher.id,
      repository: issued.claims.repository,
      run_id: issued.claims.run_id,
      run_attempt: issued.claims.run_attempt,
    } satisfies z.input<typeof exchangeResponseSchema>);
  });

  return ci;
}

export const ciRouteDocs = defineRoutes([
  {
    method: 'post',
    path: '/token',
    tag: 'CI',
    summary: 'Exchange a GitHub Actions OIDC token for a CI credential',
    description:
      'Send the job\'s OIDC token (requested with the audience this server is configured with, `OIDC_AUDIENCE`) as ' +
      '`Authorization: Bearer <token>`. One of the app\'s trusted publishers must accept the run. Each OIDC token ' +
      'can be exchanged once; the credential lasts 15 minutes and is limited to the app and the run. A refusal ' +
      'names the rule that failed: `OIDC token refused by rule "<rule>": …`.',
    auth: 'none',
    access: 'a GitHub Actions job with `permissions: id-token: write`',
    body: exchangeBodySchema,
    responses: {
      200: { description: 'the credential', schema: exchangeResponseSchema, headers: { 'Cache-Control': 'no-store' } },
      401: { description: 'the token is missing, malformed, not ours, expired, or already exchanged' },
      403: { description: 'no trusted publisher of the app accepts the run (repository, ids, workflow, event, runner, ref, environment)' },
      404: { description: 'trusted publishing is not enabled on this server' },
      503: { description: 'the OIDC issuer\'s keys could not be fetched' },
    },
  },
  ...ciReleaseRouteDocs,
]);
