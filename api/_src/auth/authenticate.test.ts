import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { call, insertKey } from '../admin/testing.ts';

describe('admin API authentication', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    // A wrong key on every admin route from one in-process address: the failed-authentication limit is api/_src/rate-limit's subject.
    ctx = await createTestContext({ env: { RATE_LIMITS: 'off' } });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it.each([
    ['missing', null, /missing Authorization header/],
    ['not Bearer', 'Basic dXNlcjpwYXNz', /malformed Authorization header/],
    ['Bearer without a key', 'Bearer ', /malformed Authorization header/],
    ['unknown', 'Bearer trk_this-key-does-not-exist', /unknown API key/],
  ])('answers 401 for a %s key on every admin route', async (_name, auth, message) => {
    for (const [method, path] of [
      ['GET', '/admin/apps'],
      ['POST', '/admin/apps'],
      ['GET', '/admin/apps/anything'],
      ['GET', '/admin/keys'],
      ['DELETE', '/admin/keys/00000000-0000-4000-8000-000000000000'],
      ['GET', '/admin/audit'],
      ['GET', '/admin/no-such-route'],
    ] as const) {
      const res = await call(ctx, method, path, { auth });
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(res.body.error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(message) });
    }
  });

  it('checks the key before the body, so an anonymous caller learns nothing from validation', async () => {
    const res = await ctx.app.request('/admin/apps', { method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
  });

  it('accepts a database key, records last_used_at, and refuses it (401) once revoked', async () => {
    const key = await insertKey(ctx, 'admin', null);
    const lastUsed = async () =>
      (await ctx.database.db.selectFrom('api_keys').select('last_used_at').where('id', '=', key.id).executeTakeFirstOrThrow()).last_used_at;
    expect(await lastUsed()).toBeNull();

    const before = Date.now();
    expect((await call(ctx, 'GET', '/admin/apps', { auth: key.auth })).status).toBe(200);
    const used = await lastUsed();
    expect(used).not.toBeNull();
    expect(new Date(used!).getTime()).toBeGreaterThanOrEqual(before - 1000);

    const revoked = await call(ctx, 'DELETE', `/admin/keys/${key.id}`);
    expect(revoked.status).toBe(200);
    const res = await call(ctx, 'GET', '/admin/apps', { auth: key.auth });
    expect(res.status).toBe(401);
    expect(res.body.error).toEqual({ code: 'unauthorized', message: 'this API key has been revoked' });
  });

  it('accepts the key case-insensitively after "bearer" but not with the key altered', async () => {
    const key = await insertKey(ctx, 'admin', null);
    expect((await call(ctx, 'GET', '/admin/apps', { auth: `bearer ${key.key}` })).status).toBe(200);
    expect((await call(ctx, 'GET', '/admin/apps', { auth: `Bearer ${key.key.toUpperCase()}` })).status).toBe(401);
  });
});
