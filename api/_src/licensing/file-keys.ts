/**
 * @module licensing/file-keys
 * Each licensed app's Ed25519 key for offline license files (license-file.ts): made the first time the app needs
 * one (its first license file, or an admin viewing the app), one current key per app (migration 0014). Never the
 * updater key: the server never holds that one, and a leak of this one lets nobody ship an update.
 * The private key (PKCS#8 DER) is sealed under SECRETS_KEY with the app id as context (github/secrets.ts), so a
 * database dump alone cannot sign, and a sealed key copied onto another app's row does not open.
 * The kid is 16 hex digits of the SHA-256 of the raw public key, so anyone holding the key can compute it.
 *
 * Rotation (JWKS-style): `rotate` makes a new current key and retires the old one, whose private half is erased (it
 * never signs again); the retired public key stays listed (`list`, the public license-keys.json) for
 * `LICENSE_FILE_DAYS`, as long as the files it signed can stay valid, unless the rotation removed it (a leak). After
 * that its row is deleted, the next time the app's keys are loaded, listed or rotated (no background job).
 * Each instance keeps an app's current key for `ttlMs` (UPDATE_CACHE_TTL_SECONDS) before reading again which one is
 * current; `signWithCurrent` (every license file) confirms, with one primary-key read after signing, that the key it
 * signed with is still current, and signs again with the new one when not, so no instance hands out a file signed by
 * a key a rotation, here or elsewhere, retired or removed (a file signed by a removed key is refused by every app
 * holding the new list).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import { audit } from '../audit/audit.ts';
import type { Principal } from '../auth/principal.ts';
import { ApiError } from '../http/api-error.ts';
import type { SecretBox } from '../github/secrets.ts';
import type { LicenseFileKeyListBody } from '../protocol/licensing.ts';
import type { LicenseFileKeyBody } from '../protocol/schemas.ts';
import { addDays } from './policy.ts';

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

export interface LicenseFileKeysOptions {
  /** How long an instance trusts what it read before reading again (UPDATE_CACHE_TTL_SECONDS). */
  ttlMs?: number;
  /** Milliseconds clock (createDeps' `now`): when keys retire and stop being listed. */
  now?: () => number;
}

/** What an instance read of one app, and until when it trusts it. */
interface Cached<T> {
  value: Promise<T>;
  until: number;
}

/**
 * How long a license file stays valid (less for a `revoke` license near its end), and so how long a retired key is
 * listed. Here rather than in protocol/license-state.ts: the Vercel entry creates this class at start, and that module
 * would bring every zod schema into the cold start (`npm run bench:cold-start`).
 */
export const LICENSE_FILE_DAYS = 30;

type KeyRow = { kid: string; public_key: string; created_at: Date; retired_at: Date | null };

const DEFAULT_TTL_MS = 15_000;

/** How many times `signWithCurrent` signs before giving up, each one after a rotation replaced the key it used. */
const SIGN_ATTEMPTS = 3;

export class LicenseFileKeys {
  readonly #db: Kysely<Database>;
  readonly #box: SecretBox | null;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #current = new Map<string, Cached<LicenseFileSigningKey>>();
  readonly #listed = new Map<string, Cached<KeyRow[]>>();

  constructor(db: Kysely<Database>, box: SecretBox | null, options: LicenseFileKeysOptions = {}) {
    this.#db = db;
    this.#box = box;
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The app's current signing key, made and stored on first need (concurrent first needs, here or on another
   * instance, agree on one), and read again after the TTL so a rotation elsewhere is followed.
   */
  current(appId: string): Promise<LicenseFileSigningKey> {
    return this.#cached(this.#current, appId, () => this.#load(appId));
  }

  /**
   * What `sign` makes with the app's current key, once one read of the key's row (the primary key) after `sign` ran
   * found it still current: a rotation, here or on another instance, that committed before that read makes it sign
   * again with the new key. So a file handed out was signed by a key still current after the signature was made;
   * a read before signing would leave the moment between it and the signature open. Rotation never waits for it.
   * After `SIGN_ATTEMPTS` rotations in a row, a 503 to retry. Not on the update check's path.
   */
  async signWithCurrent<T>(appId: string, sign: (key: LicenseFileSigningKey) => T | Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const held = this.current(appId);
      const key = await held;
      const signed = await sign(key);
      const row = await this.#db.selectFrom('license_file_keys').select('kid').where('kid', '=', key.kid).where('retired_at', 'is', null).executeTakeFirst();
      if (row) return signed;
      if (this.#current.get(appId)?.value === held) this.#current.delete(appId);
      // The list this instance holds names the replaced key as current, and maybe not the new one.
      this.#listed.delete(appId);
      if (attempt === SIGN_ATTEMPTS) {
        throw new ApiError(503, 'unavailable', `the app's license-file key was rotated while this file was being signed, ${SIGN_ATTEMPTS} times in a row; retry shortly`);
      }
    }
  }

  /** The current key as the admin app view shows it. */
  async publicBody(appId: string): Promise<LicenseFileKeyBody> {
    const key = await this.current(appId);
    return licenseFileKeyBody(key.kid, key.publicKey);
  }

