/**
 * @module fluid-pool
 * What `attachDatabasePool` from `@vercel/functions` does for a pg-style pool, without the package (not a
 * dependency of this project): on Vercel's Fluid compute an instance may be suspended as soon as its requests
 * end, and an idle connection's timer does not run while it is suspended, so the connection outlives its idle
 * timeout and is cut by Neon or the network under the next request. Each time a client goes back to the pool,
 * the current request is asked (`waitUntil`, through the request context Vercel's runtime puts on `globalThis`)
 * to keep the instance up until the idle timeout has closed the connection.
 * Neon's guide for Vercel: a pool per instance at module scope, attached this way, with a short idle timeout.
 */

/** Vercel suggests about 5 s: long enough to reuse connections under traffic, short enough to keep instances briefly. */
export const FLUID_IDLE_TIMEOUT_MS = 5_000;

interface RequestContext {
  waitUntil?: (promise: Promise<unknown>) => void;
}

interface ReleasingPool {
  on(event: 'release', listener: () => void): unknown;
}

const REQUEST_CONTEXT = Symbol.for('@vercel/request-context');

function requestContext(): RequestContext {
  const holder = (globalThis as { [REQUEST_CONTEXT]?: { get?: () => RequestContext } })[REQUEST_CONTEXT];
  return holder?.get?.() ?? {};
}

/** True inside a Vercel function (not during a build, not locally). */
export function onVercelFunction(env: Record<string, string | undefined> = process.env): boolean {
  return Boolean(env.VERCEL_URL && env.VERCEL_REGION);
}

/**
 * Keeps the instance alive (`waitUntil`) for `idleTimeoutMs` + 100 ms after each release, the last release
 * extending the wait; a no-op outside a request context.
 */
export function attachPoolToFluidCompute(pool: ReleasingPool, idleTimeoutMs: number): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let settle: () => void = () => {};
  pool.on('release', () => {
    clearTimeout(timer);
    settle();
    const waitUntil = requestContext().waitUntil;
    if (!waitUntil) return;
    const idle = new Promise<void>((resolve) => {
      settle = resolve;
    });
    timer = setTimeout(() => settle(), idleTimeoutMs + 100);
    waitUntil(idle);
  });
}
