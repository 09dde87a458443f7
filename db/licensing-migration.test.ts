/**
 * Migration 0011 (licensing) on a database that already holds releases: the first publication is backfilled from
 * what was recorded and then kept by the database whatever later writes do; the new tables refuse what the
 * licensing code must never store.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { testEngines } from '../test/support/postgres.ts';
import type { DatabaseHandle } from './connect.ts';
import { migrateToLatest } from './migrate.ts';
import { migrationProvider } from './migrations/index.ts';

const PUBLISHED = new Date('2026-03-01T00:00:00Z');
const digest = (c: string) => c.repeat(64);

describe.each(testEngines)('migration 2026_12_07_0011 on $name', ({ open }) => {
  let database: DatabaseHandle;
  let db: Kysely<any>;
  let appId: string;
  let ids: Record<string, string>;

  beforeAll(async () => {
    database = await open();
    db = database.db as Kysely<any>;
    expect((await new Migrator({ db, provider: migrationProvider }).migrateTo('2026_12_06_0010_github_sources')).error).toBeUndefined();
    ({ id: appId } = await db.insertInto('apps').values({ slug: 'app', name: 'App' }).returning('id').executeTakeFirstOrThrow());
    const release = async (version: string, status: string, pub_date: Date | null) =>
      (await db.insertInto('releases').values({ app_id: appId, version, status, pub_date }).returning('id').executeTakeFirstOrThrow()).id as string;
    ids = {
      published: await release('1.0.0', 'published', PUBLISHED),
      archived: await release('1.1.0', 'archived', new Date('2026-04-01T00:00:00Z')),
      publishedUndated: await release('1.2.0', 'published', null),
      draft: await release('1.3.0', 'draft', null),
    };
    await migrateToLatest(db);
  });
  afterAll(() => database.close());

  const firstPublished = async (id: string) =>
    ((await db.selectFrom('releases').select('first_published_at').where('id', '=', id).executeTakeFirstOrThrow()).first_published_at as Date | null);

  it('backfills the first publication from pub_date, or the creation of a published release without one', async () => {
    expect(await firstPublished(ids.published!)).toEqual(PUBLISHED);
    expect(await firstPublished(ids.archived!)).toEqual(new Date('2026-04-01T00:00:00Z'));
    const undated = await db.selectFrom('releases').select(['first_published_at', 'created_at']).where('id', '=', ids.publishedUndated!).executeTakeFirstOrThrow();
    expect(undated.first_published_at).toEqual(undated.created_at);
    expect(await firstPublished(ids.draft!)).toBeNull();
  });

  it('sets the first publication when a draft is published, and no later write moves it', async () => {
    const publishedAt = new Date('2026-05-01T00:00:00Z');
    await db.updateTable('releases').set({ status: 'published', pub_date: publishedAt }).where('id', '=', ids.draft!).execute();
    expect(await firstPublished(ids.draft!)).toEqual(publishedAt);
    // Archive and publish again; a GitHub edit of pub_date; a direct write: all keep it.
    await db.updateTable('releases').set({ status: 'archived' }).where('id', '=', ids.draft!).execute();
    await db.updateTable('releases').set({ status: 'published', pub_date: new Date('2026-09-01T00:00:00Z') }).where('id', '=', ids.draft!).execute();
    await db.updateTable('releases').set({ first_published_at: new Date('2027-01-01T00:00:00Z') }).where('id', '=', ids.draft!).execute();
    expect(await firstPublished(ids.draft!)).toEqual(publishedAt);
  });

  it('dates a release inserted as published (a GitHub sync) by its pub_date, and one without by now', async () => {
    const synced = await db.insertInto('releases').values({ app_id: appId, version: '2.0.0', status: 'published', pub_date: PUBLISHED }).returning('first_published_at').executeTakeFirstOrThrow();
    expect(synced.first_published_at).toEqual(PUBLISHED);
    const before = Date.now();
    const now = await db.insertInto('releases').values({ app_id: appId, version: '2.0.1', status: 'published' }).returning('first_published_at').executeTakeFirstOrThrow();
    expect((now.first_published_at as Date).getTime()).toBeGreaterThanOrEqual(before - 60_000);
    const draft = await db.insertInto('releases').values({ app_id: appId, version: '2.0.2', pub_date: PUBLISHED }).returning('first_published_at').executeTakeFirstOrThrow();
    expect(draft.first_published_at).toBeNull();
  });

  it('accepts a back-date at or before the first publication only, and entitlement lists of names only', async () => {
    const set = (values: Record<string, unknown>) => db.updateTable('releases').set(values).where('id', '=', ids.published!).execute();
    await set({ entitlement_date: new Date('2026-02-01T00:00:00Z'), required_entitlements: JSON.stringify(['pro', 'updates:2026']) });
    await expect(set({ entitlement_date: new Date('2026-03-02T00:00:00Z') })).rejects.toThrow(/releases_entitlement_date_backdates/);
    for (const bad of [{ pro: true }, [1], ['has space'], ['-leading'], Array.from({ length: 65 }, (_, i) => `e${i}`)]) {
      await expect(set({ required_entitlements: JSON.stringify(bad) })).rejects.toThrow(/check constraint/);
    }
    await expect(db.insertInto('release_channels').values({ app_id: appId, name: 'beta', required_entitlement: 'no spaces' }).execute()).rejects.toThrow(/check constraint/);
    await db.insertInto('release_channels').values({ app_id: appId, name: 'beta', required_entitlement: 'beta' }).execute();
  });

  it('stores licenses by digest, idempotent per external id, with a policy of their own app only', async () => {
    const policy = await db.insertInto('license_policies').values({ app_id: appId, name: 'Yearly', duration_days: 365 }).returningAll().executeTakeFirstOrThrow();
    expect(policy).toMatchObject({ expiry_strategy: 'fallback', expiration_basis: 'created', grace_days: 0, max_machines: null, entitlements: [], patch_line_after_expiry: false });
    const app = await db.selectFrom('apps').select('licensing').where('id', '=', appId).executeTakeFirstOrThrow();
    expect(app.licensing).toBe('open');

    const license = (values: Record<string, unknown>) =>
      db.insertInto('licenses').values({ app_id: appId, policy_id: policy.id, key_digest: digest('a'), key_secret_id: '0123456789abcdef', key_prefix: 'trl_AB12', ...values }).returningAll().executeTakeFirstOrThrow();
    const first = await license({ external_source: 'stripe', external_id: 'sub_1' });
    expect(first).toMatchObject({ status: 'active', revision: 1, entitlements: [], expires_at: null, first_checked_at: null });
    await expect(license({ key_digest: digest('b'), external_source: 'stripe', external_id: 'sub_1' })).rejects.toThrow(/licenses_app_external_unique/);
    await expect(license({ key_digest: digest('a') })).rejects.toThrow(/unique/);
    await expect(license({ key_digest: digest('c'), external_id: 'sub_2' })).rejects.toThrow(/licenses_external_pair/);
    await expect(license({ key_digest: digest('d'), key_prefix: 'trl_ABCDEFGH' })).rejects.toThrow(/check constraint/);
    await expect(license({ key_digest: 'trl_not-a-digest' })).rejects.toThrow(/check constraint/);

    const { id: otherApp } = await db.insertInto('apps').values({ slug: 'other', name: 'Other' }).returning('id').executeTakeFirstOrThrow();
    await expect(
      db.insertInto('licenses').values({ app_id: otherApp, policy_id: policy.id, key_digest: digest('e'), key_secret_id: '0123456789abcdef', key_prefix: 'trl_AB12' }).execute(),
    ).rejects.toThrow(/licenses_policy_fkey/);
    await expect(db.deleteFrom('license_policies').where('id', '=', policy.id).execute()).rejects.toThrow(/licenses_policy_fkey/);

    // One active row per install; a deactivated one does not count.
    const machine = () => db.insertInto('license_machines').values({ license_id: first.id, install_digest: digest('f') }).execute();
    await machine();
    await expect(machine()).rejects.toThrow(/license_machines_active_unique/);
    await db.updateTable('license_machines').set({ deactivated_at: new Date() }).where('license_id', '=', first.id).execute();
    await machine();

    // Deleting the app removes its policies, licenses and machines with it.
    await db.deleteFrom('apps').where('id', '=', appId).execute();
    expect(await db.selectFrom('license_machines').select('id').execute()).toEqual([]);
  });
});
