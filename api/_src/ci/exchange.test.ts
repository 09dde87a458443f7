import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Hono } from 'hono';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { type LocalIssuer, startLocalIssuer } from '../../../test/support/oidc-issuer.ts';
import type { NewTrustedPublisher } from '../../../db/schema.ts';
import { type AdminEnv, principalOf } from '../auth/authenticate.ts';
import { generateApiKey } from '../auth/keys.ts';
import { errorResponse } from '../http/errors.ts';
import { ciAuth, ciRunOf, hashCiCredential, requirePublishRight } from './credential.ts';
import { ciRoutes } from './routes.ts';

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

const ruleOf = (answer: Answer): string | undefined => /by rule "([a-z_]+)"/.exec(answer.body?.error?.message ?? '')?.[1];

describe('POST /ci/token', () => {
  let issuer: LocalIssuer;
  let ctx: TestContext;
  let appId: string;

  async function exchange(token: string | null, body: unknown = { app: 'octo-app' }): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const res = await ctx.app.request('/ci/token', { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json(), headers: res.headers };
  }

  async function bind(overrides: Partial<NewTrustedPublisher> = {}): Promise<string> {
    const row = await ctx.database.db
      .insertInto('trusted_publishers')
      .values({
        app_id: appId,
        repository: 'octo-org/octo-repo',
        repository_id: '74',
        repository_owner_id: '65',
        workflow: 'release.yml',
        allowed_refs: JSON.stringify([]),
        ...overrides,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async function auditRows(action: string) {
    return ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();
  }

  /** A tiny CI API: what the next routes will look like, to prove the credential works as a Principal. */
  function whoAmI(now?: () => number) {
    const api = new Hono<AdminEnv>();
    api.onError(errorResponse);
    api.use('*', ciAuth(ctx.database.db, ctx.config, now));
    api.get('/whoami', (c) => c.json({ principal: principalOf(c), run: ciRunOf(principalOf(c)) }));
    api.post('/publish', (c) => {
      requirePublishRight(principalOf(c));
      return c.json({ published: true });
    });
    return async (credential: string, path = '/whoami', method = 'GET'): Promise<Answer> => {
      const res = await api.request(path, { method, headers: { authorization: `Bearer ${credential}` } });
      return { status: res.status, body: await res.json(), headers: res.headers };
    };
  }

  beforeAll(async () => {
    issuer = await startLocalIssuer();
    // Dozens of refused tokens from one in-process address: the failed-authentication limit is api/_src/rate-limit's subject.
    ctx = await createTestContext({ env: { OIDC_ISSUER: issuer.url, OIDC_AUDIENCE: issuer.audience, RATE_LIMITS: 'off' } });
    appId = (await ctx.database.db.insertInto('apps').values({ slug: 'octo-app', name: 'Octo' }).returning('id').executeTakeFirstOrThrow()).id;
    await ctx.database.db.insertInto('apps').values({ slug: 'other-app', name: 'Other' }).execute();
  });
  afterAll(async () => {
    await ctx.close();
    await issuer.close();
  });
  beforeEach(async () => {
    await ctx.database.db.deleteFrom('trusted_publishers').execute();
  });

  it('exchanges a valid token for a 15-minute credential scoped to the app and the run', async () => {
    const publisherId = await bind({ can_publish: true });
    const token = await issuer.mint();
    const before = Date.now();
    const answer = await exchange(token);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      app: 'octo-app',
      can_publish: true,
      publisher_id: publisherId,
      repository: 'octo-org/octo-repo',
      run_id: '1234567890',
      run_attempt: '1',
    });
    const credential: string = answer.body.token;
    expect(credential).toMatch(/^trci_[A-Za-z0-9_-]{43}$/);
    const expiresAt = Date.parse(answer.body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000);

    // Stored as a hash, with the run it belongs to.
    const row = await ctx.database.db.selectFrom('ci_credentials').selectAll().where('token_hash', '=', hashCiCredential(credential)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      app_id: appId,
      publisher_id: publisherId,
      sha: 'a'.repeat(40),
      ref: 'refs/tags/v1.2.3',
      workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.3',
      job_workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.3',
      can_publish: true,
    });

    // The jti is remembered until exp + leeway (30 s) + margin (5 s).
    const jti = await ctx.database.db.selectFrom('oidc_jti').selectAll().where('jti', '=', row.jti).executeTakeFirstOrThrow();
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    expect(new Date(jti.expires_at).getTime()).toBe((exp + 35) * 1000);

    const [issued] = (await auditRows('ci.token.issue')).slice(-1);
    expect(issued).toMatchObject({ actor: 'oidc:octo-org/octo-repo@1234567890', app_id: appId, target: `trusted_publisher:${publisherId}` });
    expect(issued!.details).toMatchObject({ credential_id: row.id, event_name: 'push', reusable_workflow: false, sha: 'a'.repeat(40) });

    // Neither the OIDC token nor the credential is anywhere in the database.
    const everything = JSON.stringify([
      await ctx.database.db.selectFrom('audit_log').selectAll().execute(),
      await ctx.database.db.selectFrom('ci_credentials').selectAll().execute(),
      await ctx.database.db.selectFrom('oidc_jti').selectAll().execute(),
    ]);
    expect(everything).not.toContain(token.split('.')[2]);
    expect(everything).not.toContain(credential);
  });

  it('gives a credential that authenticates as a ci Principal carrying its run, alongside API keys', async () => {
    await bind();
    const { body } = await exchange(await issuer.mint({ job_workflow_ref: 'shared-org/pipelines/.github/workflows/tauri.yml@refs/heads/v2' }));
    const call = whoAmI();
    const me = await call(body.token);
    expect(me.status).toBe(200);
    expect(me.body.principal).toMatchObject({ actor: 'oidc:octo-org/octo-repo@1234567890', scope: 'ci', appId, keyId: null });
    expect(me.body.run).toMatchObject({
      runId: '1234567890',
      runAttempt: '1',
      sha: 'a'.repeat(40),
      jobWorkflowRef: 'shared-org/pipelines/.github/workflows/tauri.yml@refs/heads/v2',
      canPublish: false,
    });

    // A static CI key goes through the same middleware.
    const key = generateApiKey();
    await ctx.database.db.insertInto('api_keys').values({ name: 'ci', scope: 'ci', app_id: appId, key_hash: key.hash, key_prefix: key.displayPrefix }).execute();
    const viaKey = await call(key.key);
    expect(viaKey.body.principal).toMatchObject({ scope: 'ci', appId });
    expect(viaKey.body.run).toBeNull();

    expect((await call('trci_not-a-real-credential')).status).toBe(401);
  });

  it('refuses an expired credential', async () => {
    await bind();
    const { body } = await exchange(await issuer.mint());
    expect((await whoAmI(() => Date.now() + 14 * 60_000)(body.token)).status).toBe(200);
    const late = await whoAmI(() => Date.now() + 15 * 60_000 + 1000)(body.token);
    expect(late.status).toBe(401);
    expect(late.body.error.message).toMatch(/expired/);
  });

  it('limits a drafts-only publisher\'s credential, and follows a later downgrade', async () => {
    const publisherId = await bind({ can_publish: true });
    const { body } = await exchange(await issuer.mint());
    const call = whoAmI();
    expect((await call(body.token, '/publish', 'POST')).status).toBe(200);
    await ctx.database.db.updateTable('trusted_publishers').set({ can_publish: false }).where('id', '=', publisherId).execute();
    const refused = await call(body.token, '/publish', 'POST');
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/drafts only/);
  });

  it('revokes the credentials of a deleted publisher', async () => {
    const publisherId = await bind();
    const { body } = await exchange(await issuer.mint());
    await ctx.database.db.deleteFrom('trusted_publishers').where('id', '=', publisherId).execute();
    expect((await whoAmI()(body.token)).status).toBe(401);
  });

  describe('replay (§A2b.6)', () => {
    it('accepts a token once', async () => {
      await bind();
      const token = await issuer.mint();
      expect((await exchange(token)).status).toBe(200);
      const again = await exchange(token);
      expect(again.status).toBe(401);
      expect(ruleOf(again)).toBe('jti');
      // Even for another app that would accept it.
      await ctx.database.db.insertInto('trusted_publishers').values({
        app_id: (await ctx.database.db.selectFrom('apps').select('id').where('slug', '=', 'other-app').executeTakeFirstOrThrow()).id,
        repository: 'octo-org/octo-repo', repository_id: '74', repository_owner_id: '65', allowed_refs: '[]',
      }).execute();
      expect(ruleOf(await exchange(token, { app: 'other-app' }))).toBe('jti');
    });

    it('lets exactly one of two simultaneous exchanges win', async () => {
      await bind();
      const token = await issuer.mint();
      const answers = await Promise.all([exchange(token), exchange(token), exchange(token)]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401]);
      expect(answers.filter((a) => a.status === 401).map(ruleOf)).toEqual(['jti', 'jti']);
    });

    it('forgets jtis once their tokens can no longer verify', async () => {
      await bind();
      await ctx.database.db.insertInto('oidc_jti').values({ jti: 'long-gone', expires_at: new Date(Date.now() - 1000) }).execute();
      expect((await exchange(await issuer.mint())).status).toBe(200);
      expect(await ctx.database.db.selectFrom('oidc_jti').select('jti').where('jti', '=', 'long-gone').executeTakeFirst()).toBeUndefined();
    });
  });

  describe('each pitfall is refused for its own reason (docs/reference/github-actions.md §A2b)', () => {
    const tokenCases: [string, Record<string, unknown>, string][] = [
      ['§1 a token for another audience', { aud: 'sts.amazonaws.com' }, 'audience'],
      ['§1 an audience list that includes ours', { aud: ['tauri-release:updates.test', 'sigstore'] }, 'audience'],
      ['§2 a look-alike issuer', { iss: 'https://token.actions.githubusercontent.com.evil.com' }, 'issuer'],
      ['§5 an expired token', { exp: Math.floor(Date.now() / 1000) - 60 }, 'exp'],
      ['§5 a token from the future', { iat: Math.floor(Date.now() / 1000) + 120, nbf: Math.floor(Date.now() / 1000) + 120 }, 'nbf'],
      ['§6 a token without jti', { jti: undefined }, 'claims'],
      ['§14 a numeric id', { repository_owner_id: 65 }, 'claims'],
    ];
    it.each(tokenCases)('401 for %s', async (_label, overrides, rule) => {
      await bind();
      const token = await issuer.mint(overrides);
      const answer = await exchange(token);
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('unauthorized');
      expect(ruleOf(answer)).toBe(rule);
      expect(answer.body.error.message).not.toContain(token.split('.')[2]);
    });

    const policyCases: [string, Partial<NewTrustedPublisher>, Record<string, unknown>, string][] = [
      ['§7 the owner account re-created (same name, new id)', {}, { repository_owner_id: '999' }, 'repository_owner_id'],
      ['§7 the repository re-created (same name, new id)', {}, { repository_id: '999' }, 'repository_id'],
      ['§7 a renamed repository (same id, new name)', {}, {
        repository: 'octo-org/renamed',
        workflow_ref: 'octo-org/renamed/.github/workflows/release.yml@refs/tags/v1.2.3',
      }, 'repository'],
      ['a repository the app has no publisher for', {}, {
        repository: 'evil-org/octo-repo', repository_id: '666', repository_owner_id: '667',
        workflow_ref: 'evil-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.3',
      }, 'publisher'],
      ['§8/§10 another workflow file', {}, { workflow_ref: 'octo-org/octo-repo/.github/workflows/ci.yml@refs/tags/v1.2.3' }, 'workflow_ref'],
      ['§10 a workflow named to confuse a parser', {}, {
        workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@evil.yml@refs/tags/v1.2.3',
      }, 'workflow_ref'],
      ['§9 pull_request_target', {}, { event_name: 'pull_request_target' }, 'event_name'],
      ['§9 workflow_run', {}, { event_name: 'workflow_run' }, 'event_name'],
      ['§9 issue_comment', {}, { event_name: 'issue_comment' }, 'event_name'],
      ['§11 a branch when only tags may publish', { allowed_refs: JSON.stringify(['refs/tags/v*']) }, {
        ref: 'refs/heads/main', workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main',
      }, 'ref'],
      ['§11 no environment when one is required', { environment: 'release' }, {}, 'environment'],
      ['§11 another environment', { environment: 'release' }, { environment: 'staging' }, 'environment'],
      ['§12 a self-hosted runner', {}, { runner_environment: 'self-hosted' }, 'runner_environment'],
    ];
    it.each(policyCases)('403 for %s', async (_label, binding, overrides, rule) => {
      await bind(binding);
      const token = await issuer.mint(overrides);
      const answer = await exchange(token);
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('forbidden');
      expect(ruleOf(answer)).toBe(rule);
      expect(answer.body.error.message).not.toContain(token.split('.')[2]);
      // Audited with the rule and the run it came from.
      const [row] = (await auditRows('ci.token.refuse')).slice(-1);
      expect(row!.details).toMatchObject({ rule, app: 'octo-app', run_id: '1234567890' });
      expect(row!.app_id).toBe(appId);
    });

    const acceptedCases: [string, Partial<NewTrustedPublisher>, Record<string, unknown>][] = [
      ['§7 the repository in another case', {}, {
        repository: 'Octo-Org/Octo-Repo', workflow_ref: 'Octo-Org/Octo-Repo/.github/workflows/release.yml@refs/tags/v1.2.3',
      }],
      ['§8 a reusable workflow called by the bound workflow', {}, { job_workflow_ref: 'shared/pipelines/.github/workflows/publish.yml@v1' }],
      ['§11 a tag when tags may publish', { allowed_refs: JSON.stringify(['refs/tags/v*']) }, {}],
      ['§11 the environment in another case', { environment: 'release' }, { environment: 'Release' }],
      ['§12 a self-hosted runner when allowed', { allow_self_hosted: true }, { runner_environment: 'self-hosted' }],
      ['§13 a custom sub', {}, { sub: 'repo:octo-org@65/octo-repo@74:ref:refs/tags/v1.2.3' }],
      ['§15 claims we have never heard of', {}, { check_run_id: '1', brand_new_claim: { nested: true } }],
    ];
    it.each(acceptedCases)('200 for %s', async (_label, binding, overrides) => {
      await bind(binding);
      const answer = await exchange(await issuer.mint(overrides));
      expect(answer.status).toBe(200);
    });

    it('records unknown claims and reusable workflows in the audit log', async () => {
      await bind();
      await exchange(await issuer.mint({ brand_new_claim: 'x', job_workflow_ref: 'shared/pipelines/.github/workflows/publish.yml@v1' }));
      const [row] = (await auditRows('ci.token.issue')).slice(-1);
      expect(row!.details).toMatchObject({ unknown_claims: ['brand_new_claim'], reusable_workflow: true });
    });
  });

  it('answers an unknown app exactly like an app without a publisher for the repository', async () => {
    await bind();
    const unknown = await exchange(await issuer.mint(), { app: 'no-such-app' });
    const unbound = await exchange(await issuer.mint(), { app: 'other-app' });
    expect(unknown.status).toBe(403);
    expect(ruleOf(unknown)).toBe('publisher');
    expect(unknown.body).toEqual(unbound.body);
  });

  it('refuses a request without a bearer token, and audits it', async () => {
    for (const token of [null, '']) {
      const answer = await exchange(token);
      expect(answer.status).toBe(401);
      expect(ruleOf(answer)).toBe('token');
    }
    const [row] = (await auditRows('ci.token.refuse')).slice(-1);
    expect(row).toMatchObject({ actor: 'oidc:unverified', app_id: null });
    expect(row!.details).toMatchObject({ rule: 'token', app: 'octo-app' });
  });

  it('answers 400 for a bad body, before looking at the token', async () => {
    for (const body of [{}, { app: 'Not A Slug' }, { app: 'octo-app', extra: 1 }, 'octo-app']) {
      const answer = await exchange(await issuer.mint(), body);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
    }
  });

  it('is off without OIDC_AUDIENCE, and says how to turn it on', async () => {
    const off = new Hono();
    off.onError(errorResponse);
    off.route('/ci', ciRoutes({ ...ctx.deps, config: { ...ctx.config, oidc: { issuer: issuer.url, audience: undefined } } }));
    const res = await off.request('/ci/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await issuer.mint()}` },
      body: '{"app":"octo-app"}',
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/OIDC_AUDIENCE/);
  });
});
