/**
 * @module licensing/license-state
 * What `GET /license` tells an install about its license, and what its license file says (license-file.ts): the
 * expiry and cutoff, the newest release of a channel it may have, and what a renewal now would unlock, so an app
 * can say "Updates ended on 2027-03-01; renew to get 2.4.0" (the Tauri updater itself shows neither status nor body).
 * Read from the license index and the app's snapshot: no query.
 */
import { ApiError, notFound } from '../http/api-error.ts';
import { offeredOnChannels } from '../protocol/offer.ts';
import type { LicenseStateBody } from '../protocol/license-state.ts';
import { licensedEligibility } from '../update/licensed.ts';
import type { AppSnapshot, SnapshotRelease } from '../update/snapshot.ts';
import { type LicenseAllowance, licenseAccess } from './access.ts';
import type { LicenseState } from './index.ts';
import { addDays, renewedExpiry } from './policy.ts';

const iso = (date: Date | null) => date && date.toISOString();

/** The allowance now (the gate has let the license through, so it is one; a refusal is thrown as the gate would). */
export function currentAllowance(state: LicenseState, now: Date): LicenseAllowance {
  const access = licenseAccess(state.license, state.policy, now);
  if (!access.allowed) throw new ApiError(403, access.code, `the license is ${access.code.slice('license_'.length)}`);
  return access;
}

/** The newest release of the channel the allowance admits; null when none. */
export function newestEligible(snapshot: AppSnapshot, servesFrom: ReadonlySet<string>, allowance: LicenseAllowance): SnapshotRelease | null {
  const eligible = licensedEligibility(snapshot, servesFrom, allowance);
  return snapshot.releases.find((release) => offeredOnChannels(release, servesFrom) && eligible(release)) ?? null;
}

/** The channel's releases as `servesFrom`, or the check's 404 for a channel the app does not have. */
export function channelOf(snapshot: AppSnapshot, channel: string): ReadonlySet<string> {
  const servesFrom = snapshot.channels.get(channel);
  if (servesFrom === undefined) throw notFound(`app ${JSON.stringify(snapshot.app.slug)} has no channel ${JSON.stringify(channel)}`);
  return servesFrom;
}

export function licenseStateBody(snapshot: AppSnapshot, state: LicenseState, channel: string, now: Date): LicenseStateBody {
  const { license, policy } = state;
  const allowance = currentAllowance(state, now);
  const servesFrom = channelOf(snapshot, channel);
  const newest = newestEligible(snapshot, servesFrom, allowance);
  const renewedAt = renewedExpiry(license, policy, now);
  const renewed = renewedAt === null ? null : licenseAccess({ ...license, expiresAt: renewedAt }, policy, now);
  const afterRenewal = renewed?.allowed ? newestEligible(snapshot, servesFrom, renewed) : null;
  const latest = snapshot.releases.find((release) => offeredOnChannels(release, servesFrom)) ?? null;
  return {
    license_id: state.id,
    app: snapshot.app.slug,
    status: 'active',
    expiry_strategy: policy.expiryStrategy,
    expires_at: iso(allowance.expiresAt),
    expired: allowance.expired,
    grace_ends_at: policy.expiryStrategy === 'revoke' && allowance.expiresAt ? iso(addDays(allowance.expiresAt, policy.graceDays)) : null,
    cutoff: iso(allowance.cutoff),
    entitlements: [...allowance.entitlements].sort(),
    channel,
    newest_eligible_version: newest?.versionText ?? null,
    newest_version: latest?.versionText ?? null,
    renewal: {
      expires_at: iso(renewedAt),
      unlocks_version: afterRenewal !== null && afterRenewal !== newest ? afterRenewal.versionText : null,
    },
    machines: { used: state.machines.size, allowed: policy.maxMachines },
  };
}
