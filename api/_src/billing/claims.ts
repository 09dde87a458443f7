/**
 * @module billing/claims
 * How a new license's key reaches its buyer without the server keeping it: a one-time claim. The key is sealed
 * under SECRETS_KEY (AES-256-GCM, github/secrets.ts) in a row named by the SHA-256 of a random token; the token is
 * only in the claim URL, which the `license.created` webhook hands to the vendor's mailer. The first claim
 * deletes the row in the same statement that reads it, so two concurrent claims cannot both get the key; a row
 * not claimed within `CLAIM_TTL_MS` is never opened and is pruned on the next claim made.
 * A claim is marked announced once its URL is handed to the webhooks; one never announced (its purchase delivery
 * failed after making it) is reissued under a new token by the provider's retry, the old token having reached no one.
 * An unannounced claim is therefore kept past its expiry, however late that retry comes (a resend from the provider's
 * dashboard weeks later): it is the only copy of the key the buyer paid for. Only its license's revocation, which is
 * final, lets it be pruned.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import type { SecretBox } from '../github/secrets.ts';
import { type LicenseKey, type LicenseKeyDigester, parseLicenseKey, type StoredKeyDigest } from '../licensing/license-key.ts';

export const CLAIM_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** 32 random bytes, base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

const digestOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const contextOf = (digest: string) => `license-claim:${digest}`;

export interface NewClaim {
  token: string;
  expiresAt: Date;
}

/** Seals `key` in a new claim for `licenseId`; returns the token for the claim URL (never stored). */
export async function createClaim(
  db: Kysely<Database> | Transaction<Database>,
  box: SecretBox,
  claim: { appId: string; licenseId: string; key: LicenseKey },
  now: Date,
): Promise<NewClaim> {
  const token = randomBytes(32).toString('base64url');
  const digest = digestOf(token);
  const expiresAt = new Date(now.getTime() + CLAIM_TTL_MS);
  await db
    .deleteFrom('license_claims')
    .where('expires_at', '<=', now)
    .where((eb) => eb.or([
      eb('announced_at', 'is not', null),
      eb.exists(eb.selectFrom('licenses').select('licenses.id').whereRef('licenses.id', '=', 'license_claims.license_id').where('licenses.status', '=', 'revoked')),
    ]))
    .execute();
  await db
    .insertInto('license_claims')
    .values({ token_digest: digest, app_id: claim.appId, license_id: claim.licenseId, key_sealed: box.seal(claim.key.reveal(), contextOf(digest)), expires_at: expiresAt })
    .execute();
  return { token, expiresAt };
}

/** The license's key digest, its row locked first (a re-keying waits for the transaction); undefined when it is gone. */
async function lockedKeyDigest(trx: Transaction<Database>, licenseId: string): Promise<StoredKeyDigest | undefined> {
  const license = await trx.selectFrom('licenses').select(['key_digest', 'key_secret_id']).where('id', '=', licenseId).forUpdate().executeTakeFirst();
  return license && { secretId: license.key_secret_id, digest: license.key_digest };
}

/**
 * The claim of `key`, just made for the license (created or re-keyed), or null when the license no longer has it: the
 * same purchase delivered to another instance at once re-keyed it meanwhile, and that delivery's claim holds the key
 * that works. The license row is locked, so a re-keying waits; the license's other claims hold keys it had before
 * this one, and are deleted (a URL already sent then finds nothing, rather than a key that opens nothing).
 */
export async function claimNewKey(
  trx: Transaction<Database>,
  box: SecretBox,
  digester: LicenseKeyDigester,
  claim: { appId: string; licenseId: string; key: LicenseKey },
  now: Date,
): Promise<NewClaim | null> {
  const stored = await lockedKeyDigest(trx, claim.licenseId);
  if (!stored || !digester.verify(claim.key, stored)) return null;
  await trx.deleteFrom('license_claims').where('license_id', '=', claim.licenseId).execute();
  return createClaim(trx, box, claim, now);
}

/**
 * The key of `licenseId`'s claim never announced, sealed again under a new token (the old row is deleted in the same
 * statement that reads it, so of two concurrent retries one reissues it); null when there is none, or when its key is
 * no longer the license's (an admin re-keyed it while the claim waited for the retry: that key opens nothing).
 */
export async function reissueUnannouncedClaim(
  db: Kysely<Database>,
  box: SecretBox,
  digester: LicenseKeyDigester,
  licenseId: string,
  now: Date,
): Promise<NewClaim | null> {
  return db.transaction().execute(async (trx) => {
    const stored = await lockedKeyDigest(trx, licenseId);
    const rows = await trx.deleteFrom('license_claims').where('license_id', '=', licenseId).where('announced_at', 'is', null).returningAll().execute();
    const latest = rows.sort((a, b) => b.created_at.getTime() - a.created_at.getTime())[0];
    if (!latest || !stored) return null;
    const key = parseLicenseKey(box.open(latest.key_sealed, contextOf(latest.token_digest)));
    if (!key.success) throw new Error('a sealed claim holds a malformed key');
    if (!digester.verify(key.key, stored)) return null;
    return createClaim(trx, box, { appId: latest.app_id, licenseId, key: key.key }, now);
  });
}

/** Whether the claim is still there and not announced (false: a retry reissued it meanwhile, and announces it). */
export async function claimUnannounced(db: Kysely<Database>, token: string): Promise<boolean> {
  const row = await db.selectFrom('license_claims').select('token_digest').where('token_digest', '=', digestOf(token)).where('announced_at', 'is', null).executeTakeFirst();
  return row !== undefined;
}

/** Marks the claim announced, once its URL was handed to the webhooks. */
export async function markClaimAnnounced(db: Kysely<Database>, token: string, now: Date): Promise<void> {
  await db.updateTable('license_claims').set({ announced_at: now }).where('token_digest', '=', digestOf(token)).execute();
}

/** Whether `token` names a claim not yet taken nor expired (the page that offers to reveal it). */
export async function claimWaiting(db: Kysely<Database>, token: string, now: Date): Promise<{ appId: string } | null> {
  if (!TOKEN.test(token)) return null;
  const row = await db.selectFrom('license_claims').select('app_id').where('token_digest', '=', digestOf(token)).where('expires_at', '>', now).executeTakeFirst();
  return row ? { appId: row.app_id } : null;
}

export interface TakenClaim {
  appId: string;
  licenseId: string;
  /** The key's text: shown to the claimant, never logged. */
  key: string;
}

/** Takes the claim: the row is deleted as it is read. Null when there is none (never made, taken, expired). */
export async function takeClaim(db: Kysely<Database>, box: SecretBox, token: string, now: Date): Promise<TakenClaim | null> {
  if (!TOKEN.test(token)) return null;
  const digest = digestOf(token);
  const row = await db.deleteFrom('license_claims').where('token_digest', '=', digest).returningAll().executeTakeFirst();
  if (!row || row.expires_at.getTime() <= now.getTime()) return null;
  return { appId: row.app_id, licenseId: row.license_id, key: box.open(row.key_sealed, contextOf(digest)) };
}
