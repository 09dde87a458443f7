/**
 * @module licensing/release-entitlements
 * What a release or a channel asks of a license (eligibility.ts):
 * - a release's entitlement date: its first publication, which nothing moves, unless an admin back-dates it (a
 *   patch meant for fallback customers whose cutoff falls before it was published). A back-date is never later
 *   than the first publication (the database checks it too), and a never-published release has none;
 * - the entitlements a release requires (all of them);
 * - the one entitlement a channel requires (e.g. `beta` for the beta channel).
 * Each change is audited, and drops the app's snapshot so the check uses it at once on this instance.
 */
import type { AppRow } from '../../../db/schema.ts';
import { audit } from '../audit/audit.ts';
import { badRequest, conflict } from '../http/api-error.ts';
import { RELEASE_CHANNEL_PATTERN, RELEASE_CHANNEL_RULE } from '../protocol/channels.ts';
import type { ChannelEntitlementBody, ChannelEntitlementView, ReleaseEntitlementBody, ReleaseEntitlementView } from '../protocol/licensing.ts';
import { findRelease } from '../releases/store.ts';
import { auditActor, type LicensingActor, type LicensingDeps } from './store-context.ts';

export async function setReleaseEntitlement(
  deps: LicensingDeps,
  actor: LicensingActor,
  app: AppRow,
  idOrVersion: string,
  body: ReleaseEntitlementBody,
): Promise<ReleaseEntitlementView> {
  const row = await deps.db.transaction().execute(async (trx) => {
    const release = await findRelease(trx, app, idOrVersion, true);
    const changes: { entitlement_date?: Date | null; required_entitlements?: string } = {};
    if (body.entitlement_date !== undefined) {
      const date = body.entitlement_date === null ? null : new Date(body.entitlement_date);
      if (date !== null) {
        if (release.first_published_at === null) {
          throw conflict(`release ${release.version} was never published, so it has no date to back-date; publish it first`);
        }
        if (date.getTime() > release.first_published_at.getTime()) {
          throw badRequest(
            `entitlement_date ${date.toISOString()} is after the release's first publication (${release.first_published_at.toISOString()}); a back-date can only be earlier`,
          );
        }
      }
      changes.entitlement_date = date;
    }
    if (body.required_entitlements !== undefined) changes.required_entitlements = JSON.stringify(body.required_entitlements);
    const updated = await trx.updateTable('releases').set({ ...changes, updated_at: new Date() }).where('id', '=', release.id).returningAll().executeTakeFirstOrThrow();
    await audit(trx, auditActor(actor), {
      action: 'release.entitlement',
      appId: app.id,
      target: `release:${release.id}`,
      details: {
        version: release.version,
        ...(body.entitlement_date !== undefined && {
          entitlement_date: { from: release.entitlement_date?.toISOString() ?? null, to: updated.entitlement_date?.toISOString() ?? null },
        }),
        ...(body.required_entitlements !== undefined && { required_entitlements: { from: release.required_entitlements, to: updated.required_entitlements } }),
      },
    });
    return updated;
  });
  deps.releaseCache.invalidate(app.id);
  return releaseEntitlementView(row);
}

export function releaseEntitlementView(row: {
  id: string;
  version: string;
  first_published_at: Date | null;
  entitlement_date: Date | null;
  required_entitlements: string[];
}): ReleaseEntitlementView {
  return {
    release_id: row.id,
    version: row.version,
    first_published_at: row.first_published_at?.toISOString() ?? null,
    entitlement_date: row.entitlement_date?.toISOString() ?? null,
    required_entitlements: row.required_entitlements,
  };
}

/** Sets (or with null, clears) what a channel requires; a channel not configured yet is stored following nothing, as before. */
export async function setChannelEntitlement(
  deps: LicensingDeps,
  actor: LicensingActor,
  appId: string,
  channel: string,
  body: ChannelEntitlementBody,
): Promise<ChannelEntitlementView> {
  if (!RELEASE_CHANNEL_PATTERN.test(channel)) throw badRequest(`channel ${JSON.stringify(channel.slice(0, 100))} ${RELEASE_CHANNEL_RULE}`);
  await deps.db.transaction().execute(async (trx) => {
    // The same lock the channel configuration's PUT takes (admin/channels.ts): the two never interleave.
    await trx.selectFrom('apps').select('id').where('id', '=', appId).forUpdate().executeTakeFirstOrThrow();
    const before = await trx.selectFrom('release_channels').select('required_entitlement').where('app_id', '=', appId).where('name', '=', channel).executeTakeFirst();
    await trx
      .insertInto('release_channels')
      .values({ app_id: appId, name: channel, follows: null, required_entitlement: body.required_entitlement })
      .onConflict((oc) => oc.columns(['app_id', 'name']).doUpdateSet({ required_entitlement: body.required_entitlement }))
      .execute();
    await audit(trx, auditActor(actor), {
      action: 'channel.entitlement',
      appId,
      target: `channel:${channel}`,
      details: { channel, required_entitlement: { from: before?.required_entitlement ?? null, to: body.required_entitlement } },
    });
  });
  deps.releaseCache.invalidate(appId);
  return { channel, required_entitlement: body.required_entitlement };
}
