/**
 * A GitHub Actions OIDC issuer on 127.0.0.1 for tests (docs/reference/github-actions.md §A3): RSA keys, a discovery
 * document and a JWKS over real HTTP, and tokens minted with jose carrying GitHub's claims.
 * The test can rotate keys, take the JWKS down (HTTP 500) or serve an empty keyset, and count requests.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export const TEST_AUDIENCE = 'tauri-release:updates.test';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function generateSigningKey(kid: string = `k-${randomUUID().slice(0, 8)}`): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface MintOptions {
  /** Sign with this key (default: the issuer's current key). */
  key?: SigningKey;
  /** Header kid; null leaves it out. Default: the signing key's kid. */
  kid?: string | null;
  /** Claims to leave out. */
  omit?: string[];
}

export interface LocalIssuer {
  /** `http://127.0.0.1:<port>`: what OIDC_ISSUER is set to. */
  url: string;
  audience: string;
  /** The key new tokens are signed with. */
  current: SigningKey;
  /** Keys the JWKS serves. */
  published: SigningKey[];
  /** 'up': serve the keys; 'down': 500 on every request; 'empty': `{"keys": []}`. */
  mode: 'up' | 'down' | 'empty';
  requests: { discovery: number; jwks: number };
  /** GitHub-shaped claims for a tag push of octo-org/octo-repo, with `overrides` applied (undefined deletes). */
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
  mint(overrides?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** A new current key; the old one stays published unless `retireOld`. */
  rotate(options?: { retireOld?: boolean }): Promise<SigningKey>;
  close(): Promise<void>;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export async function startLocalIssuer(options: { audience?: string; path?: string } = {}): Promise<LocalIssuer> {
  const first = await generateSigningKey('k1');
  let server: Server;
  const issuer: LocalIssuer = {
    url: '',
    audience: options.audience ?? TEST_AUDIENCE,
    current: first,
    published: [first],
    mode: 'up',
    requests: { discovery: 0, jwks: 0 },
    claims(overrides = {}) {
      // Shaped like GitHub's: nbf = iat - 600, exp = iat + 300 (docs/reference/github-actions.md §A1 "Lifetimes").
      const iat = nowSeconds();
      const base: Record<string, unknown> = {
        jti: randomUUID(),
        sub: 'repo:octo-org/octo-repo:ref:refs/tags/v1.2.3',
        aud: issuer.audience,
        iss: issuer.url,
        iat,
        nbf: iat - 600,
        exp: iat + 300,
        ref: 'refs/tags/v1.2.3',
        ref_type: 'tag',
        ref_protected: 'true',
        sha: 'a'.repeat(40),
        repository: 'octo-org/octo-repo',
        repository_id: '74',
        repository_owner: 'octo-org',
        repository_owner_id: '65',
        repository_visibility: 'public',
        run_id: '1234567890',
        run_number: '42',
        run_attempt: '1',
        runner_environment: 'github-hosted',
        actor: 'octocat',
        actor_id: '583231',
        workflow: 'Release',
        workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.3',
        workflow_sha: 'a'.repeat(40),
        job_workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.3',
        job_workflow_sha: 'a'.repeat(40),
        event_name: 'push',
        head_ref: '',
        base_ref: '',
      };
      for (const [name, value] of Object.entries(overrides)) {
        if (value === undefined) delete base[name];
        else base[name] = value;
      }
      return base;
    },
    async mint(overrides = {}, mintOptions = {}) {
      const key = mintOptions.key ?? issuer.current;
      const claims = issuer.claims(overrides);
      for (const name of mintOptions.omit ?? []) delete claims[name];
      const kid = mintOptions.kid === undefined ? key.kid : mintOptions.kid;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(kid === null ? {} : { kid }), x5t: 'test' })
        .sign(key.privateKey);
    },
    async rotate({ retireOld = false } = {}) {
      const next = await generateSigningKey(`k${issuer.published.length + 1}-${randomUUID().slice(0, 4)}`);
      issuer.published = retireOld ? [next] : [...issuer.published, next];
      issuer.current = next;
      return next;
    },
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };

  const base = options.path ?? '';
  server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      // No keep-alive: no socket outlives the test file that started the issuer.
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(body));
    };
    if (req.url === `${base}/.well-known/openid-configuration`) {
      issuer.requests.discovery += 1;
      if (issuer.mode === 'down') return send(500, { error: 'down' });
      return send(200, {
        issuer: issuer.url,
        jwks_uri: `${issuer.url}/.well-known/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public', 'pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (req.url === `${base}/.well-known/jwks`) {
      issuer.requests.jwks += 1;
      if (issuer.mode === 'down') return send(500, { error: 'down' });
      return send(200, { keys: issuer.mode === 'empty' ? [] : issuer.published.map((key) => key.publicJwk) });
    }
    return send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${base}`;
  return issuer;
}
