/**
 * @module cli/key-file
 * `--out FILE` of the commands that create a secret shown only once (`keys create`, `licenses create|rotate`). The
 * file is written after the server made the secret, so everything that would stop the write is checked before the
 * request is sent: a file already there (never overwritten) or a folder that does not exist would otherwise leave a
 * key that was created but can never be read.
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { usageError } from './errors.ts';

/** Refuses, before anything is sent, an `--out` path the key could not be written to. */
export async function checkKeyFile(out: string | undefined): Promise<void> {
  if (out === undefined) return;
  if (out === '') throw usageError('--out needs a file name');
  const full = resolve(out);
  if (await stat(full).then(() => true, () => false)) {
    throw usageError(`--out ${out} already exists and is never overwritten: pass a new file name, or delete it first`);
  }
  const folder = await stat(dirname(full)).catch(() => null);
  if (!folder?.isDirectory()) throw usageError(`--out ${out}: the folder ${dirname(full)} does not exist; create it first`);
}
