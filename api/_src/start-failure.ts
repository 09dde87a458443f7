/**
 * @module start-failure
 * How the commands that start on one machine (`npm start`, `npm run migrate`) and the Vercel function say why they
 * could not start: what the user can fix is one line with no stack, anything else is printed masked, with its frames (http/logged-error.ts).
 */
import { ConfigError } from './config.ts';
import { DataDirLockedError } from '../../db/data-dir-lock.ts';
import { DatabaseConnectError } from '../../db/driver-errors.ts';
import { EmbeddedDatabaseDiskFullError } from '../../db/embedded-errors.ts';
import { loggedError, maskSecrets } from './http/logged-error.ts';

/** A start failure the user can fix (a port in use, say), said in one line. */
export class StartError extends Error {
  override name = 'StartError';
}

/** The one line for a failure the user can fix; undefined for anything else. */
export function userFixableStartFailure(error: unknown): string | undefined {
  if (error instanceof ConfigError) return `config error: ${error.message}`;
  if (error instanceof DataDirLockedError || error instanceof StartError || error instanceof EmbeddedDatabaseDiskFullError) return error.message;
  if (error instanceof DatabaseConnectError) return `${maskSecrets(error.message)}; check DATABASE_URL`;
  return undefined;
}

/** Prints why a command could not start: the one line when the user can fix it, else `<failed>:` and the masked error. */
export function printStartFailure(failed: string, error: unknown): void {
  console.error(userFixableStartFailure(error) ?? `${failed}: ${loggedError(error)}`);
}
