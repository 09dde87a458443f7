/**
 * @module files
 * Private temporary files for credentials (a decoded .p12, an App Store Connect .p8), and the base64 decoding that
 * produces them. Directories are 0700 and files 0600, created inside `RUNNER_TEMP`, which the runner empties after
 * the job; the post steps remove them earlier, and only directories whose name carries the prefix they were made
 * with, so a corrupted state value can never point a recursive delete somewhere else.
 */
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';

/** `RUNNER_TEMP` on a runner, the OS temp directory elsewhere. */
export function runnerTemp(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNNER_TEMP || tmpdir();
}

/** A new 0700 directory `<parent>/<prefix><random>`. */
export async function makePrivateDir(parent: string, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(parent, prefix));
  await chmod(dir, 0o700);
  return dir;
}

/** Writes a new 0600 file; fails rather than overwrite. */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(path, data, { mode: 0o600, flag: 'wx' });
}

/**
 * Removes a directory made by `makePrivateDir(…, prefix)`. Refuses a relative path or one whose last segment does not
 * start with `prefix`. A directory that is already gone is not an error.
 */
export async function removePrivateDir(dir: string, prefix: string): Promise<void> {
  if (!isAbsolute(dir) || !basename(dir).startsWith(prefix)) {
    throw new Error(`Refusing to delete ${JSON.stringify(dir)}: not a directory this action created (${prefix}*).`);
  }
  await rm(dir, { recursive: true, force: true });
}

/**
 * Decodes standard base64 the way `base64 --decode` does: whitespace and line breaks (a secret pasted from
 * `base64 -i file` output wraps at 76 columns) are ignored; anything else that is not base64 is an error naming
 * `label` and the command that produces the right value.
 */
export function decodeBase64(text: string, label: string, howToEncode: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 === 1 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new Error(`${label} is not base64. Encode the file with \`${howToEncode}\` and store the output as the secret.`);
  }
  return Buffer.from(compact, 'base64');
}

/** Whether anything is at `path` (a missing file is not an error here). */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
