import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createApp } from '../app.ts';
import { createDeps } from '../create-deps.ts';
import { loadConfig } from '../config.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { BOOTSTRAP_KEY_NAME, ensureBootstrapAdminKey } from './bootstrap.ts';
import { auditRows, insertApp, insertKey } from '../admin/testing.ts';

describe('ensureBootstrapAdminKey', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  beforeEach(async () => {
    await ctx.database.db.deleteFrom('api_keys').execute();
    await ctx.database.db.deleteFrom('apps').execute();
    await ctx.database.db.deleteFrom('audit_log').execute();
  });
  afterAll(async () => {
    await ctx.close();
  });
  const withoutToken = () => loadConfig({ DATA_DIR: ctx.dataDir, PUBLIC_URL: 'http://updates.test' });

  it('does nothing when ADMIN_TOKEN is set', async () => {
    expect(await ensureBootstrapAdminKey(ctx.database.db, ctx.config)).toBeNull();
    expect(await ctx.database.db.selectFrom('api_keys').select('id').execute()).toEqual([]);
  });

  it('creates one global admin key named "bootstrap", audited as system, that works; then nothing more', async () => {
    const config = withoutToken();
    const key = await ensureBootstrapAdminKey(ctx.database.db, config);
    expect(key).toMatch(/^trk_/);
    const rows = await ctx.database.db.selectFrom('api_keys').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: BOOTSTRAP_KEY_NAME, scope: 'admin', app_id: null, revoked_at: null });
    const [audit] = await auditRows(ctx, 'api_key.create');
    expect(audit).toMatchObject({ actor: 'system', app_id: null, target: `api_key:${rows[0]!.id}` });

    const app = createApp(createDeps(config, ctx.database.db, ctx.storage));
    const res = await app.request('/admin/keys', { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    // Without ADMIN_TOKEN the test token means nothing.
    expect((await app.request('/admin/keys', { headers: { authorization: ctx.adminAuth } })).status).toBe(401);

    expect(await ensureBootstrapAdminKey(ctx.database.db, config)).toBeNull();
    expect(await ctx.database.db.selectFrom('api_keys').select('id').execute()).toHaveLength(1);
  });

  it('creates one key even when two instances start at once', async () => {
    const config = withoutToken();
    const keys = await Promise.all([ensureBootstrapAdminKey(ctx.database.db, config), ensureBootstrapAdminKey(ctx.database.db, config)]);
    expect(keys.filter((key) => key !== null)).toHaveLength(1);
    expect(await ctx.database.db.selectFrom('api_keys').select('id').execute()).toHaveLength(1);
  });

  it('counts only active global admin keys', async () => {
    const appId = await insertApp(ctx, 'some-app');
    await insertKey(ctx, 'admin', appId);
    await insertKey(ctx, 'ci', null);
    const revoked = await insertKey(ctx, 'admin', null);
    await ctx.database.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', revoked.id).execute();
    expect(await ensureBootstrapAdminKey(ctx.database.db, withoutToken())).toMatch(/^trk_/);
  });

  it('leaves an installation that has an active global admin key alone', async () => {
    await insertKey(ctx, 'admin', null);
    expect(await ensureBootstrapAdminKey(ctx.database.db, withoutToken())).toBeNull();
  });
});
