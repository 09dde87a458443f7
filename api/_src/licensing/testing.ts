/**
 * @module licensing/testing
 * A clock the tests control (day D and days after it), and policies, licenses and releases to build cases from;
 * and the same written as rows, with the server's digest of a fresh key (no admin API needed).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import type { License, LicensePolicy } from './policy.ts';
import type { ReleaseEntitlement } from './eligibility.ts';
import { generateLicenseKey, type LicenseKey, LicenseKeyDigester, licenseDigestSecret } from './license-key.ts';

/** Day D: the purchase in every scenario. */
export const D = new Date('2026-03-01T12:00:00.000Z');

/** `days` (may be fractional or negative) after D. */
export function day(days: number): Date {
  return new Date(D.getTime() + days * 86_400_000);
}

export function policy(overrides: Partial<LicensePolicy> = {}): LicensePolicy {
  return {
    durationDays: 365,
    expiryStrategy: 'fallback',
    expirationBasis: 'created',
    graceDays: 0,
    maxMachines: null,
    entitlements: [],
    patchLineAfterExpiry: false,
    ...overrides,
  };
}

export function license(overrides: Partial<License> = {}): License {
  return { status: 'active', expiresAt: null, entitlements: [], createdAt: D, firstCheckedAt: null, ...overrides };
}

/** A release first published `publishedDay` days after D. */
export function release(version: string, publishedDay: number | null, overrides: Partial<ReleaseEntitlement> = {}): ReleaseEntitlement {
  return {
    version,
    firstPublishedAt: publishedDay === null ? null : day(publishedDay),
    entitlementDate: null,
    requiredEntitlements: [],
    channelEntitlement: null,
    ...overrides,
  };
}

/** A SECRETS_KEY for test servers (base64 of 32 bytes), and the digester the server derives from it. */
export const TEST_SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');
export const testDigester = () => new LicenseKeyDigester(licenseDigestSecret(Buffer.from(TEST_SECRETS_KEY, 'base64')));

/** A policy row of the app; returns its id. */
export async function insertPolicy(db: Kysely<Database>, appId: string, overrides: Partial<LicensePolicy> & { name?: string } = {}): Promise<string> {
  const p = policy(overrides);
  const row = await db
    .insertInto('license_policies')
    .values({
      app_id: appId,
      name: overrides.name ?? `policy-${Math.random().toString(36).slice(2, 10)}`,
      duration_days: p.durationDays,
      expiry_strategy: p.expiryStrategy,
      expiration_basis: p.expirationBasis,
      grace_days: p.graceDays,
      max_machines: p.maxMachines,
      entitlements: JSON.stringify(p.entitlements),
      patch_line_after_expiry: p.patchLineAfterExpiry,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface InsertedLicense {
  id: string;
  key: LicenseKey;
  /** `Authorization` header value. */
  authorization: string;
}

/** A license row created at `createdAt` (default D) with a fresh key, stored as the server digests it. */
export async function insertLicense(
  db: Kysely<Database>,
  appId: string,
  policyId: string,
  overrides: Partial<Pick<License, 'status' | 'expiresAt' | 'entitlements' | 'createdAt'>> = {},
): Promise<InsertedLicense> {
  const key = generateLicenseKey();
  const { secretId, digest } = testDigester().digest(key);
  const row = await db
    .insertInto('licenses')
    .values({
      app_id: appId,
      policy_id: policyId,
      key_digest: digest,
      key_secret_id: secretId,
      key_prefix: key.prefix,
      status: overrides.status ?? 'active',
      expires_at: overrides.expiresAt ?? null,
      entitlements: JSON.stringify(overrides.entitlements ?? []),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // created_at is the database's; the scenarios need it on day D.
  await sql`update licenses set created_at = ${overrides.createdAt ?? D} where id = ${row.id}`.execute(db);
  return { id: row.id, key, authorization: `License ${key.reveal()}` };
}
