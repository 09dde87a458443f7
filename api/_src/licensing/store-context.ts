/**
 * @module licensing/store-context
 * What the licensing store's functions (store.ts) are handed and how they finish a change: who acts (written to
 * the audit log), the database, and the caches a change must reach. A change reaches caches the way release
 * changes do (update/cache.ts): after the commit this instance drops what it holds at once (`LicenseIndex.forget`,
 * `ReleaseCache.invalidate`), and every other instance reloads the license within `UPDATE_CACHE_TTL_SECONDS`,
 * when its index refreshes it by id (the raised `revision` says it is newer; a rotated key's old digest finds
 * nothing and becomes unknown).
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import type { Principal } from '../auth/principal.ts';
import { ApiError } from '../http/api-error.ts';
import type { ReleaseCache } from '../update/cache.ts';
import type { LicenseGate } from './gate.ts';
import type { LicenseKeyDigester } from './license-key.ts';

/**
 * Who makes a change: an admin principal (API key, ADMIN_TOKEN or a dashboard session), `'system'`, or an
 * integration such as a payment provider's webhook (`{ kind: 'integration', id }`, audited as `integration:<id>`).
 */
export type LicensingActor = Pick<Principal, 'actor'> | 'system' | { readonly kind: 'integration'; readonly id: string };

/** `AppDeps` satisfies it; tests and the billing webhooks may pass their own clock in `now`. */
export interface LicensingDeps {
  readonly db: Kysely<Database>;
  /** Its index digests new keys (null without SECRETS_KEY) and forgets changed licenses. */
  readonly licenses: Pick<LicenseGate, 'index'>;
  /** A change of an app's mode, policies or releases drops the app's snapshot here. */
  readonly releaseCache: Pick<ReleaseCache, 'invalidate'>;
  /** Milliseconds clock (expiry, renewal, `eligible_up_to`); default Date.now. */
  readonly now?: () => number;
}

export type Trx = Transaction<Database>;

export function auditActor(actor: LicensingActor): Pick<Principal, 'actor'> | 'system' {
  if (actor === 'system' || 'actor' in actor) return actor;
  return { actor: `integration:${actor.id}` };
}

export function nowOf(deps: LicensingDeps): Date {
  return new Date((deps.now ?? Date.now)());
}

/** The digester of the server's SECRETS_KEY; a 409 saying what to set when there is none. */
export function requireDigester(deps: LicensingDeps): LicenseKeyDigester {
  const index = deps.licenses.index;
  if (index) return index.digester;
  throw new ApiError(409, 'secrets_key_missing', 'licenses need SECRETS_KEY, which this server does not have: set SECRETS_KEY (openssl rand -base64 32) and restart');
}

/** After a commit: this instance drops the licenses at once; other instances within their TTL. */
export function licensesChanged(deps: LicensingDeps, licenseIds: readonly string[]): void {
  const index = deps.licenses.index;
  for (const id of licenseIds) index?.forget(id);
}
