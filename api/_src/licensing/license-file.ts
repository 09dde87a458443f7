/**
 * @module licensing/license-file
 * Offline license files (issue 17 item 9): `base64url(payload JSON) + "." + base64url(Ed25519 signature over the
 * payload bytes)`, the payload of protocol/license-state.ts signed with the app's own key (file-keys.ts). An app
 * embeds the public key and checks the file with any Ed25519 implementation (WebCrypto, ed25519-dalek, OpenSSL),
 * so it can decide what it may run without the server until `valid_until`; it fetches a fresh file before then,
 * which is how renewals and revocations reach it.
 * A file lasts `LICENSE_FILE_DAYS`, never past the moment a `revoke` license stops updating.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { LICENSE_FILE_VERSION, type LicenseFilePayload, licenseFilePayloadSchema } from '../protocol/license-state.ts';
import type { AppSnapshot } from '../update/snapshot.ts';
import { LICENSE_FILE_DAYS, type LicenseFileSigningKey } from './file-keys.ts';
import type { LicenseState } from './index.ts';
import { channelOf, currentAllowance, newestEligible } from './license-state.ts';
import { addDays } from './policy.ts';

const iso = (date: Date | null) => date && date.toISOString();

/** What the file says of a license on `channel` at `now`, for the install `machine` (its X-Install-Id) when given. */
export function licenseFilePayload(snapshot: AppSnapshot, state: LicenseState, kid: string, channel: string, machine: string | null, now: Date): LicenseFilePayload {
  const allowance = currentAllowance(state, now);
  const { policy } = state;
  let validUntil = addDays(now, LICENSE_FILE_DAYS);
  if (policy.expiryStrategy === 'revoke' && allowance.expiresAt) {
    const stops = addDays(allowance.expiresAt, policy.graceDays);
    if (stops < validUntil) validUntil = stops;
  }
  return {
    v: LICENSE_FILE_VERSION,
    kid,
    lic: state.id,
    app: snapshot.app.slug,
    status: 'active',
    expiry_strategy: policy.expiryStrategy,
    expires_at: iso(allowance.expiresAt),
    cutoff: iso(allowance.cutoff),
    entitlements: [...allowance.entitlements].sort(),
    newest_eligible_version: newestEligible(snapshot, channelOf(snapshot, channel), allowance)?.versionText ?? null,
    machine,
    issued_at: now.toISOString(),
    valid_until: validUntil.toISOString(),
  };
}

/** The signed token. */
export function signLicenseFile(payload: LicenseFilePayload, key: LicenseFileSigningKey): string {
  const bytes = Buffer.from(JSON.stringify(payload));
  return `${bytes.toString('base64url')}.${sign(null, bytes, key.privateKey).toString('base64url')}`;
}

/**
 * The payload of a token the key signed, or null for anything else (another key, a changed byte, not a token).
 * Expiry (`valid_until`) is the reader's to judge, against its own clock.
 */
export function verifyLicenseFile(token: string, publicKey: KeyObject): LicenseFilePayload | null {
  const parts = token.split('.');
  if (parts.length !== 2) return null;
  const bytes = Buffer.from(parts[0]!, 'base64url');
  if (!verify(null, bytes, publicKey, Buffer.from(parts[1]!, 'base64url'))) return null;
  try {
    const parsed = licenseFilePayloadSchema.safeParse(JSON.parse(bytes.toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
