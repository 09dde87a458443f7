/**
 * @module update/rollout
 * The install id an update check sends for staged rollouts (`X-Install-Id` or `?install_id=`), validated. Which
 * installs a rollout includes is protocol/rollout.ts.
 */
import { badRequest } from '../http/errors.ts';

/** What an install id may look like: a UUID, a ULID, a hex or base64url digest… 8–128 characters, no spaces. */
export const INSTALL_ID_PATTERN = /^[A-Za-z0-9._~:-]{8,128}$/;
export const INSTALL_ID_HEADER = 'x-install-id';
export const INSTALL_ID_QUERY = 'install_id';

/**
 * The install id of an update check, from `X-Install-Id` or `?install_id=`; null when neither is sent.
 * Both at once must agree. A malformed id is a 400, never silently "no id" (which would quietly take the
 * install out of every staged rollout).
 */
export function parseInstallId(header: string | null, query: string | undefined): string | null {
  const value = header ?? query;
  if (value === undefined || value === null) return null;
  if (header !== null && query !== undefined && header !== query) {
    throw badRequest(`the ${INSTALL_ID_HEADER} header and the ${INSTALL_ID_QUERY} query parameter differ; send one of them`);
  }
  if (!INSTALL_ID_PATTERN.test(value)) {
    throw badRequest(
      `invalid install id ${JSON.stringify(value.slice(0, 140))}; expected 8–128 characters of A-Z, a-z, 0-9, '.', '_', '~', ':' or '-' (a UUID is fine)`,
    );
  }
  return value;
}
