/**
 * @module bench/check-deps
 * What an update check needs (`UpdateCheckDeps`) for benches that answer checks from generated snapshots, without a
 * database: check-cost.ts (the check alone) and listener-server.ts (the node:http listener alone).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { UsageAnalytics } from '../../api/_src/analytics/recorder.ts';
import { LicenseGate } from '../../api/_src/licensing/gate.ts';
import type { LicenseIndex } from '../../api/_src/licensing/index.ts';
import { NO_TRUSTED_PROXIES } from '../../api/_src/rate-limit/client-ip.ts';
import { RateLimits } from '../../api/_src/rate-limit/limits.ts';
import type { UpdateCheckDeps } from '../../api/_src/update/check.ts';
import type { AppSnapshot } from '../../api/_src/update/snapshot.ts';

/** Never used: nothing here flushes analytics or reads a database store. */
export const noDatabase = {} as Kysely<Database>;

// On, as in production, with a limit no check reaches: every check is counted, none refused.
export const benchRateLimits = (enabled = true) =>
  new RateLimits({ enabled, store: 'memory', updatesPerMinute: Number.MAX_SAFE_INTEGER, publicPerMinute: 1, authFailuresPerMinute: 1, trustedProxies: NO_TRUSTED_PROXIES }, noDatabase);

/**
 * Checks answered from `snapshots` by slug; with `index`, also the license gate over it, sharing the rate limits as
 * the server's does. `rateLimited: false` is `RATE_LIMITS=off`.
 */
export function checkDeps(snapshots: ReadonlyMap<string, AppSnapshot>, index?: LicenseIndex, rateLimited = true): UpdateCheckDeps {
  const rateLimits = benchRateLimits(rateLimited);
  return {
    releaseCache: { peek: (slug) => snapshots.get(slug), lookup: (slug) => snapshots.get(slug) ?? null },
    analytics: new UsageAnalytics(noDatabase, { flushIntervalMs: 1e15, flushAtKeys: Number.MAX_SAFE_INTEGER }),
    rateLimits,
    ...(index ? { licenses: new LicenseGate(index, rateLimits) } : {}),
  };
}
