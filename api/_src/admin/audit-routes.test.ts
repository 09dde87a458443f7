import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { auditListSchema } from '../protocol/schemas.ts';
import { call, insertKey } from './testing.ts';

describe('admin audit log', () => {
  let ctx: TestContext;
  let alpha: string;
  let beta: string;
  beforeAll(async () => {
    ctx = await createTestContext();
    alpha = (await call(ctx, 'POST', '/admin/apps', { body: { slug: 'alpha', name: 'Alpha' } })).body.id;
    beta = (await call(ctx, 'POST', '/admin/apps', { body: { slug: 'beta', name: 'Beta' } })).body.id;
    await call(ctx, 'PATCH', '/admin/apps/alpha', { body: { name: 'Alpha 2' } });
    await call(ctx, 'PATCH', '/admin/apps/beta', { body: { name: 'Beta 2' } });
    await call(ctx, 'POST', '/admin/keys', { body: { name: 'global', scope: 'admin' } });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('lists every entry newest first', async () => {
    const res = await call(ctx, 'GET', '/admin/audit');
    expect(res.status).toBe(200);
    const { entries, next_before } = auditListSchema.parse(res.body);
    expect(entries.map((e) => e.action)).toEqual(['api_key.create', 'app.update', 'app.update', 'app.create', 'app.create']);
    expect(entries.map((e) => e.app_id)).toEqual([null, beta, alpha, beta, alpha]);
    expect(entries[1]).toMatchObject({ actor: 'token:ADMIN_TOKEN', target: `app:${beta}`, details: { name: { from: 'Beta', to: 'Beta 2' } } });
    expect(next_before).toBeNull();
  });

  it('filters by app (id or slug) and action', async () => {
    for (const app of ['alpha', alpha]) {
      const res = await call(ctx, 'GET', `/admin/audit?app=${app}`);
      expect(res.body.entries.map((e: { action: string }) => e.action)).toEqual(['app.update', 'app.create']);
    }
    const res = await call(ctx, 'GET', '/admin/audit?action=app.create');
    expect(res.body.entries.map((e: { app_id: string }) => e.app_id)).toEqual([beta, alpha]);
    expect((await call(ctx, 'GET', '/admin/audit?app=nope')).status).toBe(404);
  });

  it('filters by actor and by time', async () => {
    const all = (await call(ctx, 'GET', '/admin/audit')).body.entries as { id: number; at: string; actor: string }[];
    const byToken = await call(ctx, 'GET', '/admin/audit?actor=token:ADMIN_TOKEN');
    expect(byToken.body.entries.map((e: { id: number }) => e.id)).toEqual(all.filter((e) => e.actor === 'token:ADMIN_TOKEN').map((e) => e.id));
    expect((await call(ctx, 'GET', '/admin/audit?actor=key:nobody')).body.entries).toEqual([]);

    const oldest = all[all.length - 1]!;
    const since = await call(ctx, 'GET', `/admin/audit?since=${encodeURIComponent(oldest.at)}`);
    expect(since.body.entries).toHaveLength(all.length);
    const until = await call(ctx, 'GET', `/admin/audit?until=${encodeURIComponent(oldest.at)}`);
    expect(until.body.entries.every((e: { at: string }) => e.at < oldest.at)).toBe(true);
    expect((await call(ctx, 'GET', '/admin/audit?since=2999-01-01T00:00:00Z')).body.entries).toEqual([]);
    const bad = await call(ctx, 'GET', '/admin/audit?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
  });

  it('pages with limit and before', async () => {
    const first = await call(ctx, 'GET', '/admin/audit?limit=2');
    expect(first.body.entries).toHaveLength(2);
    expect(first.body.next_before).toBe(first.body.entries[1].id);
    const second = await call(ctx, 'GET', `/admin/audit?limit=2&before=${first.body.next_before}`);
    const third = await call(ctx, 'GET', `/admin/audit?limit=2&before=${second.body.next_before}`);
    expect(third.body.next_before).toBeNull();
    const all = (await call(ctx, 'GET', '/admin/audit')).body.entries;
    expect([...first.body.entries, ...second.body.entries, ...third.body.entries]).toEqual(all);
  });

  it('keeps the entries of a deleted app readable by its id', async () => {
    const gone = (await call(ctx, 'POST', '/admin/apps', { body: { slug: 'gone', name: 'Gone' } })).body.id;
    expect((await call(ctx, 'DELETE', '/admin/apps/gone')).status).toBe(204);
    const res = await call(ctx, 'GET', `/admin/audit?app=${gone}`);
    expect(res.body.entries.map((e: { action: string }) => e.action)).toEqual(['app.delete', 'app.create']);
  });

  it('shows an app-scoped key only its own app\'s entries, and 404s another app', async () => {
    const scoped = await insertKey(ctx, 'admin', alpha);
    const res = await call(ctx, 'GET', '/admin/audit', { auth: scoped.auth });
    expect(res.status).toBe(200);
    expect(res.body.entries.length).toBe(2);
    expect(res.body.entries.every((e: { app_id: string }) => e.app_id === alpha)).toBe(true);
    expect((await call(ctx, 'GET', '/admin/audit?app=alpha', { auth: scoped.auth })).body.entries).toHaveLength(2);
    for (const app of ['beta', beta]) {
      expect((await call(ctx, 'GET', `/admin/audit?app=${app}`, { auth: scoped.auth })).status).toBe(404);
    }
  });

  it('answers 403 to CI keys', async () => {
    const ci = await insertKey(ctx, 'ci', alpha);
    expect((await call(ctx, 'GET', '/admin/audit', { auth: ci.auth })).status).toBe(403);
  });

  it.each([
    ['limit=0', /limit/],
    ['limit=201', /limit/],
    ['limit=ten', /limit/],
    ['before=-1', /before/],
    ['before=1.5', /before/],
    ['limit=5&limit=6', /more than once/],
    ['colour=red', /colour/],
  ])('refuses ?%s with 400', async (query, message) => {
    const res = await call(ctx, 'GET', `/admin/audit?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(message) });
  });
});
