import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Hono } from 'hono';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { type LocalIssuer, startLocalIssuer } from '../../../test/support/oidc-issuer.ts';
import type { ApiKeyScope } from '../../../db/schema.ts';
import { errorResponse } from '../http/errors.ts';
import { type AdminEnv, apiKeyAuth } from '../auth/authenticate.ts';
import { generateApiKey } from '../auth/keys.ts';
import { publisherRoutes } from './publishers.ts';

interface Answer {
  status: number;
  body: any;
}

describe('/admin/apps/{app}/publishers', () => {
  let issuer: LocalIssuer;
  let ctx: TestContext;
  let admin: Hono<AdminEnv>;
  let appId: string;
  let otherAppId: string;

  // Mounted as admin/routes.ts mounts it, so this test does not depend on that file's state.
  async function call(method: string, path: string, body?: unknown, auth = ctx.adminAuth): Promise<Answer> {
    const headers: Record<string, string> = { authorization: auth };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await admin.request(`/admin/apps/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async function keyFor(scope: ApiKeyScope, app: string | null): Promise<string> {
    const key = generateApiKey();
    await ctx.database.db.insertInto('api_keys').values({ name: scope, scope, app_id: app, key_hash: key.hash, key_prefix: key.displayPrefix }).execute();
    return `Bearer ${key.key}`;
  }

  async function lastAudit(action: string) {
    const rows = await ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id', 'desc').limit(1).execute();
    return rows[0];
  }

  const valid = { repository: 'octo-org/octo-repo', repository_id: '74', repository_owner_id: '65', workflow: 'release.yml' };

  beforeAll(async () => {
    issuer = await startLocalIssuer();
    ctx = await createTestContext({ env: { OIDC_ISSUER: issuer.url, OIDC_AUDIENCE: issuer.audience } });
    admin = new Hono<AdminEnv>();
    admin.onError(errorResponse);
    admin.use('/admin/*', apiKeyAuth(ctx.database.db, ctx.config));
    admin.route('/admin/apps/:app/publishers', publisherRoutes(ctx.deps));
    appId = (await ctx.database.db.insertInto('apps').values({ slug: 'octo-app', name: 'Octo' }).returning('id').executeTakeFirstOrThrow()).id;
    otherAppId = (await ctx.database.db.insertInto('apps').values({ slug: 'other-app', name: 'Other' }).returning('id').executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => {
    await ctx.close();
    await issuer.close();
  });

  it('creates a publisher with safe defaults, audited, and lists and shows it', async () => {
    const created = await call('POST', 'octo-app/publishers', valid);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      ...valid,
      app_id: appId,
      environment: null,
      allowed_refs: [],
      allow_self_hosted: false,
      can_publish: false,
    });
    const audit = await lastAudit('publisher.create');
    expect(audit).toMatchObject({ actor: 'token:ADMIN_TOKEN', app_id: appId, target: `trusted_publisher:${created.body.id}` });
    expect(audit!.details).toEqual({ ...valid, environment: null, allowed_refs: [], allow_self_hosted: false, can_publish: false });

    const list = await call('GET', 'octo-app/publishers');
    expect(list.body.publishers.map((p: { id: string }) => p.id)).toContain(created.body.id);
    expect((await call('GET', `${appId}/publishers/${created.body.id}`)).body).toEqual(created.body);
    // Not reachable through another app.
    expect((await call('GET', `other-app/publishers/${created.body.id}`)).status).toBe(404);
  });

  it('takes every field', async () => {
    const created = await call('POST', 'octo-app/publishers', {
      ...valid,
      environment: 'release',
      allowed_refs: ['refs/tags/v*', 'refs/heads/release/**'],
      allow_self_hosted: true,
      can_publish: true,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ environment: 'release', allowed_refs: ['refs/tags/v*', 'refs/heads/release/**'], allow_self_hosted: true, can_publish: true });
  });

  it.each([
    ['ids as numbers', { ...valid, repository_id: 74 }, /repository_id: must be a string of digits/],
    ['an owner id with a sign', { ...valid, repository_owner_id: '-65' }, /repository_owner_id: must be a string of digits/],
    ['a missing owner id', { repository: 'octo-org/octo-repo', repository_id: '74' }, /repository_owner_id: is required/],
    ['a repository without owner', { ...valid, repository: 'octo-repo' }, /repository: must be "owner\/name"/],
    ['a repository URL', { ...valid, repository: 'https://github.com/octo-org/octo-repo' }, /repository/],
    ['a repository named ".."', { ...valid, repository: 'octo-org/..' }, /cannot be/],
    ['a workflow path', { ...valid, workflow: '.github/workflows/release.yml' }, /workflow: .*no path/],
    ['a workflow that is not YAML', { ...valid, workflow: 'release.sh' }, /workflow/],
    ['an empty environment', { ...valid, environment: '' }, /environment: must not be empty/],
    ['a ref glob outside refs/', { ...valid, allowed_refs: ['v*'] }, /allowed_refs.0: must start with "refs\/"/],
    ['a ref glob with unsupported syntax', { ...valid, allowed_refs: ['refs/tags/v[0-9]*'] }, /allowed_refs.0: supports only/],
    ['allowed_refs as a string', { ...valid, allowed_refs: 'refs/tags/v*' }, /allowed_refs/],
    ['an unknown field', { ...valid, owner: 'octo-org' }, /owner/],
    ['a non-boolean flag', { ...valid, can_publish: 'yes' }, /can_publish/],
  ])('refuses %s with a 400 that names the field', async (_label, body, message) => {
    const answer = await call('POST', 'octo-app/publishers', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toMatch(message);
  });

  it('changes only the fields sent, null clears, and the audit row says from what to what', async () => {
    const { body: created } = await call('POST', 'octo-app/publishers', { ...valid, environment: 'release' });
    const changed = await call('PATCH', `octo-app/publishers/${created.id}`, { can_publish: true, environment: null, allowed_refs: ['refs/tags/v*'] });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ ...valid, can_publish: true, environment: null, allowed_refs: ['refs/tags/v*'] });
    expect(Date.parse(changed.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
    expect((await lastAudit('publisher.update'))!.details).toEqual({
      changed: {
        can_publish: { from: false, to: true },
        environment: { from: 'release', to: null },
        allowed_refs: { from: [], to: ['refs/tags/v*'] },
      },
    });
    expect((await call('PATCH', `octo-app/publishers/${created.id}`, {})).status).toBe(400);
    expect((await call('PATCH', `octo-app/publishers/${created.id}`, { repository_id: 75 })).status).toBe(400);
    expect((await call('PATCH', 'octo-app/publishers/not-a-uuid', { can_publish: true })).status).toBe(400);
    expect((await call('PATCH', `other-app/publishers/${created.id}`, { can_publish: true })).status).toBe(404);
  });

  it('deletes a publisher, revoking its credentials, audited', async () => {
    await ctx.database.db.deleteFrom('trusted_publishers').where('app_id', '=', appId).execute(); // so the exchange picks this one
    const { body: created } = await call('POST', 'octo-app/publishers', valid);
    const exchanged = await ctx.app.request('/ci/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await issuer.mint()}` },
      body: JSON.stringify({ app: 'octo-app' }),
    });
    expect(exchanged.status).toBe(200);
    expect((await call('DELETE', `octo-app/publishers/${created.id}`)).status).toBe(204);
    expect(await ctx.database.db.selectFrom('ci_credentials').select('id').where('publisher_id', '=', created.id).execute()).toEqual([]);
    expect(await lastAudit('publisher.delete')).toMatchObject({ target: `trusted_publisher:${created.id}` });
    expect((await lastAudit('publisher.delete'))!.details).toMatchObject({ repository: 'octo-org/octo-repo', revoked_credentials: 1 });
    expect((await call('DELETE', `octo-app/publishers/${created.id}`)).status).toBe(404);
  });

  it('is for admin keys only, within their app', async () => {
    const ciKey = await keyFor('ci', appId);
    expect((await call('GET', 'octo-app/publishers', undefined, ciKey)).status).toBe(403);
    expect((await call('POST', 'octo-app/publishers', valid, ciKey)).status).toBe(403);
    const otherAdmin = await keyFor('admin', otherAppId);
    expect((await call('GET', 'octo-app/publishers', undefined, otherAdmin)).status).toBe(404);
    expect((await call('POST', 'octo-app/publishers', valid, otherAdmin)).status).toBe(404);
    const ownAdmin = await keyFor('admin', appId);
    expect((await call('POST', 'octo-app/publishers', valid, ownAdmin)).status).toBe(201);
    expect((await call('GET', 'octo-app/publishers', undefined, 'Bearer nope')).status).toBe(401);
  });
});
