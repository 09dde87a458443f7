import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { base64url, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { generateSigningKey, type LocalIssuer, nowSeconds, startLocalIssuer } from '../../../../test/support/oidc-issuer.ts';
import { UnavailableError } from '../../http/errors.ts';
import { JWKS_COOLDOWN_MS, JWKS_MAX_AGE_MS } from './jwks.ts';
import { OidcRefusal } from './refusal.ts';
import { type ActionsVerifier, createActionsVerifier, OIDC_LEEWAY_SECONDS } from './verify.ts';

/** The refusal's rule, or 'ok', or the error's class name. */
async function outcome(verifier: ActionsVerifier, token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return 'ok';
  } catch (error) {
    if (error instanceof OidcRefusal) {
      // No refusal may echo the token, or even its signature part.
      if (token) expect(error.message).not.toContain(token);
      const signature = token.split('.')[2] ?? '';
      if (signature.length >= 16) expect(error.message).not.toContain(signature);
      return error.rule;
    }
    return (error as Error).name;
  }
}

describe('GitHub Actions OIDC verifier, against a local issuer over HTTP', () => {
  let issuer: LocalIssuer;
  let clock: number;
  let verifier: ActionsVerifier;
  const fresh = () => createActionsVerifier({ issuer: issuer.url, audience: issuer.audience, now: () => clock });

  beforeAll(async () => {
    issuer = await startLocalIssuer();
  });
  afterAll(async () => {
    await issuer.close();
  });
  beforeEach(() => {
    clock = Date.now();
    issuer.mode = 'up';
    verifier = fresh();
  });

  it('accepts a valid token and hands back its claims, tolerating unknown ones', async () => {
    const token = await issuer.mint({ brand_new_claim: 'x', repo_property_team: 'core' });
    const { claims, unknownClaims } = await verifier.verify(token);
    expect(claims).toMatchObject({ repository: 'octo-org/octo-repo', repository_id: '74', repository_owner_id: '65', aud: issuer.audience });
    expect(unknownClaims).toEqual(['brand_new_claim']);
  });

  it('never parses sub: a custom or missing sub changes nothing', async () => {
    expect(await outcome(verifier, await issuer.mint({ sub: 'job_workflow_ref:evil/evil/.github/workflows/x.yml@refs/heads/main' }))).toBe('ok');
    expect(await outcome(verifier, await issuer.mint({ sub: undefined }))).toBe('ok');
  });

  describe('§A2b.1 audience', () => {
    it.each([
      ['another service\'s audience', 'sts.amazonaws.com'],
      ['GitHub\'s default audience', 'https://github.com/octo-org'],
      ['a list containing ours', ['tauri-release:updates.test', 'other']],
      ['a list of only ours', ['tauri-release:updates.test']],
      ['a case variant', 'Tauri-Release:updates.test'],
      ['no aud at all', undefined],
    ])('refuses %s', async (_label, aud) => {
      expect(await outcome(verifier, await issuer.mint({ aud }))).toBe('audience');
    });
  });

  describe('§A2b.2 issuer', () => {
    it.each([
      ['a look-alike host', () => `${issuer.url}.evil.com`],
      ['a trailing slash', () => `${issuer.url}/`],
      ['GitHub\'s real issuer', () => 'https://token.actions.githubusercontent.com'],
      ['an extra path segment', () => `${issuer.url}/enterprise`],
      ['no iss', () => undefined],
    ])('refuses %s, before fetching any key', async (_label, iss) => {
      const before = { ...issuer.requests };
      expect(await outcome(verifier, await issuer.mint({ iss: iss() }))).toBe('issuer');
      expect(issuer.requests).toEqual(before);
    });
  });

  describe('§A2b.3 algorithm', () => {
    it('refuses HS256 signed with the public JWK as the secret', async () => {
      const secret = new TextEncoder().encode(JSON.stringify(issuer.current.publicJwk));
      const token = await new SignJWT(issuer.claims()).setProtectedHeader({ alg: 'HS256', kid: issuer.current.kid }).sign(secret);
      expect(await outcome(verifier, token)).toBe('algorithm');
    });

    it('refuses alg "none"', async () => {
      const token = new UnsecuredJWT(issuer.claims()).encode();
      // jose leaves the signature part empty; a compact JWS with an empty third part is not ours either.
      expect(['algorithm', 'token']).toContain(await outcome(verifier, token));
      const withKid = `${base64url.encode(JSON.stringify({ alg: 'none', kid: issuer.current.kid }))}.${token.split('.')[1]}.AAAA`;
      expect(await outcome(verifier, withKid)).toBe('algorithm');
    });

    it('refuses RS512 under a known kid', async () => {
      const { privateKey } = await generateKeyPair('RS512');
      const token = await new SignJWT(issuer.claims()).setProtectedHeader({ alg: 'RS512', kid: issuer.current.kid }).sign(privateKey);
      expect(await outcome(verifier, token)).toBe('algorithm');
    });
  });

  describe('§A2b.4 keys', () => {
    it('requires a kid', async () => {
      expect(await outcome(verifier, await issuer.mint({}, { kid: null }))).toBe('kid');
    });

    it('refuses a token signed by another key under a known kid', async () => {
      const stranger = await generateSigningKey(issuer.current.kid);
      expect(await outcome(verifier, await issuer.mint({}, { key: stranger }))).toBe('signature');
    });

    it('refuses a payload edited after signing', async () => {
      const [header, , signature] = (await issuer.mint()).split('.');
      const edited = base64url.encode(JSON.stringify(issuer.claims({ repository: 'evil/octo-repo' })));
      expect(await outcome(verifier, `${header}.${edited}.${signature}`)).toBe('signature');
    });

    it('refuses an unknown kid, and a flood of them costs one refetch per cooldown', async () => {
      expect(await outcome(verifier, await issuer.mint())).toBe('ok');
      const before = issuer.requests.jwks;
      const stranger = await generateSigningKey('nobody');
      for (let i = 0; i < 5; i++) {
        expect(await outcome(verifier, await issuer.mint({}, { key: stranger, kid: `made-up-${i}` }))).toBe('key');
      }
      expect(issuer.requests.jwks - before).toBe(0); // still within the cooldown of the first fetch
      clock += JWKS_COOLDOWN_MS;
      for (let i = 0; i < 5; i++) {
        expect(await outcome(verifier, await issuer.mint({}, { key: stranger, kid: `made-up-again-${i}` }))).toBe('key');
      }
      expect(issuer.requests.jwks - before).toBe(1);
    });

    it('accepts a rotated key after a refetch', async () => {
      expect(await outcome(verifier, await issuer.mint())).toBe('ok');
      const fetches = issuer.requests.jwks;
      await issuer.rotate({ retireOld: true });
      clock += JWKS_COOLDOWN_MS;
      expect(await outcome(verifier, await issuer.mint())).toBe('ok');
      expect(issuer.requests.jwks).toBe(fetches + 1);
    });

    it('accepts a key rotated in within the cooldown once the cooldown has passed, not before', async () => {
      expect(await outcome(verifier, await issuer.mint())).toBe('ok');
      await issuer.rotate();
      clock += 1_000;
      expect(await outcome(verifier, await issuer.mint())).toBe('key');
      clock += JWKS_COOLDOWN_MS;
      expect(await outcome(verifier, await issuer.mint())).toBe('ok');
    });

    it('shares one fetch between concurrent first lookups', async () => {
      const before = { ...issuer.requests };
      const tokens = await Promise.all([1, 2, 3, 4].map(() => issuer.mint()));
      const results = await Promise.all(tokens.map((token) => outcome(verifier, token)));
      expect(results).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(issuer.requests).toEqual({ discovery: before.discovery + 1, jwks: before.jwks + 1 });
    });

    it('keeps the keys it has through a JWKS outage, even when they are due for a refresh', async () => {
      expect(await outcome(verifier, await issuer.mint())).toBe('ok');
      issuer.mode = 'down';
      clock += JWKS_MAX_AGE_MS + JWKS_COOLDOWN_MS;
      const at = Math.floor(clock / 1000);
      const token = await issuer.mint({ iat: at, nbf: at - 600, exp: at + 300 });
      const before = issuer.requests.discovery;
      expect(await outcome(verifier, token)).toBe('ok');
      expect(issuer.requests.discovery).toBe(before + 1); // it did try
      // A key it never had cannot be vouched for: that is the issuer's outage, not the caller's fault.
      const stranger = await generateSigningKey('new-during-outage');
      expect(await outcome(verifier, await issuer.mint({ iat: at, nbf: at - 600, exp: at + 300 }, { key: stranger }))).toBe('UnavailableError');
    });

    it('never replaces its keys with an empty keyset', async () => {
      expect(await outcome(verifier, await issuer.mint())).toBe('ok');
      issuer.mode = 'empty';
      clock += JWKS_MAX_AGE_MS + JWKS_COOLDOWN_MS;
      const at = Math.floor(clock / 1000);
      expect(await outcome(verifier, await issuer.mint({ iat: at, nbf: at - 600, exp: at + 300 }))).toBe('ok');
    });

    it('answers 503, not a refusal, when it has never been able to fetch keys', async () => {
      issuer.mode = 'down';
      let caught: unknown;
      try {
        await verifier.verify(await issuer.mint());
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UnavailableError);
      expect((caught as UnavailableError).status).toBe(503);
    });

    it('ignores keys that are not RS256 signing keys, so a keyset of only those is no keyset', async () => {
      const saved = issuer.published;
      issuer.published = [
        { ...issuer.current, publicJwk: { ...issuer.current.publicJwk, use: 'enc' } },
        { ...issuer.current, publicJwk: { ...issuer.current.publicJwk, alg: 'RS512' } },
      ];
      try {
        expect(await outcome(verifier, await issuer.mint())).toBe('UnavailableError');
      } finally {
        issuer.published = saved;
      }
    });
  });

  describe('§A2b.5 times, with exactly the leeway', () => {
    const at = () => Math.floor(clock / 1000);
    it.each([
      ['exp just inside the leeway', 'ok', () => ({ exp: at() - OIDC_LEEWAY_SECONDS + 1 })],
      ['exp just past the leeway', 'exp', () => ({ exp: at() - OIDC_LEEWAY_SECONDS - 1 })],
      ['nbf just inside the leeway', 'ok', () => ({ nbf: at() + OIDC_LEEWAY_SECONDS - 1 })],
      ['nbf past the leeway', 'nbf', () => ({ nbf: at() + OIDC_LEEWAY_SECONDS + 1 })],
      ['iat in the future within the leeway', 'ok', () => ({ iat: at() + OIDC_LEEWAY_SECONDS - 1 })],
      ['iat in the future past the leeway', 'iat', () => ({ iat: at() + OIDC_LEEWAY_SECONDS + 1, exp: at() + 600 })],
      ['iat more than 10 minutes ago', 'iat', () => ({ iat: at() - 700, nbf: at() - 1300, exp: at() + 60 })],
      ['no exp', 'exp', () => ({ exp: undefined })],
      ['no iat', 'iat', () => ({ iat: undefined })],
    ])('%s → %s', async (_label, expected, times) => {
      expect(await outcome(verifier, await issuer.mint(times()))).toBe(expected);
    });
  });

  describe('§A2b.6 / §A2b.14 claims', () => {
    it.each([
      ['no jti', { jti: undefined }],
      ['a numeric jti', { jti: 12 }],
      ['no repository_owner_id', { repository_owner_id: undefined }],
      ['a numeric repository_id', { repository_id: 74 }],
      ['no workflow_ref', { workflow_ref: undefined }],
      ['no runner_environment', { runner_environment: undefined }],
      ['no job_workflow_ref', { job_workflow_ref: undefined }],
    ])('refuses %s', async (_label, overrides) => {
      expect(await outcome(verifier, await issuer.mint(overrides))).toBe('claims');
    });
  });

  describe('malformed input', () => {
    it.each([
      ['nothing', ''],
      ['a bare word', 'not-a-jwt'],
      ['two parts', 'a.b'],
      ['junk parts', 'a.b.c'],
      ['a huge token', `${'a'.repeat(20_000)}.b.c`],
      ['a JWE-shaped token', 'a.b.c.d.e'],
    ])('refuses %s with rule "token"', async (_label, token) => {
      expect(await outcome(verifier, token)).toBe('token');
    });
  });

  it('refuses to be built without an audience', () => {
    expect(() => createActionsVerifier({ issuer: issuer.url, audience: '' })).toThrow(/audience/);
  });

  it('uses the real clock by default', async () => {
    const real = createActionsVerifier({ issuer: issuer.url, audience: issuer.audience });
    expect(await outcome(real, await issuer.mint())).toBe('ok');
    const old = nowSeconds() - 3600;
    expect(await outcome(real, await issuer.mint({ iat: old, nbf: old, exp: old + 300 }))).toBe('exp');
  });
});
