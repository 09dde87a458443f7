/** The inbound delivery store: seen after a record only, idempotent, per source, and pruned after its retention (never before 24 h). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testEngines } from '../../../test/support/postgres.ts';
import type { DatabaseHandle } from '../../../db/connect.ts';
import { migrateToLatest } from '../../../db/migrate.ts';
import { DEFAULT_RETENTION_MS, InboundDeliveries } from './deliveries.ts';

const HOUR_MS = 60 * 60 * 1000;

describe.each(testEngines)('inbound deliveries on $name', ({ open }) => {
  let database: DatabaseHandle;
  let clock: number;
  let store: InboundDeliveries;
  beforeAll(async () => {
    database = await open();
    await migrateToLatest(database.db);
    clock = Date.parse('2026-12-07T00:00:00Z');
    store = new InboundDeliveries(database.db, { now: () => clock });
  });
  afterAll(() => database.close());

  it('knows a delivery once it is recorded, per source, and records it again without error', async () => {
    expect(await store.seen('github', 'd-1')).toBe(false);
    await store.record('github', 'd-1', new Date(clock));
    expect(await store.seen('github', 'd-1')).toBe(true);
    expect(await store.seen('stripe:abc', 'd-1')).toBe(false);
    clock += 1000;
    await store.record('github', 'd-1', new Date(clock));
    const rows = await database.db.selectFrom('inbound_deliveries').selectAll().where('delivery_id', '=', 'd-1').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.processed_at).toEqual(new Date(clock));
  });

  it('keeps deliveries 24 h and longer, and prunes them after the retention', async () => {
    await database.db.deleteFrom('inbound_deliveries').execute();
    const start = clock;
    await store.record('github', 'old', new Date(start));
    clock = start + 24 * HOUR_MS;
    expect(await store.prune()).toBe(0);
    expect(await store.seen('github', 'old')).toBe(true);
    clock = start + DEFAULT_RETENTION_MS;
    expect(await store.prune()).toBe(0);
    // The next record past the prune interval prunes by itself.
    clock = start + DEFAULT_RETENTION_MS + 1;
    await store.record('github', 'new', new Date(clock));
    expect(await store.seen('github', 'old')).toBe(false);
    expect(await store.seen('github', 'new')).toBe(true);
  });

  it('refuses a retention under 24 h, and ids the table cannot hold', async () => {
    expect(() => new InboundDeliveries(database.db, { retentionMs: 23 * HOUR_MS })).toThrow(/at least 24 h/);
    await expect(store.record('github', 'a\u0001b', new Date(clock))).rejects.toThrow(/check constraint/);
    await expect(store.record('Not A Source', 'x', new Date(clock))).rejects.toThrow(/check constraint/);
  });
});
