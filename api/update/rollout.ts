/**
 * @module update/rollout
 * Staged rollouts. An install is in a release's cohort when its bucket is below the release's percentage:
 *
 *   bucket = uint32be(SHA-256(release.rollout_seed ‖ install_id)[0..4]) mod 10 000
 *   in cohort ⇔ bucket < rollout_percent × 100
 *
 * - Monotonic by construction: raising the percentage only adds installs (a bucket below 30 × 100 is below
 *   60 × 100), and lowering it only removes them; 0 is a pause (nobody), 100 is everybody.
 * - The seed is random per release (`releases.rollout_seed`, set on insert), so the installs that go first
 *   for one release are not the same ones that go first for the next.
 * - An install that sends no id is in no cohort: it gets a release only once it is at 100%.
 * - Percentages are integers 0–100 (the admin schema refuses 0.1, which some peers read as "0%").
 */
import { hash } from 'node:crypto';
import { badRequest } from '../errors.ts';

export const ROLLOUT_BUCKETS = 10_000;
const BUCKETS_PER_PERCENT = ROLLOUT_BUCKETS / 100;

/** What an install id may look like: a UUID, a ULID, a hex or base64url digest… 8–128 characters, no spaces. */
export const INSTALL_ID_PATTERN = /^[A-Za-z0-9._~:-]{8,128}$/;
export const INSTALL_ID_HEADER = 'x-install-id';
export const INSTALL_ID_QUERY = 'install_id';

/**
 * The install's bucket for one release, 0 ≤ bucket < 10 000. The one-shot `hash()` with a `binary` (latin1) digest is
 * about 4× cheaper than `createHash().update().digest()` on Node 24, and this runs on the hot path.
 */
export function rolloutBucket(seed: string, installId: string): number {
  const digest = hash('sha256', seed + installId, 'binary');
  const first = ((digest.charCodeAt(0) << 24) | (digest.charCodeAt(1) << 16) | (digest.charCodeAt(2) << 8) | digest.charCodeAt(3)) >>> 0;
  return first % ROLLOUT_BUCKETS;
}

/** Whether an install (null: it sent no id) is offered a release at `percent` with `seed`. */
export function inCohort(percent: number, seed: string, installId: string | null): boolean {
  if (percent >= 100) return true;
  if (percent <= 0 || installId === null) return false;
  return rolloutBucket(seed, installId) < percent * BUCKETS_PER_PERCENT;
}

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
