/**
 * @module uuid
 * What an id looks like (every row's id is a UUID), for the server, the CLI and the request schemas alike: a path or
 * query value that is not one is answered without a query (Postgres would fail on it with 22P02).
 */

/** A UUID in either case; ids are stored and compared in lower case, so callers lower-case what matches. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
