/**
 * @module licensing/store
 * The one way licenses change: plain functions (no HTTP) the admin routes, the CLI's routes and the payment
 * providers' webhooks call. Each mutation runs in one transaction that locks the license, raises its `revision`
 * and writes the audit entry with the actor the caller passes; after the commit the change reaches every
 * instance's LicenseIndex as store-context.ts describes. A key exists in plain text only in the answer that
 * created or rotated it; the database keeps its digest (license-key.ts).
 *
 * Policies are in policy-store.ts, the app's mode in mode.ts; both are re-exported here.
 */
import { sql } from 'kysely';
import type { LicenseStatus } from '../../../db/schema.ts';
import { audit } from '../audit/audit.ts';
import { isUuid } from '../protocol/uuid.ts';
import { ApiError, badRequest, conflict, notFound } from '../http/api-error.ts';
import type {
  CreateLicenseInput,
  LicenseActionBody,
  LicenseBody,
  LicenseDetailBody,
  LicenseListBody,
  ListLicensesQuery,
  MachineBody,
  RenewLicenseBody,
} from '../protocol/licensing.ts';
import { generateLicenseKey, LICENSE_KEY_PREFIX, parseLicenseKey } from './license-key.ts';
import { addDays, renewedExpiry } from './policy.ts';
import { auditActor, type LicensingActor, type LicensingDeps, licensesChanged, nowOf, requireDigester, type Trx } from './store-context.ts';
import type { AuditAction } from '../protocol/audit-actions.ts';
import type { Db } from '../../../db/schema.ts';
import { licenseOf, licenseRows, weighedReleases, policyOf, toLicenseBody, toMachineBody } from './views.ts';

export * from './store-context.ts';
export * from './policy-store.ts';
export * from './mode.ts';

/** What creating returns: `key` only when this call created the license (shown once, never stored). */
export interface CreatedLicense {
  readonly license: LicenseDetailBody;
  readonly key: string | null;
  readonly created: boolean;
}

export interface RotatedLicense {
  readonly license: LicenseDetailBody;
  readonly key: string;
}

const licenseNotFound = (id: string) => notFound(`license ${JSON.stringify(id.slice(0, 100))} not found in this app`);

/** The app's licenses matching the query, newest first, with how many match in all. */
export async function listLicenses(deps: LicensingDeps, appId: string, query: ListLicensesQuery): Promise<LicenseListBody> {
  let rows = licenseRows(deps.db, appId);
  if (query.status) rows = rows.where('l.status', '=', query.status);
  if (query.policy_id) rows = isUuid(query.policy_id) ? rows.where('l.policy_id', '=', query.policy_id) : rows.where(sql<boolean>`false`);
  if (query.q) rows = searchBy(deps, rows, query.q);
  const [page, total, releases] = await Promise.all([
    rows.orderBy('l.created_at', 'desc').orderBy('l.id').limit(query.limit).offset(query.offset).execute(),
    rows.clearSelect().select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow(),
    weighedReleases(deps.db, appId),
  ]);
  const now = nowOf(deps);
  return { licenses: page.map((row) => toLicenseBody(row, releases, now)), total: Number(total.n) };
}

/**
 * `q`: a whole key (found by its digest, so two keys sharing a prefix are told apart), a key prefix (`trl_` and up
 * to 4 more characters, case-insensitive), or else an exact external id.
 */
function searchBy(deps: LicensingDeps, rows: ReturnType<typeof licenseRows>, q: string): ReturnType<typeof licenseRows> {
  if (!q.toLowerCase().startsWith(LICENSE_KEY_PREFIX)) return rows.where('l.external_id', '=', q);
  const rest = q.slice(LICENSE_KEY_PREFIX.length).toUpperCase();
  const parsed = parseLicenseKey(LICENSE_KEY_PREFIX + rest);
  const index = deps.licenses.index;
  if (parsed.success && index) return rows.where('l.key_digest', 'in', index.digester.candidates(parsed.key).map((c) => c.digest));
  const prefix = LICENSE_KEY_PREFIX + rest.slice(0, 4);
  return rows.where((eb) => eb.or([eb('l.key_prefix', 'like', `${prefix.replace(/[%_\\]/g, '\\$&')}%`), eb('l.external_id', '=', q)]));
}

