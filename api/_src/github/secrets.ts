/**
 * @module github/secrets
 * Seals the tokens of private repositories before they reach the database: AES-256-GCM under `SECRETS_KEY`
 * (32 random bytes, base64), so a database dump or backup alone does not give away a token. `npm start`
 * makes a key in `DATA_DIR/secrets.key` (mode 0600) when none is set; a serverless deployment sets SECRETS_KEY.
 * Sealed form: `v1.<iv>.<ciphertext+tag>` in base64url; the app id is the associated data, so a sealed
 * token copied onto another app's row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretsKeyError extends Error {
  override name = 'SecretsKeyError';
}

/** The key from its base64 (or 64-hex-digit) text. */
export function parseSecretsKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new SecretsKeyError(`SECRETS_KEY must be ${KEY_BYTES} random bytes in base64 (make one with: openssl rand -base64 32), not ${key.length} bytes`);
  }
  return key;
}

/** The local server's key: `DATA_DIR/secrets.key`, created on first use. */
export async function localSecretsKey(dataDir: string): Promise<Buffer> {
  // Only `npm start` reads a key from disk: the Vercel function, which imports this module too, never loads node:fs.
  const { chmod, mkdir, readFile, writeFile } = await import('node:fs/promises');
  const path = join(dataDir, 'secrets.key');
  try {
    return parseSecretsKey(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(KEY_BYTES);
  await mkdir(dataDir, { recursive: true });
  // `wx`: two servers starting at once on one folder cannot each write a different key.
  await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  await chmod(path, 0o600).catch(() => {});
  return parseSecretsKey(await readFile(path, 'utf8'));
}

export class SecretBox {
  readonly #key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new SecretsKeyError(`a secrets key is ${KEY_BYTES} bytes`);
    this.#key = key;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  /** @throws SecretsKeyError when the value was sealed under another key or for another context, or is damaged */
  open(sealed: string, context: string): string {
    const [version, iv, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !data) throw new SecretsKeyError('not a sealed secret');
    const bytes = Buffer.from(data, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretsKeyError('the stored token was sealed under another SECRETS_KEY; store the token again with PUT /admin/apps/{app}/source');
    }
  }
}
