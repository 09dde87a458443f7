/**
 * @module update/cache-control
 * How long update answers may be kept, and by whom. Open apps: a `shared` answer is the same for every install,
 * so a CDN may keep it; a `private` one (a staged rollout decided it from the install id, `Vary: X-Install-Id`)
 * only the install's own cache. Licensed apps: every answer is `private, no-store` with no ETag, since it
 * depends on the license presented (RFC 9111 §5.2.2.3, §5.2.2.7). Errors are never cached (see check.ts).
 */

export const INSTALL_VARY = 'X-Install-Id';

/** Every answer to a licensed app's check or download: kept by no cache, shared or not. */
export const LICENSED_CACHE_CONTROL = 'private, no-store';

/** How long answers may be kept (`UPDATE_MAX_AGE_SECONDS` and its two siblings in config.ts). */
export interface UpdateCacheSettings {
  /** Any cache, the client's included. */
  maxAgeSeconds: number;
  /** Shared caches (a CDN in front of the function). */
  sMaxAgeSeconds: number;
  /** How long past that a shared cache may answer with the old copy while it fetches a new one. */
  staleWhileRevalidateSeconds: number;
}

export const DEFAULT_UPDATE_CACHE_SETTINGS: Readonly<UpdateCacheSettings> = Object.freeze({ maxAgeSeconds: 60, sMaxAgeSeconds: 60, staleWhileRevalidateSeconds: 60 });

/**
 * The two Cache-Control values of an open app's update answer. `shared`: the same for every install, so a CDN may
 * keep it and answer other installs with it. `private`: decided by a staged rollout from the install id, so only
 * the install's own cache may keep it (a CDN must not, whatever it does with `Vary`).
 */
export function updateCacheControl(settings: Readonly<UpdateCacheSettings>): { readonly shared: string; readonly private: string } {
  const { maxAgeSeconds, sMaxAgeSeconds, staleWhileRevalidateSeconds } = settings;
  return Object.freeze({
    shared: `public, max-age=${maxAgeSeconds}, s-maxage=${sMaxAgeSeconds}, stale-while-revalidate=${staleWhileRevalidateSeconds}`,
    private: `private, max-age=${maxAgeSeconds}`,
  });
}

export type UpdateCacheControl = ReturnType<typeof updateCacheControl>;
export const DEFAULT_UPDATE_CACHE_CONTROL = updateCacheControl(DEFAULT_UPDATE_CACHE_SETTINGS);

/** A licensed app's 204: nothing newer this license may have. */
export const LICENSED_NO_CONTENT_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'cache-control': LICENSED_CACHE_CONTROL });

/**
 * The header sets of one answer, precomputed so neither adapter builds headers per check. `bodyLength`: the
 * 200's Content-Length, so neither adapter measures the body per check.
 */
export function headerSets(cacheControl: UpdateCacheControl, etag: string, bodyLength = 0) {
  const vary = { 'cache-control': cacheControl.private, vary: INSTALL_VARY, etag };
  const length = String(bodyLength);
  return {
    headers: Object.freeze({ 'content-type': 'application/json', 'cache-control': cacheControl.shared, etag, 'content-length': length }),
    notModifiedHeaders: Object.freeze({ 'cache-control': cacheControl.shared, etag }),
    privateHeaders: Object.freeze({ 'content-type': 'application/json', ...vary, 'content-length': length }),
    privateNotModifiedHeaders: Object.freeze(vary),
    // No ETag: a validator shared across licenses would let one license's copy be revalidated by another.
    licensedHeaders: Object.freeze({ 'content-type': 'application/json', 'cache-control': LICENSED_CACHE_CONTROL, 'content-length': length }),
  };
}
