/**
 * @module licensing/views
 * Licenses and policies as the admin API shows them (protocol/licensing.ts): rows read with their policy and
 * machine count, and each license's `eligible_up_to`, the newest version it may install today. That is decided
 * by the same rules as the update check (access.ts, eligibility.ts) over the app's offered releases (published,
 * with a verified artifact, not a pre-release filed under stable; protocol/offer.ts), with the patch line dated
 * by withdrawn releases too, as the check dates it (update/withdrawn.ts).
 */
import { sql } from 'kysely';
import type { Db, LicenseMachineRow, LicensePolicyRow, LicenseRow } from '../../../db/schema.ts';
import type { LicenseBody, MachineBody, PolicyBody } from '../protocol/licensing.ts';
import { neverOffered, OFFERED_STATUS } from '../protocol/offer.ts';
import { compareVersions, isPrerelease, safeParseVersion, type Version } from '../protocol/semver.ts';
import { licenseAccess } from './access.ts';
import { eligibleReleases, type ReleaseEntitlement } from './eligibility.ts';
import { type License, type LicensePolicy, licenseExpiry } from './policy.ts';


/** What `policyOf` reads of `license_policies as p` when it is joined to a license. */
export const JOINED_POLICY_COLUMNS = [
  'p.duration_days',
  'p.expiry_strategy',
  'p.expiration_basis',
  'p.grace_days',
  'p.max_machines',
  'p.entitlements as policy_entitlements',
  'p.patch_line_after_expiry',
] as const;

/** The licenses of an app with their policy's fields and their active machine count; filter and page it further. */
export function licenseRows(db: Db, appId: string) {
  return db
    .selectFrom('licenses as l')
    .innerJoin('license_policies as p', 'p.id', 'l.policy_id')
    .selectAll('l')
    .select([
      'p.name as policy_name',
      ...JOINED_POLICY_COLUMNS,
      (eb) =>
        eb
          .selectFrom('license_machines as m')
          .select(sql<string>`count(*)`.as('n'))
          .whereRef('m.license_id', '=', 'l.id')
          .where('m.deactivated_at', 'is', null)
          .as('machines_used'),
    ])
    .where('l.app_id', '=', appId);
}

export type LicenseViewRow = Awaited<ReturnType<ReturnType<typeof licenseRows>['executeTakeFirstOrThrow']>>;

export function policyOf(row: Pick<LicensePolicyRow, 'duration_days' | 'expiry_strategy' | 'expiration_basis' | 'grace_days' | 'max_machines' | 'patch_line_after_expiry'> & { policy_entitlements?: string[]; entitlements?: string[] }): LicensePolicy {
  return {
    durationDays: row.duration_days,
    expiryStrategy: row.expiry_strategy,
    expirationBasis: row.expiration_basis,
    graceDays: row.grace_days,
    maxMachines: row.max_machines,
    entitlements: row.policy_entitlements ?? row.entitlements ?? [],
    patchLineAfterExpiry: row.patch_line_after_expiry,
  };
}

export function licenseOf(row: Pick<LicenseRow, 'status' | 'expires_at' | 'entitlements' | 'created_at' | 'first_checked_at'>): License {
  return { status: row.status, expiresAt: row.expires_at, entitlements: row.entitlements, createdAt: row.created_at, firstCheckedAt: row.first_checked_at };
}

/** A release as `eligible_up_to` weighs it: `offered` now, or published once and withdrawn (archived, yanked) since. */
export interface WeighedRelease extends ReleaseEntitlement {
  readonly offered: boolean;
}

/**
 * The releases a license of the app could ever be offered, with what eligibility compares; and those published
 * once and withdrawn since, which are never offered but still date a license's patch line (update/withdrawn.ts).
 */
export async function weighedReleases(db: Db, appId: string): Promise<WeighedRelease[]> {
  const rows = await db
    .selectFrom('releases as r')
    .leftJoin('release_channels as c', (join) => join.onRef('c.app_id', '=', 'r.app_id').onRef('c.name', '=', 'r.channel'))
    .select(['r.version', 'r.channel', 'r.status', 'r.first_published_at', 'r.entitlement_date', 'r.required_entitlements', 'c.required_entitlement'])
    .where('r.app_id', '=', appId)
    .where((eb) => eb.or([
      eb('r.status', '<>', OFFERED_STATUS).and('r.first_published_at', 'is not', null),
      eb('r.status', '=', OFFERED_STATUS).and(eb.exists(
        eb.selectFrom('artifacts as a').select('a.id').whereRef('a.release_id', '=', 'r.id').where('a.state', '=', 'ready').where('a.verified_key_id', 'is not', null),
      )),
    ]))
    .execute();
  return rows
    .filter((row) => !neverOffered({ channel: row.channel, prerelease: isPrerelease(row.version) }))
    .map((row) => ({
      version: row.version,
      offered: row.status === OFFERED_STATUS,
      firstPublishedAt: row.first_published_at,
      entitlementDate: row.entitlement_date,
      requiredEntitlements: row.required_entitlements,
      channelEntitlement: row.required_entitlement ?? null,
    }));
}

/** The newest offered version of `releases` the license may install at `now`; null when it is refused or none is eligible. */
export function eligibleUpTo(license: License, policy: LicensePolicy, releases: readonly WeighedRelease[], now: Date): string | null {
  const access = licenseAccess(license, policy, now);
  if (!access.allowed) return null;
  let newest: { version: string; parsed: Version } | null = null;
  for (const release of eligibleReleases(releases, access)) {
    if (!release.offered) continue;
    const parsed = safeParseVersion(release.version);
    if (parsed.success && (newest === null || compareVersions(parsed.version, newest.parsed) > 0)) newest = { version: release.version, parsed: parsed.version };
  }
  return newest?.version ?? null;
}

export function toLicenseBody(row: LicenseViewRow, releases: readonly WeighedRelease[], now: Date): LicenseBody {
  const license = licenseOf(row);
  const policy = policyOf(row);
  const expiresAt = licenseExpiry(license, policy);
  return {
    id: row.id,
    app_id: row.app_id,
    policy_id: row.policy_id,
    policy_name: row.policy_name,
    key_prefix: row.key_prefix,
    status: row.status,
    expires_at: iso(expiresAt),
    expired: expiresAt !== null && now.getTime() >= expiresAt.getTime(),
    cutoff: iso(policy.expiryStrategy === 'allow' ? null : expiresAt),
    entitlements: row.entitlements,
    external_source: row.external_source,
    external_id: row.external_id,
    machines_used: Number(row.machines_used ?? 0),
    machines_allowed: row.max_machines,
    eligible_up_to: eligibleUpTo(license, policy, releases, now),
    first_checked_at: iso(row.first_checked_at),
    revision: Number(row.revision),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function toMachineBody(row: LicenseMachineRow): MachineBody {
  return {
    id: row.id,
    install_digest: row.install_digest,
    first_seen_at: row.first_seen_at.toISOString(),
    last_seen_at: row.last_seen_at.toISOString(),
    deactivated_at: iso(row.deactivated_at),
  };
}

export function toPolicyBody(row: LicensePolicyRow, licenses: number): PolicyBody {
  return {
    id: row.id,
    app_id: row.app_id,
    name: row.name,
    duration_days: row.duration_days,
    expiry_strategy: row.expiry_strategy,
    expiration_basis: row.expiration_basis,
    grace_days: row.grace_days,
    max_machines: row.max_machines,
    entitlements: row.entitlements,
    patch_line_after_expiry: row.patch_line_after_expiry,
    licenses,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const iso = (date: Date | null) => (date === null ? null : date.toISOString());
