/**
 * @module licensing/policy-store
 * An app's license policies: create, change, delete (store.ts re-exports these). A change applies to every license
 * of the policy at once, so it raises their revisions and they reach every instance's index as a license change
 * does (store-context.ts). A policy that licenses still use cannot be deleted.
 */
import { sql } from 'kysely';
import type { LicensePolicyRow } from '../../../db/schema.ts';
import { audit } from '../audit/audit.ts';
import { isUuid } from '../protocol/uuid.ts';
import { conflict, notFound } from '../http/api-error.ts';
import type { CreatePolicyInput, PolicyBody, UpdatePolicyBody } from '../protocol/licensing.ts';
import { auditActor, type LicensingActor, type LicensingDeps, licensesChanged, type Trx } from './store-context.ts';
import type { Db } from '../../../db/schema.ts';
import { toPolicyBody } from './views.ts';

const policyNotFound = (id: string) => notFound(`policy ${JSON.stringify(id.slice(0, 100))} not found in this app`);
const nameTaken = (name: string) => conflict(`the app already has a policy named ${JSON.stringify(name)}; policy names are unique per app`);

async function licenseCounts(db: Db, appId: string): Promise<Map<string, number>> {
  const rows = await db.selectFrom('licenses').select(['policy_id', sql<string>`count(*)`.as('n')]).where('app_id', '=', appId).groupBy('policy_id').execute();
  return new Map(rows.map((row) => [row.policy_id, Number(row.n)]));
}

export async function listPolicies(deps: LicensingDeps, appId: string): Promise<PolicyBody[]> {
  const [rows, counts] = await Promise.all([
    deps.db.selectFrom('license_policies').selectAll().where('app_id', '=', appId).orderBy('name').execute(),
    licenseCounts(deps.db, appId),
  ]);
  return rows.map((row) => toPolicyBody(row, counts.get(row.id) ?? 0));
}

export async function getPolicy(deps: LicensingDeps, appId: string, policyId: string): Promise<PolicyBody> {
  const row = await findPolicy(deps.db, appId, policyId);
  return toPolicyBody(row, (await licenseCounts(deps.db, appId)).get(row.id) ?? 0);
}

async function findPolicy(db: Db, appId: string, policyId: string, forUpdate = false): Promise<LicensePolicyRow> {
  if (!isUuid(policyId)) throw policyNotFound(policyId);
  const row = await db
    .selectFrom('license_policies')
    .selectAll()
    .where('app_id', '=', appId)
    .where('id', '=', policyId)
    .$if(forUpdate, (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (!row) throw policyNotFound(policyId);
  return row;
}

/** 409 when the app has a policy of that name. */
export async function createPolicy(deps: LicensingDeps, actor: LicensingActor, appId: string, input: CreatePolicyInput): Promise<PolicyBody> {
  const row = await deps.db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('license_policies')
      .values({ app_id: appId, ...input, entitlements: JSON.stringify(input.entitlements) })
      .onConflict((oc) => oc.constraint('license_policies_app_name_unique').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) throw nameTaken(input.name);
    await audit(trx, auditActor(actor), { action: 'license_policy.create', appId, target: `license_policy:${inserted.id}`, details: { ...input } });
    return inserted;
  });
  return toPolicyBody(row, 0);
}

/** Changes the policy and, through it, every license of it (their revisions rise, caches drop them). */
export async function updatePolicy(deps: LicensingDeps, actor: LicensingActor, appId: string, policyId: string, input: UpdatePolicyBody): Promise<PolicyBody> {
  const { row, licenseIds } = await deps.db.transaction().execute(async (trx: Trx) => {
    const before = await findPolicy(trx, appId, policyId, true);
    if (input.name !== undefined && input.name !== before.name) {
      const taken = await trx.selectFrom('license_policies').select('id').where('app_id', '=', appId).where('name', '=', input.name).executeTakeFirst();
      if (taken) throw nameTaken(input.name);
    }
    const { entitlements, ...rest } = input;
    const updated = await trx
      .updateTable('license_policies')
      .set({ ...rest, ...(entitlements !== undefined && { entitlements: JSON.stringify(entitlements) }), updated_at: sql<Date>`now()` })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const licenses = await trx
      .updateTable('licenses')
      .set({ revision: sql<number>`revision + 1`, updated_at: sql<Date>`now()` })
      .where('app_id', '=', appId)
      .where('policy_id', '=', before.id)
      .returning('id')
      .execute();
    const changes = Object.fromEntries(
      Object.keys(input).map((field) => [field, { from: before[field as keyof LicensePolicyRow], to: updated[field as keyof LicensePolicyRow] }]),
    );
    await audit(trx, auditActor(actor), {
      action: 'license_policy.update',
      appId,
      target: `license_policy:${before.id}`,
      details: { changes, licenses_affected: licenses.length },
    });
    return { row: updated, licenseIds: licenses.map((l) => l.id) };
  });
  licensesChanged(deps, licenseIds);
  return toPolicyBody(row, licenseIds.length);
}

/** 409 while any license (of any status) uses the policy: revoke or move them first. */
export async function deletePolicy(deps: LicensingDeps, actor: LicensingActor, appId: string, policyId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const policy = await findPolicy(trx, appId, policyId, true);
    const used = await trx.selectFrom('licenses').select(sql<string>`count(*)`.as('n')).where('app_id', '=', appId).where('policy_id', '=', policy.id).executeTakeFirstOrThrow();
    if (Number(used.n) > 0) throw conflict(`policy ${JSON.stringify(policy.name)} has ${used.n} license(s); a policy in use cannot be deleted`);
    await trx.deleteFrom('license_policies').where('id', '=', policy.id).execute();
    await audit(trx, auditActor(actor), { action: 'license_policy.delete', appId, target: `license_policy:${policy.id}`, details: { name: policy.name } });
  });
}
