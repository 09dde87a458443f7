import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { apiKeyListSchema, apiKeySchema, createdApiKeySchema } from '../protocol/schemas.ts';
import { hashApiKey } from '../auth/keys.ts';
import { auditRows, call, insertApp, insertKey } from './testing.ts';

describe('admin API keys', () => {
  let ctx: TestContext;
  let mine: string;
  let theirs: string;
  beforeAll(async () => {
    ctx = await createTestContext();
    mine = await insertApp(ctx, 'mine');
    theirs = await insertApp(ctx, 'theirs');
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('creates a key, returns the secret once, stores only its hash, and the key works', async () => {
    const res = await call(ctx, 'POST', '/admin/keys', { body: { name: 'CI for mine', scope: 'ci', app: 'mine' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const created = createdApiKeySchema.parse(res.body);
    expect(created).toMatchObject({ name: 'CI for mine', scope: 'ci', app_id: mine, last_used_at: null, revoked_at: null });
    expect(created.key).toMatch(/^trk_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.key_prefix)).toBe(true);

    const row = await ctx.database.db.selectFrom('api_keys').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(hashApiKey(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key);

    const [audit] = await auditRows(ctx, 'api_key.create');
    expect(audit).toMatchObject({ actor: 'token:ADMIN_TOKEN', app_id: mine, target: `api_key:${created.id}` });
    expect(audit!.details).toEqual({ name: 'CI for mine', scope: 'ci', key_prefix: created.key_prefix });
    expect(JSON.stringify(audit)).not.toContain(created.key);

    const used = await call(ctx, 'GET', '/admin/apps', { auth: `Bearer ${created.key}` });
    expect(used.body.apps.map((a: { id: string }) => a.id)).toEqual([mine]);
  });

  it('lists metadata only, newest first, and never the secret or hash', async () => {
    const created = await call(ctx, 'POST', '/admin/keys', { body: { name: 'global admin', scope: 'admin' } });
    const res = await call(ctx, 'GET', '/admin/keys');
    expect(res.status).toBe(200);
    const { keys } = apiKeyListSchema.parse(res.body);
    expect(keys[0]).toMatchObject({ id: created.body.id, name: 'global admin', app_id: null, scope: 'admin' });
    for (const key of res.body.keys) expect(Object.keys(key).sort()).toEqual(Object.keys(apiKeySchema.shape).sort());
    expect(JSON.stringify(res.body)).not.toContain(created.body.key);
    expect(JSON.stringify(res.body)).not.toContain(hashApiKey(created.body.key));

    const filtered = await call(ctx, 'GET', '/admin/keys?app=mine');
    expect(filtered.body.keys.every((key: { app_id: string }) => key.app_id === mine)).toBe(true);
    expect(filtered.body.keys.length).toBeGreaterThan(0);
  });

  it('revokes a key (audited, idempotent) and 401s it from then on', async () => {
    const key = await insertKey(ctx, 'admin', theirs, 'to revoke');
    const res = await call(ctx, 'DELETE', `/admin/keys/${key.id.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(apiKeySchema.parse(res.body)).toMatchObject({ id: key.id, revoked_at: expect.any(String) });
    const audits = await auditRows(ctx, 'api_key.revoke');
    expect(audits.at(-1)).toMatchObject({ actor: 'token:ADMIN_TOKEN', app_id: theirs, target: `api_key:${key.id}` });

    const again = await call(ctx, 'DELETE', `/admin/keys/${key.id}`);
    expect(again.status).toBe(200);
    expect(again.body.revoked_at).toBe(res.body.revoked_at);
    expect(await auditRows(ctx, 'api_key.revoke')).toHaveLength(audits.length);
    expect((await call(ctx, 'GET', '/admin/apps', { auth: key.auth })).status).toBe(401);
  });

  it('answers 404 for an unknown key id and 400 for an id that is not a UUID', async () => {
    expect((await call(ctx, 'DELETE', '/admin/keys/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const bad = await call(ctx, 'DELETE', '/admin/keys/trk_abc');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/must be a UUID/);
  });

  it('refuses a bad scope, an unknown app and unknown fields', async () => {
    expect((await call(ctx, 'POST', '/admin/keys', { body: { name: 'x', scope: 'root' } })).body.error.message).toMatch(/^scope: /);
    expect((await call(ctx, 'POST', '/admin/keys', { body: { name: 'x', scope: 'ci', app: 'nope' } })).status).toBe(404);
    expect((await call(ctx, 'POST', '/admin/keys', { body: { name: 'x', scope: 'ci', app_id: mine } })).body.error.message).toMatch(/app_id/);
    expect((await call(ctx, 'POST', '/admin/keys', { body: { name: '   ', scope: 'ci' } })).body.error.message).toMatch(/^name: /);
  });

  describe('an app-scoped admin key', () => {
    let scoped: { auth: string; id: string };
    beforeAll(async () => {
      scoped = await insertKey(ctx, 'admin', mine, 'mine admin');
    });

    it('creates keys for its own app, audited with its own actor', async () => {
      for (const app of ['mine', mine]) {
        const res = await call(ctx, 'POST', '/admin/keys', { auth: scoped.auth, body: { name: 'ci', scope: 'ci', app } });
        expect(res.status).toBe(201);
        expect(res.body.app_id).toBe(mine);
      }
      const audits = await auditRows(ctx, 'api_key.create');
      expect(audits.at(-1)).toMatchObject({ actor: `key:${scoped.id}`, app_id: mine });
    });

    it('cannot create a global key (403) or a key for another app (404, by id and slug)', async () => {
      const global = await call(ctx, 'POST', '/admin/keys', { auth: scoped.auth, body: { name: 'x', scope: 'admin' } });
      expect(global.status).toBe(403);
      expect(global.body.error.message).toMatch(/cannot create global keys/);
      for (const app of ['theirs', theirs]) {
        expect((await call(ctx, 'POST', '/admin/keys', { auth: scoped.auth, body: { name: 'x', scope: 'ci', app } })).status).toBe(404);
      }
    });

    it('lists only its app\'s keys, and 404s for another app\'s keys', async () => {
      const res = await call(ctx, 'GET', '/admin/keys', { auth: scoped.auth });
      expect(res.status).toBe(200);
      expect(res.body.keys.length).toBeGreaterThan(0);
      expect(res.body.keys.every((key: { app_id: string }) => key.app_id === mine)).toBe(true);
      expect((await call(ctx, 'GET', '/admin/keys?app=theirs', { auth: scoped.auth })).status).toBe(404);
    });

    it('cannot revoke a global key or another app\'s key (404)', async () => {
      const global = await insertKey(ctx, 'admin', null);
      const other = await insertKey(ctx, 'ci', theirs);
      for (const key of [global, other]) {
        expect((await call(ctx, 'DELETE', `/admin/keys/${key.id}`, { auth: scoped.auth })).status).toBe(404);
        expect((await call(ctx, 'GET', '/admin/apps', { auth: key.auth })).status).toBe(200);
      }
    });
  });

  it('answers 403 to CI keys on every key route', async () => {
    for (const appId of [mine, null]) {
      const ci = await insertKey(ctx, 'ci', appId);
      for (const [method, path, body] of [
        ['POST', '/admin/keys', { name: 'x', scope: 'ci', app: 'mine' }],
        ['GET', '/admin/keys', undefined],
        ['DELETE', `/admin/keys/${ci.id}`, undefined],
      ] as const) {
        const res = await call(ctx, method, path, { auth: ci.auth, body });
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
        expect(res.body.error.code).toBe('forbidden');
      }
    }
  });
});
