/**
 * @module ci/exchange
 * OIDC token → CI credential. Steps, each refusing with its own rule (refusal.ts):
 * 1. verify the token (verify.ts: issuer, header, signature, audience, times, claim presence);
 * 2. find the app's trusted publishers for the token's repository and pick the one whose checks pass
 *    (claims.ts); an unknown app looks the same as an app without a publisher for that repository;
 * 3. in one transaction: reserve the `jti` (a primary key, so of two concurrent exchanges of one token
 *    exactly one wins), store the credential, write the audit row.
 * Every refusal is written to the audit log with its rule; the token itself is never stored or logged.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database, TrustedPublisherRow } from '../../../db/schema.ts';
import { audit } from '../audit/audit.ts';
import type { Principal } from '../auth/authenticate.ts';
import { CI_CREDENTIAL_TTL_SECONDS, generateCiCredential, runActor } from './credential.ts';
import { type ActionsClaims, selectPublisher } from './oidc/claims.ts';
import { OidcRefusal, refuse } from './oidc/refusal.ts';
import { type ActionsVerifier, OIDC_LEEWAY_SECONDS, REPLAY_MARGIN_SECONDS } from './oidc/verify.ts';
import { candidatePublishers } from './publishers.ts';

export interface IssuedCredential {
  token: string;
  credentialId: string;
  expiresAt: Date;
  app: { id: string; slug: string };
  publisher: TrustedPublisherRow;
  claims: ActionsClaims;
}

/** Until when a `jti` is remembered: past the last moment the token could still verify. */
export function replayExpiry(exp: number): Date {
  return new Date((exp + OIDC_LEEWAY_SECONDS + REPLAY_MARGIN_SECONDS) * 1000);
}

/** What the audit log keeps of a verified token: the run's identity, never the token. */
function runDetails(claims: ActionsClaims): Record<string, unknown> {
  return {
    repository: claims.repository,
    repository_id: claims.repository_id,
    repository_owner_id: claims.repository_owner_id,
    run_id: claims.run_id,
    run_attempt: claims.run_attempt,
    sha: claims.sha,
    ref: claims.ref,
    event_name: claims.event_name,
    workflow_ref: claims.workflow_ref,
    job_workflow_ref: claims.job_workflow_ref,
    reusable_workflow: claims.job_workflow_ref !== claims.workflow_ref,
    environment: claims.environment ?? null,
    runner_environment: claims.runner_environment,
    actor: typeof claims.actor === 'string' ? claims.actor : null,
    jti: claims.jti,
  };
}

const principalFor = (claims: ActionsClaims | null, appId: string | null): Principal => ({
  actor: claims ? runActor(claims.repository, claims.run_id) : 'oidc:unverified',
  scope: 'ci',
  appId,
  keyId: null,
});

interface Progress {
  claims: ActionsClaims | null;
  unknownClaims: string[];
  appId: string | null;
  publisherId: string | null;
}

export async function exchangeOidcToken(
  db: Kysely<Database>,
  verifier: ActionsVerifier,
  request: { token: string; app: string },
  now: () => number = Date.now,
): Promise<IssuedCredential> {
  const progress: Progress = { claims: null, unknownClaims: [], appId: null, publisherId: null };
  try {
    const { claims, unknownClaims } = await verifier.verify(request.token);
    Object.assign(progress, { claims, unknownClaims });

    const app = await db.selectFrom('apps').select(['id', 'slug']).where('slug', '=', request.app).executeTakeFirst();
    progress.appId = app?.id ?? null;
    const publisher = selectPublisher(app ? await candidatePublishers(db, app.id, claims) : [], claims);
    progress.publisherId = publisher.id;

    // Forget what can no longer matter: jtis whose tokens can no longer verify, credentials past expiry.
    await db.deleteFrom('oidc_jti').where('expires_at', '<', sql<Date>`now()`).execute();
    await db.deleteFrom('ci_credentials').where('expires_at', '<', sql<Date>`now()`).execute();

    return await db.transaction().execute(async (trx) => {
      const reserved = await trx
        .insertInto('oidc_jti')
        .values({ jti: claims.jti, expires_at: replayExpiry(claims.exp) })
        .onConflict((oc) => oc.column('jti').doNothing())
        .returning('jti')
        .executeTakeFirst();
      if (!reserved) throw refuse('jti', 'this OIDC token was already exchanged; request a new token for each exchange');

      const secret = generateCiCredential();
      const expiresAt = new Date(now() + CI_CREDENTIAL_TTL_SECONDS * 1000);
      const credential = await trx
        .insertInto('ci_credentials')
        .values({
          token_hash: secret.hash,
          app_id: app!.id,
          publisher_id: publisher.id,
          repository: claims.repository,
          repository_id: claims.repository_id,
          run_id: claims.run_id,
          run_attempt: claims.run_attempt,
          sha: claims.sha,
          ref: claims.ref,
          event_name: claims.event_name,
          workflow_ref: claims.workflow_ref,
          job_workflow_ref: claims.job_workflow_ref,
          environment: claims.environment ?? null,
          can_publish: publisher.can_publish,
          jti: claims.jti,
          expires_at: expiresAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await audit(trx, principalFor(claims, app!.id), {
        action: 'ci.token.issue',
        appId: app!.id,
        target: `trusted_publisher:${publisher.id}`,
        details: {
          credential_id: credential.id,
          expires_at: expiresAt.toISOString(),
          can_publish: publisher.can_publish,
          ...runDetails(claims),
          ...(unknownClaims.length > 0 ? { unknown_claims: unknownClaims } : {}),
        },
      });
      return { token: secret.token, credentialId: credential.id, expiresAt, app: app!, publisher, claims };
    });
  } catch (error) {
    if (error instanceof OidcRefusal) {
      await audit(db, principalFor(progress.claims, progress.appId), {
        action: 'ci.token.refuse',
        appId: progress.appId,
        target: progress.publisherId ? `trusted_publisher:${progress.publisherId}` : null,
        details: {
          rule: error.rule,
          reason: error.reason,
          app: request.app,
          ...(progress.claims ? runDetails(progress.claims) : {}),
        },
      });
    }
    throw error;
  }
}