/** One license of the app with its machines; 404 when it is another app's or none. */
export async function getLicense(deps: LicensingDeps, appId: string, licenseId: string): Promise<LicenseDetailBody> {
  return detail(deps.db, deps, appId, licenseId);
}

/** The license a payment provider's id names, or null. */
export async function findLicenseByExternalId(deps: LicensingDeps, appId: string, source: string, externalId: string): Promise<LicenseDetailBody | null> {
  const row = await deps.db
    .selectFrom('licenses')
    .select('id')
    .where('app_id', '=', appId)
    .where('external_source', '=', source)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  return row ? detail(deps.db, deps, appId, row.id) : null;
}

async function detail(db: Db, deps: LicensingDeps, appId: string, licenseId: string): Promise<LicenseDetailBody> {
  if (!isUuid(licenseId)) throw licenseNotFound(licenseId);
  const [row, machines, releases] = await Promise.all([
    licenseRows(db, appId).where('l.id', '=', licenseId).executeTakeFirst(),
    db.selectFrom('license_machines').selectAll().where('license_id', '=', licenseId).orderBy(sql`deactivated_at is not null`).orderBy('last_seen_at', 'desc').execute(),
    weighedReleases(db, appId),
  ]);
  if (!row) throw licenseNotFound(licenseId);
  return { ...toLicenseBody(row, releases, nowOf(deps)), machines: machines.map(toMachineBody) };
}

/**
 * A new license with a fresh key, returned once. Idempotent by `(external_source, external_id)`: when the app
 * already has a license with that pair, it is returned unchanged, with `created: false` and no key.
 */
export async function createLicense(deps: LicensingDeps, actor: LicensingActor, appId: string, input: CreateLicenseInput): Promise<CreatedLicense> {
  const digester = requireDigester(deps);
  if (!isUuid(input.policy_id)) {
    // Most often a policy's name: say that a license names its policy by id, and where the ids are.
    throw badRequest(`policy_id ${JSON.stringify(input.policy_id.slice(0, 100))} is not a policy id: name the policy by its id (GET /admin/apps/{app}/licensing/policies lists them), not by its name`);
  }
  const key = generateLicenseKey();
  const { secretId, digest } = digester.digest(key);
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const policy = await trx
      .selectFrom('license_policies')
      .select(['id', 'name', 'duration_days', 'expiration_basis'])
      .where('app_id', '=', appId)
      .where('id', '=', input.policy_id)
      .executeTakeFirst();
    if (!policy) throw badRequest(`policy ${input.policy_id} not found in this app`);
    // Under the `created` basis the term is fixed now, on the caller's clock: a later change of the policy's
    // duration does not shorten or lengthen licenses already sold. `first_check` licenses start at their first check.
    const expiresAt = input.expires_at
      ? new Date(input.expires_at)
      : policy.expiration_basis === 'created' && policy.duration_days !== null
        ? addDays(nowOf(deps), policy.duration_days)
        : null;
    const inserted = await trx
      .insertInto('licenses')
      .values({
        app_id: appId,
        policy_id: policy.id,
        key_digest: digest,
        key_secret_id: secretId,
        key_prefix: key.prefix,
        expires_at: expiresAt,
        entitlements: JSON.stringify(input.entitlements),
        external_source: input.external_source ?? null,
        external_id: input.external_id ?? null,
      })
      .onConflict((oc) => oc.columns(['app_id', 'external_source', 'external_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const existing = await trx
        .selectFrom('licenses')
        .select('id')
        .where('app_id', '=', appId)
        .where('external_source', '=', input.external_source!)
        .where('external_id', '=', input.external_id!)
        .executeTakeFirstOrThrow();
      return { id: existing.id, created: false };
    }
    await audit(trx, auditActor(actor), {
      action: 'license.create',
      appId,
      target: `license:${inserted.id}`,
      details: {
        key_prefix: key.prefix,
        policy: { id: policy.id, name: policy.name },
        expires_at: expiresAt?.toISOString() ?? null,
        entitlements: input.entitlements,
        external_source: input.external_source ?? null,
        external_id: input.external_id ?? null,
      },
    });
    return { id: inserted.id, created: true };
  });
  return { license: await detail(deps.db, deps, appId, outcome.id), key: outcome.created ? key.reveal() : null, created: outcome.created };
}

