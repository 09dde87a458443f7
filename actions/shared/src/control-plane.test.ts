/**
 * The CI API client: retries and refusals against a scripted HTTP server (real sockets), and the OIDC exchange and
 * credential handling against the real control plane (control-plane-testing.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CREDENTIAL_ENV, CREDENTIAL_SCOPE_ENV, CredentialSource, exchangeOidcToken } from './ci-credentials.ts';
import { ControlPlaneError } from './ci-http.ts';
import { ControlPlane, normalizeServerUrl } from './control-plane.ts';
import { reusableCredential } from './control-plane-io.ts';
import { startLocalControlPlane, type LocalControlPlane } from './control-plane-testing.ts';
import { Secret } from './secret.ts';
import { memoryLogger } from './testing.ts';

type Script = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A server that answers request n with script n (the last one repeats), recording what it got. */
async function scripted(...scripts: Script[]) {
  const seen: Array<{ method: string; url: string; authorization: string; body: string }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization ?? '', body });
      scripts[Math.min(seen.length, scripts.length) - 1]!(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Script => (_req, _body, res) => {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close', ...headers });
  res.end(JSON.stringify(body));
};
const hangUp: Script = (req) => req.socket.destroy();

const VIEW = { id: 'r1', version: '1.2.3', status: 'draft', channel: 'stable', artifacts: [], update_url: 'http://x/update/a/{{target}}' };
const noSleep = (slept: number[]) => async (ms: number) => void slept.push(ms);

function client(url: string, credentials: CredentialSource, slept: number[] = [], logger = memoryLogger()) {
  return new ControlPlane({ serverUrl: url, app: 'my-app', credentials, logger, sleep: noSleep(slept), timeoutMs: 5_000 });
}
const apiKey = () => new CredentialSource({ apiKey: new Secret('api-key', 'trk_test'), logger: memoryLogger() });

describe('normalizeServerUrl', () => {
  it.each([
    ['https://updates.example.com/', 'https://updates.example.com'],
    ['https://example.com/tauri//', 'https://example.com/tauri'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
  ])('%s → %s', (input, expected) => expect(normalizeServerUrl(input)).toBe(expected));

  it.each([
    [undefined, 'Input server-url is empty'],
    ['updates.example.com', 'is not a URL'],
    ['ftp://example.com', 'must be an http(s) URL'],
    ['https://user:pw@example.com', 'without credentials, query or fragment'],
    ['https://example.com/?x=1', 'without credentials, query or fragment'],
  ])('refuses %s', (input, message) => expect(() => normalizeServerUrl(input)).toThrow(message));
});

describe('ControlPlane over HTTP', () => {
  it('retries a 503 (honouring Retry-After), a dropped connection and a 502, then returns the parsed answer', async () => {
    const server = await scripted(json(503, { error: { code: 'unavailable', message: 'storage is unavailable' } }, { 'retry-after': '3' }), hangUp, json(502, 'bad gateway'), json(201, VIEW));
    const slept: number[] = [];
    const logger = memoryLogger();
    const view = await client(server.url, apiKey(), slept, logger).createRelease({ version: '1.2.3' });
    expect(view).toEqual(VIEW);
    expect(server.seen.map((r) => `${r.method} ${r.url}`)).toEqual(Array(4).fill('POST /ci/apps/my-app/releases'));
    expect(server.seen.every((r) => r.authorization === 'Bearer trk_test' && r.body === '{"version":"1.2.3"}')).toBe(true);
    expect(slept).toEqual([3_000, 2_000, 4_000]);
    expect(logger.text()).toContain(`POST ${server.url}/ci/apps/my-app/releases failed: HTTP 503 unavailable: storage is unavailable; attempt 2 of 5 in 3.0 s`);
    expect(logger.text()).toContain('failed: no answer');
    await server.close();
  });

  it('reports a 4xx at once with the server\'s message, and gives up after five server errors', async () => {
    const refused = await scripted(json(422, { error: { code: 'invalid_request', message: 'artifact x refused by rule "sha256_mismatch": …' } }));
    const error = await client(refused.url, apiKey()).completeUpload('1.2.3', 'u1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneError);
    expect((error as ControlPlaneError).message).toBe(`POST ${refused.url}/ci/apps/my-app/releases/1.2.3/uploads/u1/complete failed: HTTP 422 invalid_request: artifact x refused by rule "sha256_mismatch": …`);
    expect(refused.seen).toHaveLength(1);
    await refused.close();

    const down = await scripted(json(500, { error: { code: 'internal', message: 'internal error' } }));
    const slept: number[] = [];
    await expect(client(down.url, apiKey(), slept).publish('1.2.3')).rejects.toThrow('HTTP 500 internal');
    expect(down.seen).toHaveLength(5);
    expect(slept).toEqual([1_000, 2_000, 4_000, 8_000]);
    await down.close();
  });

  it('a 401 with an API key says the key is wrong, without retrying', async () => {
    const server = await scripted(json(401, { error: { code: 'unauthorized', message: 'unknown API key' } }));
    await expect(client(server.url, apiKey()).publish('1.2.3')).rejects.toThrow('The api-key input is not a valid API key of this server');
    expect(server.seen).toHaveLength(1);
    await server.close();
  });

  it('a server or proxy that echoes the bearer back in its answer does not get it into the message or the log', async () => {
    const echo: Script = (req, _body, res) => {
      res.writeHead(502, { 'content-type': 'text/html', connection: 'close' });
      res.end(`<html>upstream refused request with header Authorization: ${req.headers.authorization}</html>`);
    };
    const echoJson: Script = (req, _body, res) => json(400, { error: { code: 'invalid_request', message: `bad token ${req.headers.authorization}` } })(req, _body, res);
    const server = await scripted(echo, echoJson);
    const logger = memoryLogger();
    const error = (await client(server.url, apiKey(), [], logger).publish('1.2.3').catch((e: unknown) => e)) as Error;
    expect(server.seen).toHaveLength(2);
    expect(error.message).toContain('HTTP 400 invalid_request: bad token Bearer ***');
    expect(logger.text()).toContain('Authorization: Bearer ***');
    expect(`${error.message}\n${logger.text()}`).not.toContain('trk_test');
    await server.close();
  });

  it('a server that never answers: after the attempts the message says to check server-url', async () => {
    const server = await scripted(hangUp);
    await expect(client(server.url, apiKey()).publish('1.2.3')).rejects.toThrow(
      /failed: no answer: .*\. Nothing answered after 5 attempts: check server-url \(the host and port, and that the runner can reach it\)/,
    );
    await server.close();
  });

  it('an answer that is not JSON, or not the expected shape, is an error naming the likely cause', async () => {
    const html = await scripted((_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'text/html', connection: 'close' });
      res.end('<html>login</html>');
    });
    await expect(client(html.url, apiKey()).publish('1.2.3')).rejects.toThrow('is the server URL a tauri-release server?');
    await html.close();
    const odd = await scripted(json(200, { id: 1 }));
    await expect(client(odd.url, apiKey()).publish('1.2.3')).rejects.toThrow('unexpected answer');
    await odd.close();
  });

  it('OIDC: a 401 drops the credential and exchanges a fresh token once; a token per exchange attempt', async () => {
    let issued = 0;
    const tokens: string[] = [];
    const server = await scripted(
      json(401, { error: { code: 'unauthorized', message: 'this CI credential expired' } }),
      json(200, VIEW),
    );
    const credentials = new CredentialSource({
      logger: memoryLogger(),
      reused: { token: new Secret('c', 'trci_old'), expiresAt: new Date(Date.now() + 10 * 60_000) },
      exchange: async () => ({ token: new Secret('c', `trci_new${++issued}`), expiresAt: new Date(Date.now() + 15 * 60_000), canPublish: true, repository: 'o/r', runId: '1' }),
      onIssued: (c) => tokens.push(c.token.reveal()),
    });
    await client(server.url, credentials).publish('1.2.3');
    expect(server.seen.map((r) => r.authorization)).toEqual(['Bearer trci_old', 'Bearer trci_new1']);
    expect(tokens).toEqual(['trci_new1']);
    expect(credentials.exchanges).toBe(1);
    await server.close();
  });

  it('a credential about to run out is exchanged again before the call', async () => {
    const server = await scripted(json(200, VIEW));
    let exchanges = 0;
    const credentials = new CredentialSource({
      logger: memoryLogger(),
      reused: { token: new Secret('c', 'trci_nearly_gone'), expiresAt: new Date(Date.now() + 60_000) },
      exchange: async () => ({ token: new Secret('c', `trci_${++exchanges}`), expiresAt: new Date(Date.now() + 900_000), canPublish: false, repository: 'o/r', runId: '1' }),
    });
    await client(server.url, credentials).publish('1.2.3');
    expect(server.seen[0]!.authorization).toBe('Bearer trci_1');
    await server.close();
  });
});

describe('exchangeOidcToken and the real control plane', () => {
  let cp: LocalControlPlane;
  beforeAll(async () => {
    cp = await startLocalControlPlane();
    await cp.createApp('my-app', { canPublish: false });
  }, 60_000);
  afterAll(() => cp?.close());

  const mintFor = (claims: Record<string, unknown> = {}) => async (audience: string) => cp.issuer.mint({ aud: audience, ...claims });

  it('exchanges a GitHub-shaped token for a masked credential that the CI API accepts', async () => {
    const masked: string[] = [];
    const issued = await exchangeOidcToken({ serverUrl: cp.url, app: 'my-app', audience: cp.url, getIdToken: mintFor(), mask: (v) => void masked.push(v), logger: memoryLogger() });
    expect(issued.token.reveal()).toMatch(/^trci_/);
    expect(masked).toEqual([issued.token.reveal()]);
    expect(issued).toMatchObject({ canPublish: false, repository: 'octo-org/octo-repo', runId: '1234567890' });
    expect(issued.expiresAt.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);

    const plane = new ControlPlane({ serverUrl: cp.url, app: 'my-app', credentials: new CredentialSource({ logger: memoryLogger(), exchange: async () => issued }), logger: memoryLogger() });
    const view = await plane.createRelease({ version: 'v2.0.0', notes: 'Hi' });
    expect(view).toMatchObject({ version: '2.0.0', status: 'draft', update_url: `${cp.url}/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}` });
    await expect(plane.publish('2.0.0')).rejects.toThrow('can_publish is false');
  });

  it('says what to do when the audience is wrong (401), no publisher matches (403) or trusted publishing is off (404)', async () => {
    const exchange = (getIdToken: (a: string) => Promise<string>, app = 'my-app', audience = cp.url) =>
      exchangeOidcToken({ serverUrl: cp.url, app, audience, getIdToken, mask: () => {}, logger: memoryLogger() });
    await expect(exchange(mintFor(), 'my-app', 'https://github.com/octo-org')).rejects.toThrow(/HTTP 401 .*audience requested \("https:\/\/github.com\/octo-org", input audience\) must equal the server's OIDC_AUDIENCE/s);
    await expect(exchange(mintFor({ repository: 'someone/else' }))).rejects.toThrow(/HTTP 403 .*No trusted publisher of app my-app accepts this run/s);
    const plain = await scripted(json(404, { error: { code: 'not_found', message: 'trusted publishing is not enabled on this server' } }));
    await expect(
      exchangeOidcToken({ serverUrl: plain.url, app: 'a', audience: 'x', getIdToken: async () => 'jwt', mask: () => {}, logger: memoryLogger() }),
    ).rejects.toThrow('Trusted publishing is not enabled on');
    await plain.close();
  });

  it('checks the answer against the server\'s schema (api/_src/protocol/ci.ts), masking the credential first', async () => {
    const odd = await scripted(json(200, { token: 'trci_odd', expires_at: '2030-01-01T00:00:00Z', can_publish: 'yes', repository: 'o/r', run_id: '1' }));
    const masked: string[] = [];
    const error = await exchangeOidcToken({ serverUrl: odd.url, app: 'a', audience: 'x', getIdToken: async () => 'jwt', mask: (v) => void masked.push(v), logger: memoryLogger() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneError);
    expect((error as Error).message).toMatch(/unexpected answer .*compatible version/);
    expect((error as Error).message).not.toContain('trci_odd');
    expect(masked).toEqual(['trci_odd']);
    await odd.close();
  });

  it('a runner without id-token: write: the message says to add the permission or pass api-key', async () => {
    await expect(
      exchangeOidcToken({ serverUrl: cp.url, app: 'my-app', audience: cp.url, getIdToken: async () => Promise.reject(new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable')), mask: () => {}, logger: memoryLogger() }),
    ).rejects.toThrow('Could not get the job\'s GitHub OIDC token (Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable). The job needs `permissions: id-token: write`');
  });

  it('an exchange whose answer is lost is retried with a fresh OIDC token (each is single-use)', async () => {
    const relay = await scripted(hangUp, async (req, body, res) => {
      const answer = await fetch(`${cp.url}/ci/token`, { method: 'POST', headers: { authorization: req.headers.authorization!, 'content-type': 'application/json' }, body });
      res.writeHead(answer.status, { 'content-type': 'application/json', connection: 'close' });
      res.end(await answer.text());
    });
    const minted: string[] = [];
    const issued = await exchangeOidcToken({
      serverUrl: relay.url,
      app: 'my-app',
      audience: cp.url,
      getIdToken: async (audience) => {
        const token = await cp.issuer.mint({ aud: audience });
        minted.push(token);
        return token;
      },
      mask: () => {},
      logger: memoryLogger(),
      sleep: async () => {},
    });
    expect(issued.token.reveal()).toMatch(/^trci_/);
    expect(minted).toHaveLength(2);
    expect(relay.seen.map((r) => r.authorization)).toEqual(minted.map((t) => `Bearer ${t}`));
    await relay.close();
  });
});

describe('reusableCredential', () => {
  const scope = (over: Record<string, string> = {}) => JSON.stringify({ server: 'https://u.example', app: 'a', expires_at: new Date(Date.now() + 600_000).toISOString(), ...over });

  it('takes the credential an earlier step left for the same server and app while it has time left', () => {
    const env = { [CREDENTIAL_ENV]: 'trci_x', [CREDENTIAL_SCOPE_ENV]: scope() };
    expect(reusableCredential(env, 'https://u.example', 'a')?.token.reveal()).toBe('trci_x');
    expect(reusableCredential(env, 'https://other.example', 'a')).toBeUndefined();
    expect(reusableCredential(env, 'https://u.example', 'b')).toBeUndefined();
    expect(reusableCredential({ ...env, [CREDENTIAL_SCOPE_ENV]: scope({ expires_at: new Date(Date.now() + 60_000).toISOString() }) }, 'https://u.example', 'a')).toBeUndefined();
    expect(reusableCredential({ ...env, [CREDENTIAL_SCOPE_ENV]: 'garbage' }, 'https://u.example', 'a')).toBeUndefined();
    expect(reusableCredential({ [CREDENTIAL_SCOPE_ENV]: scope() }, 'https://u.example', 'a')).toBeUndefined();
  });
});