  /**
   * The keys an app's installs may meet in a license file: the current one (made on first need) first, then the
   * retired ones still listed, newest first.
   */
  async list(appId: string): Promise<LicenseFileKeyListBody['keys']> {
    let rows = await this.#cached(this.#listed, appId, () => this.#readListed(appId));
    if (!rows.some((row) => row.retired_at === null)) {
      await this.current(appId);
      this.#listed.delete(appId);
      rows = await this.#cached(this.#listed, appId, () => this.#readListed(appId));
    }
    return [...rows.filter((row) => row.retired_at === null), ...rows.filter((row) => row.retired_at !== null)].map(listedKey);
  }

  /**
   * Makes a new current key and retires the app's current one (erasing its private half); `removePrevious` deletes
   * the old key instead, so it is no longer listed (after a leak). Two rotations at once run one after the other.
   * Returns the retired (or removed) key's kid, null when the app had none.
   */
  async rotate(principal: Pick<Principal, 'actor'>, appId: string, removePrevious: boolean): Promise<{ previous: string | null; current: LicenseFileSigningKey }> {
    const box = this.#requireBox();
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = rawPublicKey(publicKey);
    const current: LicenseFileSigningKey = { kid: licenseFileKeyId(raw), privateKey, publicKey };
    const previous = await this.#db.transaction().execute(async (trx) => {
      // The app's row is the lock: a second rotation waits, then retires this one's key.
      const app = await trx.selectFrom('apps').select('id').where('id', '=', appId).forUpdate().executeTakeFirst();
      if (!app) throw new ApiError(404, 'not_found', 'the app no longer exists');
      await this.#deleteExpired(trx, appId);
      const old = await trx.selectFrom('license_file_keys').select('kid').where('app_id', '=', appId).where('retired_at', 'is', null).executeTakeFirst();
      if (old && removePrevious) await trx.deleteFrom('license_file_keys').where('kid', '=', old.kid).execute();
      else if (old) await trx.updateTable('license_file_keys').set({ retired_at: new Date(this.#now()), private_key_sealed: '' }).where('kid', '=', old.kid).execute();
      await trx.insertInto('license_file_keys').values(this.#sealedRow(box, appId, current)).execute();
      const details = { from: old?.kid ?? null, to: current.kid, previous: old ? (removePrevious ? 'removed' : 'retired') : null };
      await audit(trx, principal, { action: 'license.rotate_file_key', appId, target: `license_file_key:${current.kid}`, details });
      return old?.kid ?? null;
    });
    this.#current.set(appId, { value: Promise.resolve(current), until: this.#now() + this.#ttlMs });
    this.#listed.delete(appId);
    return { previous, current };
  }

  #cached<T>(map: Map<string, Cached<T>>, appId: string, load: () => Promise<T>): Promise<T> {
    const now = this.#now();
    const cached = map.get(appId);
    if (cached && now < cached.until) return cached.value;
    const entry: Cached<T> = { value: load(), until: now + this.#ttlMs };
    map.set(appId, entry);
    entry.value.catch(() => map.get(appId) === entry && map.delete(appId));
    return entry.value;
  }

  #requireBox(): SecretBox {
    if (this.#box) return this.#box;
    throw new ApiError(503, 'secrets_key_missing', 'license files are signed with a key sealed under SECRETS_KEY, and this server has none: set SECRETS_KEY (openssl rand -base64 32)');
  }

  #sealedRow(box: SecretBox, appId: string, key: LicenseFileSigningKey) {
    return {
      kid: key.kid,
      app_id: appId,
      public_key: rawPublicKey(key.publicKey).toString('base64'),
      private_key_sealed: box.seal(key.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'), sealContext(appId)),
    };
  }

  async #load(appId: string): Promise<LicenseFileSigningKey> {
    const box = this.#requireBox();
    const [stored] = await Promise.all([this.#read(appId), this.#deleteExpired(this.#db, appId)]);
    if (stored) return this.#open(box, appId, stored);
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const made = { kid: licenseFileKeyId(rawPublicKey(publicKey)), privateKey, publicKey };
    await this.#db
      .insertInto('license_file_keys')
      .values(this.#sealedRow(box, appId, made))
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

  /** Keys retired before this can no longer be named by a valid file: they are no longer listed, then deleted. */
  #listedSince(): Date {
    return addDays(new Date(this.#now()), -LICENSE_FILE_DAYS);
  }

  async #deleteExpired(db: Kysely<Database>, appId: string, listedSince = this.#listedSince()): Promise<void> {
    await db.deleteFrom('license_file_keys').where('app_id', '=', appId).where('retired_at', '<=', listedSince).execute();
  }

  async #readListed(appId: string): Promise<KeyRow[]> {
    const listedSince = this.#listedSince();
    await this.#deleteExpired(this.#db, appId, listedSince);
    return this.#db
      .selectFrom('license_file_keys')
      .select(['kid', 'public_key', 'created_at', 'retired_at'])
      .where('app_id', '=', appId)
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', listedSince)]))
      .orderBy('created_at', 'desc')
      .orderBy('kid')
      .execute();
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

/** One key as license-keys.json lists it. */
function listedKey(row: KeyRow): LicenseFileKeyListBody['keys'][number] {
  const body = licenseFileKeyBody(row.kid, publicKeyFromRaw(Buffer.from(row.public_key, 'base64')));
  return {
    ...body,
    status: row.retired_at === null ? 'current' : 'retired',
    created_at: row.created_at.toISOString(),
    retired_at: row.retired_at && row.retired_at.toISOString(),
    listed_until: row.retired_at && addDays(row.retired_at, LICENSE_FILE_DAYS).toISOString(),
  };
}
