/**
 * The license columns: digests found through the open-addressing table across growth and removals (tombstones),
 * and a license's state built back from its slot as it was read.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { LoadedLicense } from './index.ts';
import { LicenseSlots } from './slots.ts';
import { license, policy } from './testing.ts';

const digestOf = (n: number) => createHash('sha256').update(String(n)).digest('hex');

function loaded(id: string, storedDigest: string, machines: string[] = []): NonNullable<LoadedLicense> {
  const set = new Set(machines);
  return {
    state: { id, appId: 'app-1', license: license({ entitlements: ['pro'] }), policy: policy({ maxMachines: 3 }), machines: set, revision: 7 },
    storedDigest,
    machines: set,
  };
}

describe('LicenseSlots', () => {
  it('finds every digest it holds, and none it does not, across growth and removals', () => {
    const slots = new LicenseSlots();
    const held = new Map<number, number>();
    for (let n = 0; n < 5_000; n++) held.set(n, slots.add(digestOf(n), loaded(`l${n}`, digestOf(n)), 1e12, 1e12));
    for (let n = 0; n < 5_000; n += 2) slots.remove(held.get(n)!);
    // Freed slots are reused, and the table is rebuilt once tombstones would fill it.
    for (let n = 5_000; n < 9_000; n++) held.set(n, slots.add(digestOf(n), loaded(`l${n}`, digestOf(n)), 1e12, 1e12));
    expect(slots.size).toBe(6_500);
    for (let n = 0; n < 9_000; n++) {
      const expected = n < 5_000 && n % 2 === 0 ? -1 : held.get(n);
      expect(slots.find(digestOf(n))).toBe(expected);
      if (expected !== -1) expect(slots.id(expected!)).toBe(`l${n}`);
    }
    expect(slots.find(digestOf(-1))).toBe(-1);
    expect(slots.find('not a digest')).toBe(-1);
  });

  it('builds a license back as it was read, with its stored digest, installs and first check', () => {
    const slots = new LicenseSlots();
    const digest = digestOf(1);
    const retired = digestOf(2); // digested under a retired secret
    const slot = slots.add(digest, loaded('l1', retired, ['a'.repeat(64), 'b'.repeat(64)]), 5_000, 4_000);
    const original = loaded('l1', retired, ['a'.repeat(64), 'b'.repeat(64)]).state;
    expect(slots.state(slot)).toEqual(original);
    expect(slots.digest(slot)).toBe(digest);
    expect(slots.storedDigest(slot)).toBe(retired);
    expect(slots.heldUntil(slot)).toBe(5_000);
    expect(slots.refreshDue(slot, 3_999)).toBe(false);
    expect(slots.refreshDue(slot, 4_000)).toBe(true);
    expect(slots.refreshDue(slot, 4_001)).toBe(false); // once per load
    const checkedAt = new Date('2026-06-01T00:00:00Z');
    slots.setFirstCheck(slot, checkedAt, 8);
    slots.setMachines(slot, new Set());
    expect(slots.state(slot)).toMatchObject({ license: { firstCheckedAt: checkedAt }, revision: 8 });
    expect(slots.state(slot).machines.size).toBe(0);
  });

  it('refuses a digest that is not 64 lowercase hex digits', () => {
    expect(() => new LicenseSlots().add('F'.repeat(64), loaded('l1', 'F'.repeat(64)), 1, 1)).toThrow(/64 lowercase hex/);
  });
});