/** Locks the license for the rest of the transaction; 404 when the app has no such license. */
async function lockLicense(trx: Trx, appId: string, licenseId: string) {
  if (!isUuid(licenseId)) throw licenseNotFound(licenseId);
  const row = await licenseRows(trx, appId).where('l.id', '=', licenseId).forUpdate(['l']).executeTakeFirst();
  if (!row) throw licenseNotFound(licenseId);
  return row;
}

/** Sets columns, raises the revision, writes the audit entry; then the instance forgets the license. */
async function mutate(
  deps: LicensingDeps,
  actor: LicensingActor,
  appId: string,
  licenseId: string,
  change: (row: Awaited<ReturnType<typeof lockLicense>>, trx: Trx) => Promise<{ action: AuditAction; details: Record<string, unknown> } | null>,
): Promise<LicenseDetailBody> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await lockLicense(trx, appId, licenseId);
    const entry = await change(row, trx);
    if (entry === null) return; // already in the state asked for: nothing changes, nothing is audited
    await trx.updateTable('licenses').set({ revision: sql<number>`revision + 1`, updated_at: sql<Date>`now()` }).where('id', '=', row.id).execute();
    await audit(trx, auditActor(actor), { action: entry.action, appId, target: `license:${row.id}`, details: { key_prefix: row.key_prefix, ...entry.details } });
  });
  licensesChanged(deps, [licenseId]);
  return detail(deps.db, deps, appId, licenseId);
}

/**
 * One more policy period: from the expiry, or from now when already expired (policy.ts `renewedExpiry`); or to
 * `input.expires_at`, which must be in the future (400 otherwise: a renewal never ends a license; suspend or revoke
 * does). A future date before the current expiry is taken, to correct a renewal given by mistake.
 * 409 for a revoked license or a perpetual policy with no date given.
 */
export function renewLicense(deps: LicensingDeps, actor: LicensingActor, appId: string, licenseId: string, input: RenewLicenseBody = {}): Promise<LicenseDetailBody> {
  return mutate(deps, actor, appId, licenseId, async (row, trx) => {
    if (row.status === 'revoked') throw conflict('a revoked license cannot be renewed; create a new one');
    const license = licenseOf(row);
    const policy = policyOf(row);
    const now = nowOf(deps);
    if (input.expires_at && new Date(input.expires_at).getTime() <= now.getTime()) {
      throw badRequest(`expires_at ${input.expires_at} is not in the future: a renewal cannot end a license; to stop its updates now, suspend (POST …/suspend) or revoke (POST …/revoke) it`);
    }
    const to = input.expires_at ? new Date(input.expires_at) : renewedExpiry(license, policy, now);
    if (to === null) throw conflict(`policy ${JSON.stringify(row.policy_name)} is perpetual: its licenses never expire, so there is nothing to renew`);
    await trx.updateTable('licenses').set({ expires_at: to }).where('id', '=', row.id).execute();
    return { action: 'license.renew', details: { expires_at: { from: row.expires_at?.toISOString() ?? null, to: to.toISOString() } } };
  });
}

type StatusChange = { to: LicenseStatus; action: AuditAction; from: readonly LicenseStatus[] };
const SUSPEND: StatusChange = { to: 'suspended', action: 'license.suspend', from: ['active'] };
const REINSTATE: StatusChange = { to: 'active', action: 'license.reinstate', from: ['suspended'] };
const REVOKE: StatusChange = { to: 'revoked', action: 'license.revoke', from: ['active', 'suspended'] };

