/**
 * @module ci/credential
 * What `POST /ci/token` hands out: a credential for one app and one workflow run, valid 15 minutes, so
 * a run can make many calls with its single-use OIDC token.
 *
 * Opaque and stored (SHA-256 only, like API keys) rather than a server-signed JWT, because:
 * - there is no signing secret to configure, rotate or leak; instances already share the database;
 * - it can be revoked before it expires: deleting the trusted publisher deletes its credentials
 *   (`on delete cascade`), and lowering the publisher's `can_publish` takes effect on the next call;
 * - checking it costs one indexed lookup, the same as an API key.
 * The `trci_` prefix lets secret scanners recognise a leaked one.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import { type AdminEnv, apiKeyAuth, bearerToken, type Principal } from '../auth/authenticate.ts';
import type { Config } from '../config.ts';
import { ApiError } from '../http/errors.ts';

export const CI_CREDENTIAL_PREFIX = 'trci_';
export const CI_CREDENTIAL_TTL_SECONDS = 15 * 60;

/** The workflow run a credential speaks for, as the OIDC token described it. */
export interface CiRun {
  credentialId: string;
  publisherId: string;
  repository: string;
  repositoryId: string;
  runId: string;
  runAttempt: string;
  sha: string;
  ref: string;
  eventName: string;
  workflowRef: string;
  jobWorkflowRef: string;
  environment: string | null;
  /** false: drafts only. The publisher's current setting and the one at exchange time must both allow it. */
  canPublish: boolean;
  expiresAt: Date;
}

/** A `Principal` (scope `ci`, one app) that also carries its run. */
export interface CiPrincipal extends Principal {
  scope: 'ci';
  appId: string;
  keyId: null;
  run: CiRun;
}

/** Audit actor for a run: `oidc:<owner/repo>@<run_id>`. */
export const runActor = (repository: string, runId: string): string => `oidc:${repository}@${runId}`;

export function hashCiCredential(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateCiCredential(): { token: string; hash: string } {
  const token = CI_CREDENTIAL_PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashCiCredential(token) };
}

const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message);

/** Resolves a `trci_` credential to its principal; 401 when unknown, revoked (publisher deleted) or expired. */
export async function resolveCiCredential(db: Kysely<Database>, token: string, now: () => number = Date.now): Promise<CiPrincipal> {
  const row = await db
    .selectFrom('ci_credentials as c')
    .innerJoin('trusted_publishers as p', 'p.id', 'c.publisher_id')
    .selectAll('c')
    .select('p.can_publish as publisher_can_publish')
    .where('c.token_hash', '=', hashCiCredential(token))
    .executeTakeFirst();
  if (!row) throw unauthorized('unknown CI credential (its trusted publisher may have been removed); exchange a fresh OIDC token at POST /ci/token');
  const expiresAt = new Date(row.expires_at);
  if (expiresAt.getTime() <= now()) {
    throw unauthorized(`this CI credential expired at ${expiresAt.toISOString()}; exchange a fresh OIDC token at POST /ci/token`);
  }
  return {
    actor: runActor(row.repository, row.run_id),
    scope: 'ci',
    appId: row.app_id,
    keyId: null,
    run: {
      credentialId: row.id,
      publisherId: row.publisher_id,
      repository: row.repository,
      repositoryId: row.repository_id,
      runId: row.run_id,
      runAttempt: row.run_attempt,
      sha: row.sha,
      ref: row.ref,
      eventName: row.event_name,
      workflowRef: row.workflow_ref,
      jobWorkflowRef: row.job_workflow_ref,
      environment: row.environment,
      canPublish: row.can_publish && row.publisher_can_publish,
      expiresAt,
    },
  };
}

/** The run behind a principal, or null for an API key or `ADMIN_TOKEN`. */
export function ciRunOf(principal: Principal): CiRun | null {
  return (principal as Partial<CiPrincipal>).run ?? null;
}

/** For publishing routes: a credential from a drafts-only trusted publisher may not publish. */
export function requirePublishRight(principal: Principal): void {
  const run = ciRunOf(principal);
  if (run && !run.canPublish) {
    throw new ApiError(403, 'forbidden', 'this CI credential comes from a trusted publisher that may create drafts only (can_publish is false)');
  }
}

/**
 * Authentication for the CI API: `Authorization: Bearer` with either an exchanged `trci_` credential or an
 * API key (`apiKeyAuth`: a static CI key, or an admin key). Routes then check scope and app with
 * `principal.scope` / `findAppFor`, which work the same for both. Without an Authorization header,
 * `apiKeyAuth` takes the dashboard's session cookie (with its CSRF check), so the dashboard can use the
 * presigned upload routes.
 */
export function ciAuth(db: Kysely<Database>, config: Readonly<Config>, now: () => number = Date.now): MiddlewareHandler<AdminEnv> {
  const keys = apiKeyAuth(db, config);
  return async function ciAuth(c, next) {
    const header = c.req.header('authorization');
    if (header === undefined) return keys(c, next);
    const token = bearerToken(header);
    if (!token.startsWith(CI_CREDENTIAL_PREFIX)) return keys(c, next);
    c.set('principal', await resolveCiCredential(db, token, now));
    return next();
  };
}
