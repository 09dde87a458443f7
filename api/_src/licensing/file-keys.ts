/**
 * @module licensing/file-keys
 * Each licensed app's Ed25519 key for offline license files (license-file.ts): made the first time the app needs
 * one (its first license file, or an admin viewing the app), one current key per app (migration 0014). Never the
 * updater key: the server never holds that one, and a leak of this one lets nobody ship an update.
 * The private key (PKCS#8 DER) is sealed under SECRETS_KEY with the app id as context (github/secrets.ts), so a
 * database dump alone cannot sign, and a sealed key copied onto another app's row does not open.
 * The kid is 16 hex digits of the SHA-256 of the raw public key, so anyone holding the key can compute it.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import { ApiError } from '../http/api-error.ts';
import type { SecretBox } from '../github/secrets.ts';
import type { LicenseFileKeyBody } from '../protocol/schemas.ts';

export interface LicenseFileSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const sealContext = (appId: string) => `license-file-key:${appId}`;

/** The raw 32 bytes of an Ed25519 public key (the `x` of its JWK). */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  return Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
}

export function licenseFileKeyId(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/** The public key from its raw 32 bytes. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** How the admin app view shows a key: raw base64 and SPKI PEM. */
export function licenseFileKeyBody(kid: string, publicKey: KeyObject): LicenseFileKeyBody {
  return { kid, public_key: rawPublicKey(publicKey).toString('base64'), public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export class LicenseFileKeys {
  readonly #db: Kysely<Database>;
  readonly #box: SecretBox | null;
  readonly #current = new Map<string, Promise<LicenseFileSigningKey>>();

  constructor(db: Kysely<Database>, box: SecretBox | null) {
    this.#db = db;
    this.#box = box;
  }

  /** The app's current signing key, made and stored on first need (concurrent first needs, here or on another instance, agree on one). */
  current(appId: string): Promise<LicenseFileSigningKey> {
    let key = this.#current.get(appId);
    if (key === undefined) {
      key = this.#load(appId);
      this.#current.set(appId, key);
      key.catch(() => this.#current.delete(appId));
    }
    return key;
  }

  /** The current key as the admin app view shows it. */
  async publicBody(appId: string): Promise<LicenseFileKeyBody> {
    const key = await this.current(appId);
    return licenseFileKeyBody(key.kid, key.publicKey);
  }

  #requireBox(): SecretBox {
    if (this.#box) return this.#box;
    throw new ApiError(503, 'secrets_key_missing', 'license files are signed with a key sealed under SECRETS_KEY, and this server has none: set SECRETS_KEY (openssl rand -base64 32)');
  }

  async #load(appId: string): Promise<LicenseFileSigningKey> {
    const box = this.#requireBox();
    const stored = await this.#read(appId);
    if (stored) return this.#open(box, appId, stored);
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = rawPublicKey(publicKey);
    await this.#db
      .insertInto('license_file_keys')
      .values({
        kid: licenseFileKeyId(raw),
        app_id: appId,
        public_key: raw.toString('base64'),
        private_key_sealed: box.seal(privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'), sealContext(appId)),
      })
      .onConflict((oc) => oc.column('app_id').where('retired_at', 'is', null).doNothing())
      .execute();
    // Another instance may have stored its key first: the stored one is the app's.
    const winner = await this.#read(appId);
    if (!winner) throw new Error(`no license file key stored for app ${appId}`);
    return this.#open(box, appId, winner);
  }

  #read(appId: string) {
    return this.#db
      .selectFrom('license_file_keys')
      .select(['kid', 'private_key_sealed'])
      .where('app_id', '=', appId)
      .where('retired_at', 'is', null)
      .executeTakeFirst();
  }

  #open(box: SecretBox, appId: string, row: { kid: string; private_key_sealed: string }): LicenseFileSigningKey {
    let der: string;
    try {
      der = box.open(row.private_key_sealed, sealContext(appId));
    } catch {
      throw new ApiError(503, 'unavailable', `the license file key ${row.kid} was sealed under another SECRETS_KEY: restore that SECRETS_KEY`);
    }
    const privateKey = createPrivateKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'pkcs8' });
    return { kid: row.kid, privateKey, publicKey: createPublicKey(privateKey) };
  }
}
