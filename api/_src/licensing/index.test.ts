/**
 * The license index over a real database: one query on first sight of a key, none after; unknown keys
 * remembered for a while; another instance's change (or a rotated key) seen once the TTL passes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp } from '../../../test/support/release-fixtures.ts';
import { LicenseIndex, UNKNOWN_TTL_MS } from './index.ts';
import { generateLicenseKey } from './license-key.ts';
import { insertLicense, insertPolicy, license, policy, testDigester } from './testing.ts';

let ctx: TestContext;
let appId = '';
let policyId = '';
beforeAll(async () => {
  ctx = await createTestContext();
  appId = await insertApp(ctx.database.db, 'indexed');
  policyId = await insertPolicy(ctx.database.db, appId, { maxMachines: 3, entitlements: ['pro'] });
});
afterAll(async () => {
  await ctx.close();
});

function freshIndex(ttlMs = 10_000) {
  const clock = { now: 1_000_000 };
  return { clock, index: new LicenseIndex(ctx.database.db, testDigester(), { ttlMs, now: () => clock.now }) };
}

describe('LicenseIndex', () => {
  it('loads a key once, with its policy and machines, then answers from memory', async () => {
    const license = await insertLicense(ctx.database.db, appId, policyId, { entitlements: ['beta'] });
    await ctx.database.db.insertInto('license_machines').values({ license_id: license.id, install_digest: 'a'.repeat(64) }).execute();
    const { index } = freshIndex();
    const digest = index.digestOf(license.key);
    expect(index.peek(digest)).toBeUndefined();
    const [first, concurrent] = await Promise.all([index.lookup(license.key), index.lookup(license.key)]);
    expect(first).toBe(concurrent);
    expect(first).toMatchObject({ id: license.id, appId, license: { status: 'active', entitlements: ['beta'] }, policy: { maxMachines: 3, entitlements: ['pro'] } });
    expect([...first!.machines]).toEqual(['a'.repeat(64)]);
    expect(index.statements).toBe(1);
    for (let i = 0; i < 10; i++) expect(index.lookup(license.key)).toBe(first);
    expect(index.statements).toBe(1);
  });

  it('remembers an unknown key for a while, then asks again', async () => {
    const { clock, index } = freshIndex();
    const key = generateLicenseKey();
    expect(await index.lookup(key)).toBeNull();
    expect(index.lookup(key)).toBeNull();
    expect(index.statements).toBe(1);
    clock.now += UNKNOWN_TTL_MS;
    expect(await index.lookup(key)).toBeNull();
    expect(index.statements).toBe(2);
  });

  it('sees a change made elsewhere within the TTL, and a rotated key stops working', async () => {
    const license = await insertLicense(ctx.database.db, appId, policyId);
    const { clock, index } = freshIndex(10_000);
    expect((await index.lookup(license.key))!.license.status).toBe('active');
    await ctx.database.db.updateTable('licenses').set({ status: 'suspended' }).where('id', '=', license.id).execute();
    clock.now += 9_500; // within the refresh-ahead window: still answered from memory while it reloads
    expect(index.peek(index.digestOf(license.key))!.license.status).toBe('active');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(index.peek(index.digestOf(license.key))!.license.status).toBe('suspended');
    await ctx.database.db.updateTable('licenses').set({ key_digest: 'f'.repeat(64) }).where('id', '=', license.id).execute();
    clock.now += 10_001;
    expect(await index.lookup(license.key)).toBeNull();
  });

  it('records a new install and a first check once', async () => {
    const license = await insertLicense(ctx.database.db, appId, policyId);
    const { index } = freshIndex();
    const state = (await index.lookup(license.key))!;
    await index.recordMachine(state, 'b'.repeat(64));
    expect(index.peek(index.digestOf(license.key))!.machines.has('b'.repeat(64))).toBe(true);
    const at = new Date('2026-06-01T00:00:00Z');
    const started = await index.recordFirstCheck(state, at);
    const again = await index.recordFirstCheck(started, new Date('2026-07-01T00:00:00Z'));
    expect(again.license.firstCheckedAt).toEqual(at);
    const rows = await ctx.database.db.selectFrom('license_machines').select('install_digest').where('license_id', '=', license.id).execute();
    expect(rows).toEqual([{ install_digest: 'b'.repeat(64) }]);
  });
});

describe('LicenseIndex read seam', () => {
  it('reads through the given `read` instead of the database, counted and kept the same way', async () => {
    const key = generateLicenseKey();
    const asked: unknown[] = [];
    const index = new LicenseIndex({} as never, testDigester(), {
      ttlMs: 10_000,
      read: async (by) => {
        asked.push(by);
        if (!('candidates' in by)) return null;
        const machines = new Set<string>();
        return { state: { id: 'l1', appId: 'a1', license: license(), policy: policy(), machines, revision: 1 }, storedDigest: by.candidates[0]!, machines };
      },
    });
    expect(await index.lookup(key)).toMatchObject({ id: 'l1', appId: 'a1' });
    expect(index.peek(index.digestOf(key))).toMatchObject({ id: 'l1' });
    expect(asked).toEqual([{ candidates: [index.digestOf(key)] }]);
    expect(index.statements).toBe(1);
  });
});
