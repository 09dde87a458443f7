/**
 * @module ci/oidc/jwks
 * The signing keys of one issuer, found the way OIDC discovery says: `<issuer>/.well-known/openid-configuration`
 * → `jwks_uri` → `{keys}`. The URLs come from the configured issuer only, never from a token (`jku`,
 * `x5u` and `jwk` headers are ignored).
 *
 * Cache rules (pypi/warehouse `services.py`, docs/reference/github-actions.md §A2b.4):
 * - keys are cached; an unknown `kid`, or a keyset older than `maxAgeMs`, triggers a refetch, at most one
 *   per `cooldownMs` (concurrent lookups share one fetch), so a stream of tokens with made-up `kid`s
 *   cannot turn into a stream of requests to the issuer;
 * - a failed fetch, or one with no usable key, never replaces the cached keys: an issuer outage does not
 *   drop keys we already trust; an empty keyset is never cached.
 */
import { loggedError } from '../../http/logged-error.ts';
import { importJWK, type JWK } from 'jose';

export const JWKS_COOLDOWN_MS = 60_000;
export const JWKS_MAX_AGE_MS = 10 * 60_000;
export const JWKS_TIMEOUT_MS = 5_000;
/** GitHub's documents are a few KiB; anything far larger is not a keyset. */
const MAX_DOCUMENT_BYTES = 256 * 1024;

export interface IssuerKeysOptions {
  /** Already validated (config.ts `checkOidcIssuer`). */
  issuer: string;
  now?: () => number;
  cooldownMs?: number;
  maxAgeMs?: number;
  timeoutMs?: number;
}

export type KeyLookup =
  | { status: 'found'; key: CryptoKey }
  /** The issuer's current keyset has no such `kid`. */
  | { status: 'unknown' }
  /** We could not learn the issuer's keys (and have none with this `kid`): an infrastructure problem. */
  | { status: 'unavailable'; reason: string };

export interface IssuerKeys {
  lookup(kid: string): Promise<KeyLookup>;
}

class JwksFetchError extends Error {
  override name = 'JwksFetchError';
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (error) {
    throw new JwksFetchError(`GET ${url} failed: ${(error as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new JwksFetchError(`GET ${url} answered ${response.status}`);
  }
  const text = await response.text();
  if (text.length > MAX_DOCUMENT_BYTES) throw new JwksFetchError(`GET ${url} returned more than ${MAX_DOCUMENT_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw new JwksFetchError(`GET ${url} did not return JSON`);
  }
}

/** Discovery, then the keyset; throws `JwksFetchError` unless at least one RS256 signing key results. */
export async function fetchIssuerKeys(issuer: string, timeoutMs = JWKS_TIMEOUT_MS): Promise<Map<string, CryptoKey>> {
  const discovery = (await getJson(`${issuer}/.well-known/openid-configuration`, timeoutMs)) as { issuer?: unknown; jwks_uri?: unknown };
  // OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the one it was fetched for.
  if (discovery?.issuer !== issuer) throw new JwksFetchError('the discovery document names another issuer');
  const jwksUri = typeof discovery.jwks_uri === 'string' && URL.canParse(discovery.jwks_uri) ? new URL(discovery.jwks_uri) : null;
  // Same origin as the validated issuer, so the keys come from where the issuer's name says.
  if (!jwksUri || jwksUri.origin !== new URL(issuer).origin) throw new JwksFetchError('jwks_uri is missing or not on the issuer\'s origin');

  const jwks = (await getJson(jwksUri.href, timeoutMs)) as { keys?: unknown };
  const keys = new Map<string, CryptoKey>();
  for (const jwk of Array.isArray(jwks?.keys) ? (jwks.keys as JWK[]) : []) {
    if (jwk?.kty !== 'RSA' || typeof jwk.kid !== 'string' || jwk.kid === '') continue;
    if ((jwk.alg !== undefined && jwk.alg !== 'RS256') || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    try {
      keys.set(jwk.kid, (await importJWK({ kty: jwk.kty, n: jwk.n, e: jwk.e }, 'RS256')) as CryptoKey);
    } catch {
      // One malformed key does not make the others unusable.
    }
  }
  if (keys.size === 0) throw new JwksFetchError('the issuer\'s keyset has no usable RS256 key');
  return keys;
}

export function createIssuerKeys(options: IssuerKeysOptions): IssuerKeys {
  const { issuer } = options;
  const now = options.now ?? Date.now;
  const cooldownMs = options.cooldownMs ?? JWKS_COOLDOWN_MS;
  const maxAgeMs = options.maxAgeMs ?? JWKS_MAX_AGE_MS;
  const timeoutMs = options.timeoutMs ?? JWKS_TIMEOUT_MS;

  let keys = new Map<string, CryptoKey>();
  let fetchedAt = -Infinity;
  let attemptedAt = -Infinity;
  let lastError: string | null = null;
  let inflight: Promise<void> | null = null;

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      attemptedAt = now();
      try {
        keys = await fetchIssuerKeys(issuer, timeoutMs);
        fetchedAt = now();
        lastError = null;
      } catch (error) {
        // Keep the keys we have; remember why, for the lookups that need a key we do not have.
        lastError = error instanceof JwksFetchError ? error.message : `fetching the issuer's keys failed: ${String(error)}`;
        if (!(error instanceof JwksFetchError)) console.error(`OIDC key fetch failed: ${loggedError(error)}`);
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  }

  return {
    async lookup(kid) {
      const stale = now() - fetchedAt > maxAgeMs;
      if (keys.has(kid) && !stale) return { status: 'found', key: keys.get(kid)! };
      if (inflight || now() - attemptedAt >= cooldownMs) await refresh();
      const key = keys.get(kid);
      if (key) return { status: 'found', key };
      if (lastError !== null) return { status: 'unavailable', reason: lastError };
      return { status: 'unknown' };
    },
  };
}
