/**
 * @module actions-token-server
 * A stand-in for the GitHub Actions runner's OIDC token service, so a bundled action's `core.getIDToken()` works
 * offline (docs/reference/github-actions.md §A3, §B7). `@actions/core` requests
 * `GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=<aud>` with `Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>`
 * and reads `{"value": <jwt>}` (node_modules/@actions/core/lib/oidc-utils.js). Here each job gets its own request
 * token and URL (shaped like the runner's `…/jobs/<job>/idtoken?api-version=2.0`), and tokens are minted by the
 * local test issuer (oidc-issuer.ts) with GitHub's claim set for that job's repository and run. Without an audience
 * the token gets GitHub's default, `https://github.com/<owner>`, as on GitHub.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalIssuer } from './oidc-issuer.ts';

export interface MintedToken {
  job: string;
  audience: string;
  token: string;
  claims: Record<string, unknown>;
}

export interface ActionsTokenServer {
  url: string;
  /** Every token handed out, in order. */
  minted: MintedToken[];
  /** Requests refused (no or wrong request token, unknown job). */
  refused: number;
  /**
   * A job of the run: the `ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN` pair its steps get. `claims` override the issuer's
   * defaults for this job (e.g. `repository`, `run_id`, `environment`).
   */
  job(name: string, claims?: Record<string, unknown>): { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string };
  /** The next `count` token requests fail with `status` (the runner service having a bad moment). */
  failNext(count: number, status?: number): void;
  close(): Promise<void>;
}

export async function startActionsTokenServer(issuer: LocalIssuer, runClaims: Record<string, unknown> = {}): Promise<ActionsTokenServer> {
  const jobs = new Map<string, { name: string; requestToken: string; claims: Record<string, unknown> }>();
  let failures = { count: 0, status: 500 };
  let server: Server;

  const tokenServer: ActionsTokenServer = {
    url: '',
    minted: [],
    refused: 0,
    job(name, claims = {}) {
      const id = randomUUID();
      const requestToken = randomBytes(24).toString('base64url');
      jobs.set(id, { name, requestToken, claims });
      return {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${tokenServer.url}/_apis/distributedtask/hubs/Actions/plans/${randomUUID()}/jobs/${id}/idtoken?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
      };
    },
    failNext(count, status = 500) {
      failures = { count, status };
    },
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };

  server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      const url = new URL(req.url ?? '/', tokenServer.url);
      const match = /\/jobs\/([0-9a-f-]{36})\/idtoken$/.exec(url.pathname);
      const job = match ? jobs.get(match[1]!) : undefined;
      if (req.method !== 'GET' || !job) {
        tokenServer.refused += 1;
        return send(404, { message: 'no such job' });
      }
      if (req.headers.authorization !== `Bearer ${job.requestToken}`) {
        tokenServer.refused += 1;
        return send(401, { message: 'bad request token' });
      }
      if (failures.count > 0) {
        failures.count -= 1;
        return send(failures.status, { message: 'token service unavailable' });
      }
      const claims = { ...runClaims, ...job.claims };
      const owner = String(claims.repository_owner ?? issuer.claims(claims).repository_owner);
      const audience = url.searchParams.get('audience') ?? `https://github.com/${owner}`;
      const token = await issuer.mint({ ...claims, aud: audience });
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      tokenServer.minted.push({ job: job.name, audience, token, claims: payload });
      send(200, { value: token });
    })().catch((error: unknown) => send(500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tokenServer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return tokenServer;
}
