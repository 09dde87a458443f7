/**
 * @module ci/oidc/verify
 * Verifies a GitHub Actions OIDC token as a token: ours, from our issuer, signed with one of its keys,
 * current, and carrying the claims the publisher checks need. Whether a trusted publisher accepts the
 * run is `claims.ts`; whether the token was used before is the replay store in `exchange.ts`.
 *
 * Order (pypi/warehouse `views.py`, docs/reference/github-actions.md §A2): header (`alg`, `kid`) and the unverified `iss`
 * are checked before any key lookup, so a token from another issuer, or with another algorithm, never
 * makes us fetch anything; then the signature and claims with every jose option written out.
 *
 * @example
 * const verifier = createActionsVerifier({ issuer: config.oidc.issuer, audience: 'tauri-release:updates.example.com' });
 * const { claims, unknownClaims } = await verifier.verify(bearerToken); // throws OidcRefusal or UnavailableError
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyOptions } from 'jose';
import { UnavailableError } from '../../http/errors.ts';
import { type ActionsClaims, checkClaimsExistence } from './claims.ts';
import { createIssuerKeys, type IssuerKeys, type IssuerKeysOptions } from './jwks.ts';
import { quote, refuse } from './refusal.ts';

/**
 * Clock skew allowed on `exp`, `nbf` and `iat`. The replay store keeps a `jti` until `exp` plus this plus
 * `REPLAY_MARGIN_SECONDS`, so a token can never verify again after its `jti` is forgotten.
 */
export const OIDC_LEEWAY_SECONDS = 30;
export const REPLAY_MARGIN_SECONDS = 5;
/** GitHub's tokens live 5 minutes after `iat`; refuse anything claiming to be much older than that. */
export const MAX_TOKEN_AGE_SECONDS = 10 * 60;
/** GitHub's tokens are about 1–2 KiB. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface ActionsVerifierOptions {
  /** Exactly the `iss` tokens must carry; validated by config.ts `checkOidcIssuer`. */
  issuer: string;
  /** Exactly the `aud` tokens must carry, as a single string. */
  audience: string;
  /** Milliseconds since the epoch; tests move it. */
  now?: () => number;
  keys?: Omit<IssuerKeysOptions, 'issuer' | 'now'>;
}

export interface VerifiedToken {
  claims: ActionsClaims;
  /** Claims no table in claims.ts knows: tolerated, recorded so drift gets noticed. */
  unknownClaims: string[];
}

export interface ActionsVerifier {
  readonly issuer: string;
  readonly audience: string;
  verify(token: string): Promise<VerifiedToken>;
}

/** Turns jose's verification errors into refusals; anything else is not the token's fault and is rethrown. */
function refusalFor(error: unknown): Error {
  if (error instanceof errors.JWSSignatureVerificationFailed) return refuse('signature', 'the signature does not verify with the issuer\'s key');
  if (error instanceof errors.JOSEAlgNotAllowed) return refuse('algorithm', 'only RS256 is accepted');
  if (error instanceof errors.JWTExpired) {
    return error.claim === 'iat'
      ? refuse('iat', `the token was issued more than ${MAX_TOKEN_AGE_SECONDS} s ago`)
      : refuse('exp', `the token has expired (exp, with ${OIDC_LEEWAY_SECONDS} s leeway); request a new one`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') {
      const rule = ({ aud: 'audience', iss: 'issuer', exp: 'exp', iat: 'iat' } as const)[error.claim as 'aud'] ?? 'claims';
      return refuse(rule, `the token has no "${error.claim}" claim`);
    }
    if (error.claim === 'nbf') return refuse('nbf', `the token is not valid yet (nbf, with ${OIDC_LEEWAY_SECONDS} s leeway)`);
    if (error.claim === 'iat') return refuse('iat', `the token claims to be issued in the future (iat, with ${OIDC_LEEWAY_SECONDS} s leeway)`);
    if (error.claim === 'aud') return refuse('audience', 'the token was not requested for this service');
    if (error.claim === 'iss') return refuse('issuer', 'the token is not from the configured issuer');
    return refuse('claims', `the "${error.claim}" claim is invalid`);
  }
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid || error instanceof errors.JOSENotSupported) {
    return refuse('token', 'the token is not a well-formed signed JWT');
  }
  return error as Error;
}

export function createActionsVerifier(options: ActionsVerifierOptions): ActionsVerifier {
  const { issuer, audience } = options;
  // Checked when the app is built, not on the first request, as hono's own bearerAuth() and jwk() do (honojs/hono:src/middleware/jwk/jwk.ts).
  if (!issuer || !audience) throw new TypeError('createActionsVerifier needs an issuer and an audience');
  const now = options.now ?? Date.now;
  const keys: IssuerKeys = createIssuerKeys({ ...options.keys, issuer, now });

  /** Every option spelled out, even where it is jose's default, to state the intended behaviour. */
  const verifyOptions = (): JWTVerifyOptions => ({
    algorithms: ['RS256'],
    issuer,
    audience,
    requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
    clockTolerance: OIDC_LEEWAY_SECONDS,
    maxTokenAge: MAX_TOKEN_AGE_SECONDS, // also refuses an `iat` in the future (beyond the leeway)
    currentDate: new Date(now()),
  });

  return {
    issuer,
    audience,
    async verify(token) {
      if (!token) throw refuse('token', 'no token was sent');
      if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
        throw refuse('token', 'the token is not a compact JWS (three base64url parts separated by dots)');
      }
      let header: ReturnType<typeof decodeProtectedHeader>;
      let unverified: ReturnType<typeof decodeJwt>;
      try {
        header = decodeProtectedHeader(token);
        unverified = decodeJwt(token);
      } catch {
        throw refuse('token', 'the token\'s header or payload is not base64url-encoded JSON');
      }
      if (header.alg !== 'RS256') throw refuse('algorithm', `alg ${quote(header.alg)} is not accepted; only RS256 is`);
      if (typeof header.kid !== 'string' || header.kid === '' || header.kid.length > 256) {
        throw refuse('kid', 'the token header has no "kid", so the signing key cannot be chosen');
      }
      // Exact string comparison, before anything is fetched: no prefix match, no trailing-slash tolerance.
      if (unverified.iss !== issuer) {
        throw refuse('issuer', `iss ${quote(unverified.iss)} is not the configured issuer ${quote(issuer)}`);
      }

      const found = await keys.lookup(header.kid);
      if (found.status === 'unavailable') throw new UnavailableError(`OIDC issuer ${issuer} (${found.reason})`);
      if (found.status === 'unknown') throw refuse('key', `the issuer has no key with kid ${quote(header.kid)}`);

      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, found.key, verifyOptions()));
      } catch (error) {
        throw refusalFor(error);
      }
      // jose accepts a list that contains our audience; a token meant for several services is not ours.
      if (typeof payload.aud !== 'string') throw refuse('audience', 'aud must be a single string, not a list');
      // The replay store keys on it, so it must be a usable key (GitHub sends a UUID).
      if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) {
        throw refuse('claims', 'jti must be a non-empty string of at most 256 characters');
      }

      const { claims, unknown } = checkClaimsExistence(payload);
      return { claims, unknownClaims: unknown };
    },
  };
}
