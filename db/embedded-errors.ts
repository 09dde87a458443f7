/**
 * @module embedded-errors
 * Errors of the embedded database's start that the start-up code names in one line (api/_src/start-failure.ts).
 * A leaf of its own: the Vercel function imports start-failure.ts, and must not bundle PGlite with it.
 */

/** The embedded database could not be created for want of disk space: said in one line, naming the folder. */
export class EmbeddedDatabaseDiskFullError extends Error {
  override name = 'EmbeddedDatabaseDiskFullError';
}
