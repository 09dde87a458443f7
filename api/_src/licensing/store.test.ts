/**
 * The licensing store over a real database (PGlite, or Postgres with TEST_DATABASE_URL): keys shown once and
 * working at once, idempotent creation by external id, renewals on a clock the test controls, status changes,
 * rotation, machines, policies, `eligible_up_to`, and an audit entry with the caller's actor for each change.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { createLicenseBodySchema, createPolicyBodySchema } from '../protocol/licensing.ts';
import { parseLicenseKey } from './license-key.ts';
import * as store from './store.ts';
import { D, day, TEST_SECRETS_KEY } from './testing.ts';

const clock = { now: D.getTime() };
let ctx: TestContext;
let deps: store.LicensingModeDeps;
let appId = '';
let policyId = '';
const admin = { actor: 'key:test-admin' };
const billing = { kind: 'integration', id: 'stripe-main' } as const;

beforeAll(async () => {
  ctx = await createTestContext({ env: { SECRETS_KEY: TEST_SECRETS_KEY }, now: () => clock.now });
  deps = ctx.deps;
  appId = await insertApp(ctx.database.db, 'store-app');
  policyId = (await store.createPolicy(deps, admin, appId, createPolicyBodySchema.parse({ name: 'Yearly', max_machines: 2 }))).id;
  // Published before and after D+365 (the yearly license bought on D expires then).
  await insertRelease(ctx.database.db, appId, { version: '1.0.0', pubDate: day(-10), artifacts: [{ platform: 'linux-x86_64' }] });
  await insertRelease(ctx.database.db, appId, { version: '1.1.0', pubDate: day(300), artifacts: [{ platform: 'linux-x86_64' }] });
  await insertRelease(ctx.database.db, appId, { version: '2.0.0', pubDate: day(400), artifacts: [{ platform: 'linux-x86_64' }] });
});
afterAll(async () => {
  await ctx.close();
});

const input = (extra: Record<string, unknown> = {}) => createLicenseBodySchema.parse({ policy_id: policyId, ...extra });

async function auditOf(target: string) {
  return ctx.database.db.selectFrom('audit_log').select(['actor', 'action', 'details']).where('target', '=', target).orderBy('id').execute();
}

async function lookup(key: string) {
  const parsed = parseLicenseKey(key);
  if (!parsed.success) throw new Error(parsed.problem);
  return deps.licenses.index!.lookup(parsed.key);
}

describe('licensing store', () => {
  it('creates a license whose key is returned once, stored only as a digest, and works at once', async () => {
    clock.now = D.getTime();
    const created = await store.createLicense(deps, admin, appId, input({ entitlements: ['pro'] }));
    expect(created.created).toBe(true);
    expect(created.key).toMatch(/^trl_[0-9A-Z]{33}$/);
    expect(created.license).toMatchObject({ status: 'active', key_prefix: created.key!.slice(0, 8), expires_at: day(365).toISOString(), machines_allowed: 2, entitlements: ['pro'] });
    expect(JSON.stringify(created.license)).not.toContain(created.key!);
    const row = await ctx.database.db.selectFrom('licenses').selectAll().where('id', '=', created.license.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(created.key!.slice(8));
    expect(await lookup(created.key!)).toMatchObject({ id: created.license.id, appId });
    const entries = await auditOf(`license:${created.license.id}`);
    expect(entries).toEqual([expect.objectContaining({ actor: 'key:test-admin', action: 'license.create' })]);
    expect(JSON.stringify(entries)).not.toContain(created.key!.slice(8));
  });

  it('is idempotent by external id: the second call returns the same license, no key, and audits nothing', async () => {
    const first = await store.createLicense(deps, billing, appId, input({ external_source: 'stripe', external_id: 'sub_123' }));
    const second = await store.createLicense(deps, billing, appId, input({ external_source: 'stripe', external_id: 'sub_123' }));
    expect(first).toMatchObject({ created: true, key: expect.any(String) });
    expect(second).toMatchObject({ created: false, key: null, license: { id: first.license.id, external_id: 'sub_123' } });
    expect(await auditOf(`license:${first.license.id}`)).toEqual([expect.objectContaining({ actor: 'integration:stripe-main', action: 'license.create' })]);
    expect((await store.findLicenseByExternalId(deps, appId, 'stripe', 'sub_123'))?.id).toBe(first.license.id);
    expect(await store.findLicenseByExternalId(deps, appId, 'stripe', 'sub_999')).toBeNull();
  });

  it('renews from the expiry, or from now once expired', async () => {
    clock.now = D.getTime();
    const { license } = await store.createLicense(deps, admin, appId, input());
    clock.now = day(100).getTime();
    const early = await store.renewLicense(deps, billing, appId, license.id);
    expect(early.expires_at).toBe(day(730).toISOString());
    expect(early.revision).toBe(license.revision + 1);
    clock.now = day(800).getTime();
    const late = await store.renewLicense(deps, billing, appId, license.id);
    expect(late.expires_at).toBe(day(800 + 365).toISOString());
    const explicit = await store.renewLicense(deps, admin, appId, license.id, { expires_at: day(2000).toISOString() });
    expect(explicit.expires_at).toBe(day(2000).toISOString());
    expect((await auditOf(`license:${license.id}`)).map((e) => e.action)).toEqual(['license.create', 'license.renew', 'license.renew', 'license.renew']);
  });

  it('refuses to renew to a date that is not in the future, and takes a future date before the expiry as a correction', async () => {
    clock.now = D.getTime();
    const { license } = await store.createLicense(deps, admin, appId, input());
    clock.now = day(100).getTime();
    for (const past of [day(99), day(100)]) {
      await expect(store.renewLicense(deps, admin, appId, license.id, { expires_at: past.toISOString() }))
        .rejects.toMatchObject({ status: 400, code: 'invalid_request', message: expect.stringMatching(/not in the future.*suspend.*revoke/) });
    }
    expect((await store.getLicense(deps, appId, license.id)).expires_at).toBe(license.expires_at);
    const corrected = await store.renewLicense(deps, admin, appId, license.id, { expires_at: day(200).toISOString() });
    expect(corrected.expires_at).toBe(day(200).toISOString());
    expect((await auditOf(`license:${license.id}`)).map((e) => e.action)).toEqual(['license.create', 'license.renew']);
  });

  it('reports the newest version a license may install today (eligible_up_to)', async () => {
    clock.now = D.getTime();
    const { license } = await store.createLicense(deps, admin, appId, input());
    clock.now = day(200).getTime();
    expect(await store.getLicense(deps, appId, license.id)).toMatchObject({ eligible_up_to: '1.1.0', expired: false });
    clock.now = day(500).getTime();
    // Expired under fallback: 1.1.0 (published before D+365) is its last; 2.0.0 never.
    expect(await store.getLicense(deps, appId, license.id)).toMatchObject({ eligible_up_to: '1.1.0', expired: true, cutoff: day(365).toISOString() });
    await store.renewLicense(deps, admin, appId, license.id);
    expect((await store.getLicense(deps, appId, license.id)).eligible_up_to).toBe('2.0.0');
    await store.suspendLicense(deps, admin, appId, license.id);
    expect((await store.getLicense(deps, appId, license.id)).eligible_up_to).toBeNull();
  });

  it('keeps the patch line of a release withdrawn after the cutoff in eligible_up_to', async () => {
    const db = ctx.database.db;
    const lineApp = await insertApp(db, 'store-patch-line');
    const policy = (await store.createPolicy(deps, admin, lineApp, createPolicyBodySchema.parse({ name: 'Yearly', patch_line_after_expiry: true }))).id;
    await insertRelease(db, lineApp, { version: '1.0.0', pubDate: day(-10), artifacts: [{ platform: 'linux-x86_64' }] });
    const { id: broken } = await insertRelease(db, lineApp, { version: '1.1.0', pubDate: day(300), artifacts: [{ platform: 'linux-x86_64' }] });
    await insertRelease(db, lineApp, { version: '1.1.1', pubDate: day(400), artifacts: [{ platform: 'linux-x86_64' }] });
    clock.now = D.getTime();
    const { license } = await store.createLicense(deps, admin, lineApp, createLicenseBodySchema.parse({ policy_id: policy }));
    clock.now = day(500).getTime();
    expect((await store.getLicense(deps, lineApp, license.id)).eligible_up_to).toBe('1.1.1');
    // 1.1.0, the newest release before the cutoff, is yanked for the fix 1.1.1: the line stays 1.1, never offering 1.1.0.
    await db.updateTable('releases').set({ status: 'archived', yanked_at: day(450) }).where('id', '=', broken).execute();
    expect((await store.getLicense(deps, lineApp, license.id)).eligible_up_to).toBe('1.1.1');
    await db.updateTable('releases').set({ status: 'archived' }).where('app_id', '=', lineApp).where('version', '=', '1.1.1').execute();
    expect((await store.getLicense(deps, lineApp, license.id)).eligible_up_to).toBe('1.0.0');
  });

  it('suspends, reinstates and revokes; revocation is final; repeating a state changes nothing', async () => {
    clock.now = D.getTime();
    const { license, key } = await store.createLicense(deps, admin, appId, input());
    await lookup(key!);
    expect((await store.suspendLicense(deps, admin, appId, license.id, { reason: 'chargeback review' })).status).toBe('suspended');
    // This instance forgot it: the next lookup reads the new status.
    expect((await lookup(key!))?.license.status).toBe('suspended');
    await store.suspendLicense(deps, admin, appId, license.id);
    expect((await store.reinstateLicense(deps, admin, appId, license.id)).status).toBe('active');
    expect((await store.revokeLicense(deps, billing, appId, license.id)).status).toBe('revoked');
    await store.revokeLicense(deps, billing, appId, license.id);
    await expect(store.reinstateLicense(deps, admin, appId, license.id)).rejects.toMatchObject({ status: 409 });
    await expect(store.renewLicense(deps, admin, appId, license.id)).rejects.toMatchObject({ status: 409 });
    await expect(store.rotateLicenseKey(deps, admin, appId, license.id)).rejects.toMatchObject({ status: 409 });
    const actions = (await auditOf(`license:${license.id}`)).map((e) => e.action);
    expect(actions).toEqual(['license.create', 'license.suspend', 'license.reinstate', 'license.revoke']);
  });

  it('rotates the key: the new one works, the old one stops at once', async () => {
    const { license, key } = await store.createLicense(deps, admin, appId, input());
    await lookup(key!);
    const rotated = await store.rotateLicenseKey(deps, admin, appId, license.id);
    expect(rotated.key).not.toBe(key);
    expect(rotated.license.key_prefix).toBe(rotated.key.slice(0, 8));
    expect(await lookup(key!)).toBeNull();
    expect((await lookup(rotated.key))?.id).toBe(license.id);
    const [, entry] = await auditOf(`license:${license.id}`);
    expect(entry).toMatchObject({ action: 'license.rotate_key' });
    expect(JSON.stringify(entry)).not.toContain(rotated.key.slice(8));
  });

  it('lists and deactivates machines', async () => {
    const { license } = await store.createLicense(deps, admin, appId, input());
    const [machine] = await ctx.database.db
      .insertInto('license_machines')
      .values([{ license_id: license.id, install_digest: 'b'.repeat(64) }])
      .returning('id')
      .execute();
    expect((await store.getLicense(deps, appId, license.id)).machines_used).toBe(1);
    const deactivated = await store.deactivateMachine(deps, admin, appId, license.id, machine!.id);
    expect(deactivated.deactivated_at).not.toBeNull();
    expect((await store.getLicense(deps, appId, license.id)).machines_used).toBe(0);
    expect(await store.listMachines(deps, appId, license.id)).toHaveLength(1);
    await expect(store.deactivateMachine(deps, admin, appId, license.id, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404 });
  });

  it('searches by key, key prefix, external id and status', async () => {
    const { license, key } = await store.createLicense(deps, admin, appId, input({ external_source: 'paddle', external_id: 'txn_42' }));
    const find = async (q: string) => (await store.listLicenses(deps, appId, { q, limit: 50, offset: 0 })).licenses.map((l) => l.id);
    expect(await find(key!)).toEqual([license.id]);
    expect(await find(key!.slice(0, 8).toLowerCase())).toContain(license.id);
    expect(await find('txn_42')).toEqual([license.id]);
    expect(await find('txn_43')).toEqual([]);
    const revoked = await store.listLicenses(deps, appId, { status: 'revoked', limit: 50, offset: 0 });
    expect(revoked.licenses.every((l) => l.status === 'revoked')).toBe(true);
    expect(revoked.total).toBe(revoked.licenses.length);
  });

  it('keeps apps apart', async () => {
    const other = await insertApp(ctx.database.db, 'store-other');
    const { license } = await store.createLicense(deps, admin, appId, input());
    await expect(store.getLicense(deps, other, license.id)).rejects.toMatchObject({ status: 404 });
    await expect(store.suspendLicense(deps, admin, other, license.id)).rejects.toMatchObject({ status: 404 });
    await expect(store.createLicense(deps, admin, other, input())).rejects.toMatchObject({ status: 400 });
  });

  it('updates policies (every license of it sees it) and refuses to delete one in use', async () => {
    const { license, key } = await store.createLicense(deps, admin, appId, input());
    expect((await lookup(key!))?.policy.maxMachines).toBe(2);
    const updated = await store.updatePolicy(deps, admin, appId, policyId, { max_machines: 5, grace_days: 3 });
    expect(updated).toMatchObject({ max_machines: 5, grace_days: 3 });
    expect((await lookup(key!))?.policy.maxMachines).toBe(5);
    expect((await store.getLicense(deps, appId, license.id)).revision).toBe(2);
    await expect(store.createPolicy(deps, admin, appId, createPolicyBodySchema.parse({ name: 'Yearly' }))).rejects.toMatchObject({ status: 409 });
    await expect(store.deletePolicy(deps, admin, appId, policyId)).rejects.toMatchObject({ status: 409 });
    const spare = await store.createPolicy(deps, admin, appId, createPolicyBodySchema.parse({ name: 'Spare', duration_days: null }));
    await store.deletePolicy(deps, admin, appId, spare.id);
    expect((await store.listPolicies(deps, appId)).map((p) => p.name)).toEqual(['Yearly']);
  });

  it('switches an app to licensed only with SECRETS_KEY and not over a public GitHub repository', async () => {
    const app = await insertApp(ctx.database.db, 'mode-app');
    const before = await store.getLicensing(deps, app);
    expect(before).toMatchObject({ mode: 'open', secrets_key: true });
    expect(await store.setLicensingMode(deps, admin, app, 'licensed')).toMatchObject({ mode: 'licensed' });
    expect(await auditOf(`app:${app}`)).toEqual([expect.objectContaining({ action: 'app.licensing' })]);
    await expect(store.setLicensingMode({ ...deps, licenses: { index: null } }, admin, app, 'licensed')).rejects.toMatchObject({
      status: 409,
      code: 'secrets_key_missing',
    });
    const gh = await insertApp(ctx.database.db, 'mode-github');
    await ctx.database.db.insertInto('github_sources').values({ app_id: gh, repository: 'octo/public', token_sealed: null, webhook_secret: 'x'.repeat(32) }).execute();
    await expect(store.setLicensingMode(deps, admin, gh, 'licensed')).rejects.toMatchObject({ status: 409, message: expect.stringContaining('octo/public is a public GitHub repository') });
  });
});
