/**
 * @module cli/config
 * Where the CLI finds its server and key: `TAURI_RELEASE_URL` / `TAURI_RELEASE_KEY` first, then the file `login`
 * wrote, `$XDG_CONFIG_HOME/tauri-release/config.json` (`~/.config/…` without XDG_CONFIG_HOME). The file holds a
 * secret, so it is written with mode 0600 in a 0700 folder, and rewritten through a temporary file so a crash never
 * leaves half a key behind. The key is only ever shown as `keyPrefix(key)`.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { normalizeServerUrl } from '../../../actions/shared/src/control-plane.ts';
import { usageError } from './errors.ts';
import { API_KEY_DISPLAY_LENGTH, isApiKey } from '../protocol/api-key-format.ts';

export const URL_ENV = 'TAURI_RELEASE_URL';
export const KEY_ENV = 'TAURI_RELEASE_KEY';

const storedConfigSchema = z.object({ url: z.string(), key: z.string().min(1) });
export type StoredConfig = z.infer<typeof storedConfigSchema>;

export interface Credentials {
  url: string;
  key: string;
  /** Where each came from, for `whoami`. */
  urlFrom: 'env' | 'config';
  keyFrom: 'env' | 'config';
}

type Env = Readonly<Record<string, string | undefined>>;

export function configPath(env: Env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.config');
  return join(base, 'tauri-release', 'config.json');
}

/**
 * What a key may be shown as: the 12 characters the server itself lists as `key_prefix` for its `trk_` keys
 * (4 of them are the fixed `trk_`), and only 4 of any other token (ADMIN_TOKEN), which has no public part.
 *
 * @example keyPrefix('trk_abcdefgh0123…') // 'trk_abcdefgh…'
 */
export function keyPrefix(key: string): string {
  return `${key.slice(0, isApiKey(key) ? API_KEY_DISPLAY_LENGTH : 4)}…`;
}

export async function readStoredConfig(env: Env): Promise<StoredConfig | null> {
  const path = configPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // A folder in its place, or a file the user may not read: say which file, not an internal error with a stack.
    throw usageError(`cannot read ${path}: ${(error as Error).message}; fix it or delete it, then run tauri-release login (or set ${URL_ENV} and ${KEY_ENV})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw usageError(`${path} is not JSON; run tauri-release logout, then login again`);
  }
  const result = storedConfigSchema.safeParse(parsed);
  if (!result.success) throw usageError(`${path} has no "url" and "key"; run tauri-release login again`);
  return result.data;
}

export async function writeStoredConfig(env: Env, config: StoredConfig): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // `mode` applies only to a folder mkdir creates; one made earlier (by hand, or by another tool) is tightened too.
  await chmod(dirname(path), 0o700).catch((error: Error) => {
    throw usageError(`cannot make ${dirname(path)} private (mode 0700): ${error.message}; fix its owner or delete it, then run tauri-release login again`);
  });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // `mode` applies only when the file is created; a stale temporary of the same name would keep its own.
  await chmod(temporary, 0o600);
  await rename(temporary, path);
  return path;
}

/** Deletes the stored key; true when there was one. */
export async function deleteStoredConfig(env: Env): Promise<boolean> {
  const path = configPath(env);
  const existed = (await readStoredConfig(env).catch(() => true)) !== null;
  await rm(path, { force: true }).catch((error: Error) => {
    throw usageError(`cannot delete ${path}: ${error.message}; delete it yourself`);
  });
  return existed;
}

/** The server URL, checked (http(s), no credentials or query) and without a trailing slash. */
export function checkServerUrl(value: string, from: string): string {
  try {
    return normalizeServerUrl(value, from);
  } catch (error) {
    throw usageError((error as Error).message.replace(/^Input /, ''));
  }
}

/**
 * The API key, refused before it is sent when it holds a character no key has (keys are printable ASCII: a pasted
 * non-breaking space or typographic quote would otherwise surface as a network error about HTTP headers). The
 * message gives the position, never the key.
 */
export function checkApiKey(key: string, from: string): string {
  const bad = [...key].findIndex((char) => char < ' ' || char > '~');
  if (bad >= 0) throw usageError(`the API key from ${from} has a character no key has at position ${bad + 1} (keys are printable ASCII): copy it again`);
  return key;
}

/** URL and key from the environment, else the config file; a usage error naming both ways when neither has them. */
export async function loadCredentials(env: Env): Promise<Credentials> {
  const envUrl = env[URL_ENV]?.trim();
  const envKey = env[KEY_ENV]?.trim();
  // The file is read only when the environment leaves something out, so a broken one never blocks a CI run.
  const stored = envUrl && envKey ? null : await readStoredConfig(env);
  const url = envUrl || stored?.url;
  const key = envKey || stored?.key;
  if (!url || !key) {
    const missing = !url && !key ? 'no server URL and no API key' : !url ? 'no server URL' : 'no API key';
    throw usageError(`${missing}: run tauri-release login --url <server>, or set ${URL_ENV} and ${KEY_ENV}`);
  }
  return {
    url: checkServerUrl(url, envUrl ? URL_ENV : configPath(env)),
    key: checkApiKey(key, envKey ? KEY_ENV : configPath(env)),
    urlFrom: envUrl ? 'env' : 'config',
    keyFrom: envKey ? 'env' : 'config',
  };
}
