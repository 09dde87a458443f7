/**
 * @module bench/probe
 * Preloaded into the benchmarked server (`node --import test/bench/probe.ts api/_src/local.ts`) so that the bench can
 * count database work without a debug endpoint or header on the hot path. It adds nothing per request:
 * - PGlite's `query`/`exec`/`transaction` and the Neon driver's `Client.query` (the server on PostgreSQL, as the
 *   bench runs it) are wrapped with a counter (one increment per statement, none when an update check is answered
 *   from memory);
 * - the `ReleaseCache`, `UsageAnalytics` and `LicenseIndex` instances are captured on their first method call (then
 *   the original methods are put back) so that their own `loads`, `flushes` and `statements` counters can be read;
 * - the counts are sent over the IPC channel when the parent asks for `bench:stats`. Without IPC it does nothing.
 */
import { PGlite } from '@electric-sql/pglite';
import { Client as NeonClient } from '@neondatabase/serverless';
import { UsageAnalytics } from '../../api/_src/analytics/recorder.ts';
import { LicenseIndex } from '../../api/_src/licensing/index.ts';
import { ReleaseCache } from '../../api/_src/update/cache.ts';

export interface ProbeStats {
  /** PGlite `query` + `exec` and Neon `Client.query` calls since start. */
  statements: number;
  transactions: number;
  /** `ReleaseCache.loads`, or null if no instance was seen yet or it has no such counter. */
  releaseCacheLoads: number | null;
  /** `UsageAnalytics.flushes` (one statement each), or null if no instance was seen yet. */
  analyticsFlushes: number | null;
  /** `LicenseIndex.statements` (license loads, reloads and install writes), or null if no instance was seen yet. */
  licenseStatements: number | null;
}

type Fn = (this: unknown, ...args: unknown[]) => unknown;

/** The object on the prototype chain that owns `name` (PGlite keeps `query` on a base class). */
function ownerOf(proto: object, name: string): Record<string, Fn> | null {
  for (let p: object | null = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.prototype.hasOwnProperty.call(p, name)) return p as Record<string, Fn>;
  }
  return null;
}

if (process.send) {
  const stats: ProbeStats = { statements: 0, transactions: 0, releaseCacheLoads: null, analyticsFlushes: null, licenseStatements: null };
  const count = (name: string, field: 'statements' | 'transactions', proto: object = PGlite.prototype) => {
    const owner = ownerOf(proto, name);
    if (!owner) return;
    const original = owner[name]!;
    owner[name] = function counted(...args) {
      stats[field]++;
      return original.apply(this, args);
    };
  };
  count('query', 'statements');
  count('exec', 'statements');
  count('transaction', 'transactions');
  count('query', 'statements', NeonClient.prototype);

  /** The first instance of `type` whose methods are called; the original methods are put back at once. */
  const captureFirst = (type: { prototype: object }) => {
    const seen: { instance: unknown } = { instance: null };
    const proto = type.prototype as unknown as Record<string, Fn>;
    const methods = Object.getOwnPropertyNames(proto).filter((name) =>
      name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, name)?.value === 'function');
    const originals = new Map(methods.map((name) => [name, proto[name]!]));
    for (const [name, original] of originals) {
      proto[name] = function capture(...args) {
        seen.instance ??= this;
        for (const [n, o] of originals) proto[n] = o;
        return original.apply(this, args);
      };
    }
    return seen;
  };
  const cache = captureFirst(ReleaseCache);
  const analytics = captureFirst(UsageAnalytics);
  const licenses = captureFirst(LicenseIndex);
  const counter = (seen: { instance: unknown }, name: string) => {
    const value = (seen.instance as Record<string, unknown> | null)?.[name];
    return typeof value === 'number' ? value : null;
  };

  process.on('message', (message) => {
    if (message !== 'bench:stats') return;
    process.send!({ ...stats, releaseCacheLoads: counter(cache, 'loads'), analyticsFlushes: counter(analytics, 'flushes'), licenseStatements: counter(licenses, 'statements') });
  });
  process.channel?.unref();
}
