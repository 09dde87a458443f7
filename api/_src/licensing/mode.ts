/**
 * @module licensing/mode
 * An app's licensing mode (store.ts re-exports these). Nothing may bypass a licensed app's gate, so switching to
 * `licensed`:
 * - needs SECRETS_KEY (license keys are digested under it): without it, 409 `secrets_key_missing` says what to set;
 * - refuses an app served from a public GitHub repository, whose release assets anyone can download (409);
 * - drops the app's snapshot and rewrites its static failover manifests, which deletes them for a licensed app
 *   (manifest/writer.ts), so no public `latest.json` offers its releases; `/{app}/latest.json` answers 404
 *   `app_licensed` from then on.
 */
import { sql } from 'kysely';
import { audit } from '../audit/audit.ts';
import { ApiError, conflict, notFound } from '../http/api-error.ts';
import type { StaticManifestWriter } from '../manifest/writer.ts';
import type { LicensingBody, LicensingMode } from '../protocol/licensing.ts';
import { auditActor, type LicensingActor, type LicensingDeps } from './store-context.ts';
import type { Db } from '../../../db/schema.ts';

export interface LicensingModeDeps extends LicensingDeps {
  /** Rewrites (for a licensed app: deletes) the app's static failover manifests. */
  readonly staticManifests: Pick<StaticManifestWriter, 'sync'>;
}

/** 409: the app's releases come from a public GitHub repository, whose assets anyone can download. */
export function publicRepositoryRefusal(repository: string): ApiError {
  return conflict(
    `a licensed app's releases must not be downloadable without a license, and ${repository} is a public GitHub repository ` +
      '(anyone can download its release assets): use a private repository (with a token), or storage uploads',
  );
}

async function counts(db: Db, appId: string): Promise<{ policies: number; licenses: number }> {
  const row = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('license_policies').select(sql<string>`count(*)`.as('n')).where('app_id', '=', appId).as('policies'),
      eb.selectFrom('licenses').select(sql<string>`count(*)`.as('n')).where('app_id', '=', appId).as('licenses'),
    ])
    .executeTakeFirstOrThrow();
  return { policies: Number(row.policies ?? 0), licenses: Number(row.licenses ?? 0) };
}

export async function getLicensing(deps: LicensingDeps, appId: string): Promise<LicensingBody> {
  const app = await deps.db.selectFrom('apps').select('licensing').where('id', '=', appId).executeTakeFirst();
  if (!app) throw notFound('app not found');
  return { mode: app.licensing, ...(await counts(deps.db, appId)), secrets_key: deps.licenses.index !== null };
}

/** Sets the mode; the same mode again changes nothing (and is not audited). */
export async function setLicensingMode(deps: LicensingModeDeps, actor: LicensingActor, appId: string, mode: LicensingMode): Promise<LicensingBody> {
  if (mode === 'licensed' && deps.licenses.index === null) {
    throw new ApiError(
      409,
      'secrets_key_missing',
      'a licensed app needs SECRETS_KEY (license keys are stored as digests under it): set SECRETS_KEY (openssl rand -base64 32) and restart, then switch',
    );
  }
  const changed = await deps.db.transaction().execute(async (trx) => {
    const app = await trx.selectFrom('apps').select(['id', 'slug', 'licensing']).where('id', '=', appId).forUpdate().executeTakeFirst();
    if (!app) throw notFound('app not found');
    if (mode === 'licensed') {
      const source = await trx.selectFrom('github_sources').select(['repository', 'token_sealed']).where('app_id', '=', appId).executeTakeFirst();
      if (source && source.token_sealed === null) throw publicRepositoryRefusal(source.repository);
    }
    if (app.licensing === mode) return null;
    await trx.updateTable('apps').set({ licensing: mode, updated_at: sql<Date>`now()` }).where('id', '=', appId).execute();
    await audit(trx, auditActor(actor), { action: 'app.licensing', appId, target: `app:${appId}`, details: { mode: { from: app.licensing, to: mode } } });
    return app.slug;
  });
  if (changed !== null) {
    deps.releaseCache.invalidate(appId);
    // Licensed: the failover files go; open again: they are written from the releases.
    await deps.staticManifests.sync(appId, changed);
  }
  return getLicensing(deps, appId);
}
