/**
 * Licensing's admin API over HTTP, on a real database, together with the update check it governs: who may call
 * it, apps kept apart, 4xx for bad input, audit entries, the key shown once and working at the check at once,
 * and the rules of switching an app to licensed (SECRETS_KEY, failover copies gone, no public GitHub repository).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { createApp } from '../app.ts';
import { LicenseGate } from '../licensing/gate.ts';
import { D, day, TEST_SECRETS_KEY } from '../licensing/testing.ts';
import { staticManifestKey } from '../protocol/storage-keys.ts';
import { auditRows, call, insertKey } from './testing.ts';

const clock = { now: D.getTime() };
let ctx: TestContext;
let slug = 'lic-http';
let appId = '';
let policyId = '';
const base = () => `/admin/apps/${slug}`;

beforeAll(async () => {
  ctx = await createTestContext({ env: { SECRETS_KEY: TEST_SECRETS_KEY }, now: () => clock.now });
  appId = await insertApp(ctx.database.db, slug);
  await insertRelease(ctx.database.db, appId, { version: '1.0.0', pubDate: day(-30), artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage' }] });
  await insertRelease(ctx.database.db, appId, { version: '2.0.0', pubDate: day(400), artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage' }] });
});
afterAll(async () => {
  await ctx.close();
});

async function check(key: string | null, version = '0.9.0') {
  const res = await ctx.app.request(`/update/${slug}/linux/x86_64/${version}`, { headers: key ? { authorization: `License ${key}` } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe('licensing admin API', () => {
  it('switches the app to licensed, removing its public failover manifest', async () => {
    await ctx.deps.staticManifests.sync(appId, slug);
    expect(await ctx.storage.head(staticManifestKey(slug, 'stable'))).not.toBeNull();
    const res = await call(ctx, 'PUT', `${base()}/licensing`, { body: { mode: 'licensed' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ mode: 'licensed', policies: 0, licenses: 0, secrets_key: true });
    expect(await ctx.storage.head(staticManifestKey(slug, 'stable'))).toBeNull();
    expect((await call(ctx, 'GET', `/${slug}/latest.json`, { auth: null })).body.error.code).toBe('app_licensed');
    expect((await check(null)).status).toBe(401);
    expect(await auditRows(ctx, 'app.licensing')).toEqual([expect.objectContaining({ actor: 'token:ADMIN_TOKEN', app_id: appId })]);
  });

  it('creates a policy, refusing bad input with a 400', async () => {
    expect((await call(ctx, 'POST', `${base()}/licensing/policies`, { body: { name: 'Yearly', duration_days: 0 } })).status).toBe(400);
    expect((await call(ctx, 'POST', `${base()}/licensing/policies`, { body: { name: 'Yearly', colour: 'red' } })).status).toBe(400);
    expect((await call(ctx, 'POST', `${base()}/licensing/policies`, { body: { name: 'Yearly', entitlements: ['no spaces'] } })).status).toBe(400);
    const res = await call(ctx, 'POST', `${base()}/licensing/policies`, { body: { name: 'Yearly', max_machines: 1 } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Yearly', duration_days: 365, expiry_strategy: 'fallback', max_machines: 1, licenses: 0 });
    policyId = res.body.id;
    expect((await call(ctx, 'POST', `${base()}/licensing/policies`, { body: { name: 'Yearly' } })).status).toBe(409);
    const patched = await call(ctx, 'PATCH', `${base()}/licensing/policies/${policyId}`, { body: { grace_days: 7 } });
    expect(patched.body).toMatchObject({ grace_days: 7 });
    expect((await call(ctx, 'PATCH', `${base()}/licensing/policies/${policyId}`, { body: {} })).status).toBe(400);
    expect((await call(ctx, 'GET', `${base()}/licensing/policies/not-a-uuid`)).status).toBe(404);
  });

  it("refuses a license naming its policy by name, saying that it takes the policy's id and where the ids are", async () => {
    const res = await call(ctx, 'POST', `${base()}/licenses`, { body: { policy_id: 'Yearly' } });
    expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request']);
    expect(res.body.error.message).toBe('policy_id "Yearly" is not a policy id: name the policy by its id (GET /admin/apps/{app}/licensing/policies lists them), not by its name');
  });

  it('creates a license whose key is shown once and works at the update check at once', async () => {
    clock.now = D.getTime();
    const res = await call(ctx, 'POST', `${base()}/licenses`, { body: { policy_id: policyId, entitlements: ['pro'] } });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ created: true, status: 'active', eligible_up_to: '1.0.0', machines_allowed: 1, expires_at: day(365).toISOString() });
    const key: string = res.body.key;
    const shown = await call(ctx, 'GET', `${base()}/licenses/${res.body.id}`);
    expect(JSON.stringify(shown.body)).not.toContain(key);
    const audit = await auditRows(ctx, 'license.create');
    expect(JSON.stringify(audit)).not.toContain(key.slice(8));
    // Machine limit 1: an install id is needed, and a second install is refused.
    expect((await check(key)).body.error.code).toBe('install_id_required');
    const ok = await ctx.app.request(`/update/${slug}/linux/x86_64/0.9.0`, { headers: { authorization: `License ${key}`, 'x-install-id': 'install-one' } });
    expect(ok.status).toBe(200);
    expect((await ok.json()).version).toBe('1.0.0');
    const machines = await call(ctx, 'GET', `${base()}/licenses/${res.body.id}/machines`);
    expect(machines.body.machines).toHaveLength(1);
    const off = await call(ctx, 'POST', `${base()}/licenses/${res.body.id}/machines/${machines.body.machines[0].id}/deactivate`);
    expect(off.status).toBe(200);
    expect(off.body.deactivated_at).not.toBeNull();
    expect((await call(ctx, 'GET', `${base()}/licenses/${res.body.id}`)).body.machines_used).toBe(0);
  });

  it('suspends, reinstates, renews, rotates and revokes, with bodies optional', async () => {
    clock.now = D.getTime();
    const { body: created } = await call(ctx, 'POST', `${base()}/licenses`, { body: { policy_id: policyId } });
    const path = `${base()}/licenses/${created.id}`;
    const install = { authorization: `License ${created.key}`, 'x-install-id': 'install-two' };
    const status = async (headers: Record<string, string>) => (await ctx.app.request(`/update/${slug}/linux/x86_64/0.9.0`, { headers })).status;
    expect(await status(install)).toBe(200);
    expect((await call(ctx, 'POST', `${path}/suspend`, { body: { reason: 'fraud check' } })).body.status).toBe('suspended');
    expect(await status(install)).toBe(403);
    expect((await call(ctx, 'POST', `${path}/reinstate`)).body.status).toBe('active');
    clock.now = day(500).getTime();
    const renewed = await call(ctx, 'POST', `${path}/renew`);
    expect(renewed.body).toMatchObject({ expires_at: day(865).toISOString(), eligible_up_to: '2.0.0' });
    const backwards = await call(ctx, 'POST', `${path}/renew`, { body: { expires_at: day(499).toISOString() } });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('suspend') });
    const rotated = await call(ctx, 'POST', `${path}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    expect(await status(install)).toBe(401);
    expect(await status({ ...install, authorization: `License ${rotated.body.key}` })).toBe(200);
    expect((await call(ctx, 'POST', `${path}/revoke`)).body.status).toBe('revoked');
    expect(await status({ ...install, authorization: `License ${rotated.body.key}` })).toBe(403);
    expect((await call(ctx, 'POST', `${path}/reinstate`)).status).toBe(409);
    expect((await call(ctx, 'POST', `${path}/renew`, { body: { expires_at: 'tomorrow' } })).status).toBe(400);
    const actions = (await ctx.database.db.selectFrom('audit_log').select('action').where('target', '=', `license:${created.id}`).orderBy('id').execute()).map((r) => r.action);
    expect(actions).toEqual(['license.create', 'license.suspend', 'license.reinstate', 'license.renew', 'license.rotate_key', 'license.revoke']);
  });

  it('creates idempotently by external id and searches', async () => {
    const body = { policy_id: policyId, external_source: 'stripe', external_id: 'sub_1' };
    const first = await call(ctx, 'POST', `${base()}/licenses`, { body });
    const second = await call(ctx, 'POST', `${base()}/licenses`, { body });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: first.body.id, created: false, key: null });
    expect((await call(ctx, 'POST', `${base()}/licenses`, { body: { policy_id: policyId, external_id: 'x' } })).status).toBe(400);
    const found = await call(ctx, 'GET', `${base()}/licenses?q=sub_1`);
    expect(found.body).toMatchObject({ total: 1, licenses: [{ id: first.body.id }] });
    expect((await call(ctx, 'GET', `${base()}/licenses?q=${first.body.key}`)).body.licenses.map((l: { id: string }) => l.id)).toEqual([first.body.id]);
    expect((await call(ctx, 'GET', `${base()}/licenses?status=revoked`)).body.total).toBe(1);
    expect((await call(ctx, 'GET', `${base()}/licenses?status=lost`)).status).toBe(400);
  });

  it('needs an admin key that may see the app, and keeps apps apart', async () => {
    const otherId = await insertApp(ctx.database.db, 'lic-other');
    const ci = await insertKey(ctx, 'ci', appId);
    const otherAdmin = await insertKey(ctx, 'admin', otherId);
    const { body: license } = await call(ctx, 'GET', `${base()}/licenses?limit=1`);
    const id = license.licenses[0].id;
    expect((await call(ctx, 'GET', `${base()}/licenses`, { auth: null })).status).toBe(401);
    expect((await call(ctx, 'GET', `${base()}/licenses`, { auth: ci.auth })).status).toBe(403);
    expect((await call(ctx, 'POST', `${base()}/licenses/${id}/revoke`, { auth: otherAdmin.auth })).status).toBe(404);
    expect((await call(ctx, 'GET', `/admin/apps/lic-other/licenses/${id}`, { auth: otherAdmin.auth })).status).toBe(404);
    expect((await call(ctx, 'POST', `/admin/apps/lic-other/licenses`, { auth: otherAdmin.auth, body: { policy_id: policyId } })).status).toBe(400);
    expect((await call(ctx, 'PUT', `${base()}/licensing`, { auth: ci.auth, body: { mode: 'open' } })).status).toBe(403);
  });

  it("back-dates a release's entitlement date, never later than its first publication", async () => {
    const path = `${base()}/licensing/releases/2.0.0/entitlement`;
    expect((await call(ctx, 'PUT', path, { body: { entitlement_date: day(401).toISOString() } })).status).toBe(400);
    const res = await call(ctx, 'PUT', path, { body: { entitlement_date: day(300).toISOString() } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: '2.0.0', entitlement_date: day(300).toISOString(), first_published_at: day(400).toISOString() });
    expect(await auditRows(ctx, 'release.entitlement')).toHaveLength(1);
    // A license that expired on D+365 (fallback) now gets 2.0.0.
    clock.now = day(600).getTime();
    const { body: expired } = await call(ctx, 'POST', `${base()}/licenses`, { body: { policy_id: policyId, expires_at: day(365).toISOString() } });
    expect(expired.eligible_up_to).toBe('2.0.0');
    await ctx.database.db.insertInto('releases').values({ app_id: appId, version: '3.0.0', status: 'draft' }).execute();
    expect((await call(ctx, 'PUT', `${base()}/licensing/releases/3.0.0/entitlement`, { body: { entitlement_date: day(1).toISOString() } })).status).toBe(409);
    expect((await call(ctx, 'PUT', `${base()}/licensing/releases/9.9.9/entitlement`, { body: { required_entitlements: ['pro'] } })).status).toBe(404);
  });

  it("sets a channel's required entitlement, which a channel reconfiguration keeps", async () => {
    const res = await call(ctx, 'PUT', `${base()}/licensing/channels/beta/entitlement`, { body: { required_entitlement: 'beta' } });
    expect(res.body).toEqual({ channel: 'beta', required_entitlement: 'beta' });
    expect((await call(ctx, 'PUT', `${base()}/channels`, { body: { channels: [{ name: 'beta', follows: 'stable' }] } })).status).toBe(200);
    const row = await ctx.database.db.selectFrom('release_channels').selectAll().where('app_id', '=', appId).where('name', '=', 'beta').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ follows: 'stable', required_entitlement: 'beta' });
    expect((await call(ctx, 'PUT', `${base()}/licensing/channels/Beta!/entitlement`, { body: { required_entitlement: 'beta' } })).status).toBe(400);
  });

  it('refuses a public GitHub repository for a licensed app, either way round', async () => {
    const res = await call(ctx, 'PUT', `${base()}/source`, { body: { kind: 'github', repository: 'octo/public-app' } });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('public GitHub repository');
    const gh = await insertApp(ctx.database.db, 'lic-github');
    await ctx.database.db.insertInto('github_sources').values({ app_id: gh, repository: 'octo/open-app', token_sealed: null, webhook_secret: 'w'.repeat(32) }).execute();
    const switched = await call(ctx, 'PUT', '/admin/apps/lic-github/licensing', { body: { mode: 'licensed' } });
    expect(switched.status).toBe(409);
    expect(switched.body.error.message).toContain('octo/open-app is a public GitHub repository');
  });

  it('refuses licensed mode without SECRETS_KEY, saying what to set', async () => {
    // The same database and routes, on a server that has no SECRETS_KEY (so no license index).
    const bare = { ...ctx, app: createApp({ ...ctx.deps, licenses: new LicenseGate(null, ctx.deps.rateLimits) }) };
    await insertApp(ctx.database.db, 'no-secret');
    const res = await call(bare, 'PUT', '/admin/apps/no-secret/licensing', { body: { mode: 'licensed' } });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'secrets_key_missing', message: expect.stringContaining('SECRETS_KEY') });
    expect((await call(bare, 'GET', '/admin/apps/no-secret/licensing')).body).toMatchObject({ mode: 'open', secrets_key: false });
    expect((await call(bare, 'POST', `${base()}/licenses`, { body: { policy_id: policyId } })).body.error.code).toBe('secrets_key_missing');
  });
});
