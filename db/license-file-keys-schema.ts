/**
 * @module license-file-keys-schema
 * The signing keys of offline license files (migration 2026_12_07_0014, api/_src/licensing/file-keys.ts), part of
 * schema.ts's `Database` and re-exported by it.
 */
import type { Selectable } from 'kysely';
import type { CreatedAt, Timestamp } from './column-types.ts';

export interface LicenseFileKeysTable {
  /** 16 hex digits of the SHA-256 of the raw public key. */
  kid: string;
  app_id: string;
  /** The raw 32-byte Ed25519 public key, base64. */
  public_key: string;
  /** The PKCS#8 DER private key, base64, sealed under SECRETS_KEY for this app (github/secrets.ts `SecretBox`). */
  private_key_sealed: string;
  created_at: CreatedAt;
  /** Set: no longer signs; null: the app's current key. */
  retired_at: Timestamp | null;
}

export type LicenseFileKeyRow = Selectable<LicenseFileKeysTable>;