function changeStatus(deps: LicensingDeps, actor: LicensingActor, appId: string, licenseId: string, change: StatusChange, input: LicenseActionBody) {
  return mutate(deps, actor, appId, licenseId, async (row, trx) => {
    if (row.status === change.to) return null;
    if (!change.from.includes(row.status)) {
      throw conflict(`the license is ${row.status}${row.status === 'revoked' ? ', which is final; create a new license instead' : ''}`);
    }
    await trx.updateTable('licenses').set({ status: change.to }).where('id', '=', row.id).execute();
    return { action: change.action, details: { status: { from: row.status, to: change.to }, reason: input.reason ?? null } };
  });
}

/** Checks and downloads refuse it (403 `license_suspended`) until reinstated. Suspending a suspended license changes nothing. */
export function suspendLicense(deps: LicensingDeps, actor: LicensingActor, appId: string, licenseId: string, input: LicenseActionBody = {}): Promise<LicenseDetailBody> {
  return changeStatus(deps, actor, appId, licenseId, SUSPEND, input);
}

/** A suspended license becomes active again; 409 for a revoked one (revocation is final). */
export function reinstateLicense(deps: LicensingDeps, actor: LicensingActor, appId: string, licenseId: string, input: LicenseActionBody = {}): Promise<LicenseDetailBody> {
  return changeStatus(deps, actor, appId, licenseId, REINSTATE, input);
}

/** Final: 403 `license_revoked` from now on. Revoking a revoked license changes nothing (a refund's retry is harmless). */
export function revokeLicense(deps: LicensingDeps, actor: LicensingActor, appId: string, licenseId: string, input: LicenseActionBody = {}): Promise<LicenseDetailBody> {
  return changeStatus(deps, actor, appId, licenseId, REVOKE, input);
}

/** A new key for the license, returned once; the old key stops working (on other instances within their TTL). */
export async function rotateLicenseKey(deps: LicensingDeps, actor: LicensingActor, appId: string, licenseId: string): Promise<RotatedLicense> {
  const digester = requireDigester(deps);
  const key = generateLicenseKey();
  const { secretId, digest } = digester.digest(key);
  const license = await mutate(deps, actor, appId, licenseId, async (row, trx) => {
    if (row.status === 'revoked') throw conflict('the license is revoked, which is final; create a new license instead');
    await trx.updateTable('licenses').set({ key_digest: digest, key_secret_id: secretId, key_prefix: key.prefix }).where('id', '=', row.id).execute();
    return { action: 'license.rotate_key', details: { key_prefix: { from: row.key_prefix, to: key.prefix } } };
  });
  return { license, key: key.reveal() };
}

/** The license's installs, active first. */
export async function listMachines(deps: LicensingDeps, appId: string, licenseId: string): Promise<MachineBody[]> {
  return (await detail(deps.db, deps, appId, licenseId)).machines;
}

/** Stops counting an install: it frees its place, and takes one again on its next check (if there is room). */
export async function deactivateMachine(deps: LicensingDeps, actor: LicensingActor, appId: string, licenseId: string, machineId: string): Promise<MachineBody> {
  if (!isUuid(machineId)) throw notFound(`machine ${JSON.stringify(machineId.slice(0, 100))} not found`);
  const license = await mutate(deps, actor, appId, licenseId, async (row, trx) => {
    const machine = await trx.selectFrom('license_machines').selectAll().where('id', '=', machineId).where('license_id', '=', row.id).forUpdate().executeTakeFirst();
    if (!machine) throw notFound(`machine ${machineId} not found on this license`);
    if (machine.deactivated_at !== null) return null;
    await trx.updateTable('license_machines').set({ deactivated_at: nowOf(deps) }).where('id', '=', machine.id).execute();
    return { action: 'license.machine_deactivate', details: { machine: machine.id } };
  });
  const machine = license.machines.find((m) => m.id === machineId);
  if (!machine) throw new ApiError(404, 'not_found', `machine ${machineId} not found on this license`);
  return machine;
}
