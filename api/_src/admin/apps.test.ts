import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { appListSchema, appSchema } from '../protocol/schemas.ts';
import { auditRows, call, generateTauriPublicKey, insertApp, insertKey, insertRelease } from './testing.ts';

describe('admin apps', () => {
  let ctx: TestContext;
  let publicKey: string;
  beforeAll(async () => {
    ctx = await createTestContext();
    publicKey = await generateTauriPublicKey();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('creates an app with a real Tauri public key, audited, and shows it by id and by slug', async () => {
    const created = await call(ctx, 'POST', '/admin/apps', {
      body: { slug: 'notes', name: '  Notes ', description: 'a notes app', public_key: `${publicKey}\n` },
    });
    expect(created.status).toBe(201);
    const app = appSchema.parse(created.body);
    expect(app).toMatchObject({ slug: 'notes', name: 'Notes', description: 'a notes app', public_key: publicKey });
    expect(app.public_key_id).toMatch(/^[0-9A-F]{16}$/);
    expect(app).toMatchObject({ release_count: 0, latest_version: null });

    const [row] = await auditRows(ctx, 'app.create');
    expect(row).toMatchObject({ actor: 'token:ADMIN_TOKEN', app_id: app.id, target: `app:${app.id}` });
    expect(row!.details).toMatchObject({ slug: 'notes', public_key_id: app.public_key_id });

    for (const ref of [app.id, app.id.toUpperCase(), 'notes']) {
      const shown = await call(ctx, 'GET', `/admin/apps/${ref}`);
      expect(shown.status).toBe(200);
      expect(shown.body).toEqual(app);
    }
  });

  it('refuses a duplicate slug with 409 and writes no audit row', async () => {
    const before = (await auditRows(ctx, 'app.create')).length;
    const res = await call(ctx, 'POST', '/admin/apps', { body: { slug: 'notes', name: 'Other' } });
    expect(res.status).toBe(409);
    expect(res.body.error).toEqual({ code: 'conflict', message: 'an app with slug "notes" already exists' });
    expect(await auditRows(ctx, 'app.create')).toHaveLength(before);
  });

  it('refuses the raw RW… key line with the fix in the message', async () => {
    const rawLine = Buffer.from(publicKey, 'base64').toString('utf8').split('\n')[1]!;
    const res = await call(ctx, 'POST', '/admin/apps', { body: { slug: 'raw-key', name: 'Raw', public_key: rawLine } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(/^public_key: invalid public key: this is the raw "RW…" key line.*base64 of the whole \.pub/);
  });

  it.each([
    ['uppercase', 'Notes'],
    ['leading dash', '-notes'],
    ['too long', 'a'.repeat(64)],
    ['slash', 'a/b'],
    ['empty', ''],
  ])('refuses a slug that is %s', async (_name, slug) => {
    const res = await call(ctx, 'POST', '/admin/apps', { body: { slug, name: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^slug: /);
  });

  it('lists apps with release_count and the highest published version by semver, not by text', async () => {
    const id = await insertApp(ctx, 'editor');
    await insertRelease(ctx, id, '1.9.0', 'published');
    await insertRelease(ctx, id, '1.10.0', 'published');
    await insertRelease(ctx, id, '1.10.0-beta.1', 'archived');
    await insertRelease(ctx, id, '2.0.0', 'draft');
    const res = await call(ctx, 'GET', '/admin/apps');
    expect(res.status).toBe(200);
    const { apps } = appListSchema.parse(res.body);
    expect(apps.map((a) => a.slug)).toEqual(['editor', 'notes']);
    expect(apps[0]).toMatchObject({ release_count: 4, latest_version: '1.10.0' });
    expect(apps[1]).toMatchObject({ release_count: 0, latest_version: null });
  });

  it('updates name, description and public key, audited; null clears', async () => {
    const res = await call(ctx, 'PATCH', '/admin/apps/notes', { body: { name: 'Notes 2', description: null, public_key: null } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ slug: 'notes', name: 'Notes 2', description: null, public_key: null, public_key_id: null });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(res.body.created_at));
    const [row] = await auditRows(ctx, 'app.update');
    expect(row).toMatchObject({ actor: 'token:ADMIN_TOKEN', app_id: res.body.id, target: `app:${res.body.id}` });
    expect(row!.details).toMatchObject({ fields: ['name', 'description', 'public_key'], name: { from: 'Notes', to: 'Notes 2' } });
    expect((row!.details as { public_key_id: { from: string; to: null } }).public_key_id.to).toBeNull();
  });

  it('refuses to change the slug (installed clients have it in their URL) but accepts the same slug', async () => {
    const changed = await call(ctx, 'PATCH', '/admin/apps/notes', { body: { slug: 'notes-2' } });
    expect(changed.status).toBe(400);
    expect(changed.body.error.message).toMatch(/slug cannot be changed.*updater endpoint URL/);
    const same = await call(ctx, 'PATCH', '/admin/apps/notes', { body: { slug: 'notes', name: 'Notes' } });
    expect(same.status).toBe(200);
    expect(same.body.name).toBe('Notes');
  });

  it('refuses an empty patch and unknown fields', async () => {
    expect((await call(ctx, 'PATCH', '/admin/apps/notes', { body: {} })).body.error.message).toMatch(/nothing to change/);
    const typo = await call(ctx, 'PATCH', '/admin/apps/notes', { body: { nmae: 'x' } });
    expect(typo.status).toBe(400);
    expect(typo.body.error.message).toMatch(/nmae/);
  });

  it('answers 404 for an unknown app on every verb', async () => {
    for (const [method, body] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']] as const) {
      const res = await call(ctx, method, '/admin/apps/00000000-0000-4000-8000-000000000000', { body });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('refuses to delete an app while it has a published release (409), then deletes it with its keys once archived', async () => {
    const id = await insertApp(ctx, 'doomed');
    const releaseId = await insertRelease(ctx, id, '1.0.0', 'published');
    await insertRelease(ctx, id, '1.1.0', 'draft');
    await insertKey(ctx, 'ci', id);

    const refused = await call(ctx, 'DELETE', '/admin/apps/doomed');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/1 published release;/);
    expect(await ctx.database.db.selectFrom('apps').select('id').where('id', '=', id).executeTakeFirst()).toBeDefined();

    await ctx.database.db.updateTable('releases').set({ status: 'archived' }).where('id', '=', releaseId).execute();
    const deleted = await ctx.app.request('/admin/apps/doomed', { method: 'DELETE', headers: { authorization: ctx.adminAuth } });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect(await ctx.database.db.selectFrom('releases').select('id').where('app_id', '=', id).execute()).toEqual([]);
    expect(await ctx.database.db.selectFrom('api_keys').select('id').where('app_id', '=', id).execute()).toEqual([]);
    const [row] = await auditRows(ctx, 'app.delete');
    expect(row).toMatchObject({ actor: 'token:ADMIN_TOKEN', app_id: id, target: `app:${id}` });
    expect(row!.details).toEqual({ slug: 'doomed', releases_deleted: 2, api_keys_deleted: 1 });
    expect((await call(ctx, 'GET', '/admin/apps/doomed')).status).toBe(404);
  });

  it('invalidates the release cache on every mutation', async () => {
    const invalidated: string[] = [];
    const original = ctx.deps.releaseCache.invalidate.bind(ctx.deps.releaseCache);
    ctx.deps.releaseCache.invalidate = (appId: string) => {
      invalidated.push(appId);
      original(appId);
    };
    try {
      const created = await call(ctx, 'POST', '/admin/apps', { body: { slug: 'cached', name: 'Cached' } });
      await call(ctx, 'PATCH', '/admin/apps/cached', { body: { name: 'Cached 2' } });
      await call(ctx, 'DELETE', '/admin/apps/cached');
      expect(invalidated).toEqual([created.body.id, created.body.id, created.body.id]);
    } finally {
      ctx.deps.releaseCache.invalidate = original;
    }
  });
});

describe('admin apps: who may do what', () => {
  let ctx: TestContext;
  let mine: string;
  let theirs: string;
  let appAdminKey: { auth: string; id: string };
  let appAdmin: string;
  let appCi: string;
  let globalCi: string;
  beforeAll(async () => {
    ctx = await createTestContext();
    mine = await insertApp(ctx, 'mine');
    theirs = await insertApp(ctx, 'theirs');
    appAdminKey = await insertKey(ctx, 'admin', mine);
    appAdmin = appAdminKey.auth;
    appCi = (await insertKey(ctx, 'ci', mine)).auth;
    globalCi = (await insertKey(ctx, 'ci', null)).auth;
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('shows an app-scoped key only its own app', async () => {
    for (const auth of [appAdmin, appCi]) {
      const res = await call(ctx, 'GET', '/admin/apps', { auth });
      expect(res.body.apps.map((a: { slug: string }) => a.slug)).toEqual(['mine']);
      expect((await call(ctx, 'GET', `/admin/apps/${mine}`, { auth })).status).toBe(200);
    }
  });

  it('answers 404, not 403, for another app by id and by slug, on every verb', async () => {
    for (const ref of [theirs, 'theirs']) {
      for (const [method, body] of [['GET'], ['PATCH', { name: 'x' }]] as const) {
        const res = await call(ctx, method, `/admin/apps/${ref}`, { auth: appAdmin, body });
        expect(res.status).toBe(404);
        expect(res.body.error.message).toBe(`app ${JSON.stringify(ref)} not found`);
      }
    }
  });

  it('lets an app-scoped admin edit its own app', async () => {
    const res = await call(ctx, 'PATCH', '/admin/apps/mine', { auth: appAdmin, body: { description: 'mine' } });
    expect(res.status).toBe(200);
    const rows = await auditRows(ctx, 'app.update');
    expect(rows.at(-1)).toMatchObject({ actor: `key:${appAdminKey.id}`, app_id: mine });
  });

  it.each([
    ['a CI key (app)', () => appCi, 'POST', '/admin/apps', /admin-scoped/],
    ['a CI key (global)', () => globalCi, 'POST', '/admin/apps', /admin-scoped/],
    ['an app-scoped admin', () => appAdmin, 'POST', '/admin/apps', /global API key/],
    ['a CI key', () => appCi, 'PATCH', '/admin/apps/mine', /admin-scoped/],
    ['a CI key', () => appCi, 'DELETE', '/admin/apps/mine', /admin-scoped/],
    ['an app-scoped admin', () => appAdmin, 'DELETE', '/admin/apps/mine', /global API key/],
  ])('answers 403 to %s on %s %s', async (_who, auth, method, path, message) => {
    const body = method === 'DELETE' ? undefined : { slug: 'new-app', name: 'x' };
    const res = await call(ctx, method, path, { auth: auth(), body: method === 'PATCH' ? { name: 'x' } : body });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(message) });
  });
});
