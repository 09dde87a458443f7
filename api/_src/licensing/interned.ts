/**
 * @module licensing/interned
 * One shared, frozen copy of each distinct policy, entitlement list and app id the license index holds, so 100,000
 * licenses of a few policies keep a few policy objects rather than 100,000 equal ones (issue 17: ≤ 50 MB for
 * 100,000 licenses). Sharing never changes a meaning: each table is bounded and starts over when full, after which
 * new loads get fresh copies again.
 */
import type { LicensePolicy } from './policy.ts';

const MAX_INTERNED = 10_000;

class Interned<T> {
  readonly #table = new Map<string, T>();

  get(key: string, make: () => T): T {
    const known = this.#table.get(key);
    if (known !== undefined) return known;
    if (this.#table.size >= MAX_INTERNED) this.#table.clear();
    const made = make();
    this.#table.set(key, made);
    return made;
  }
}

const EMPTY: readonly string[] = Object.freeze([]);
const lists = new Interned<readonly string[]>();
const policies = new Interned<LicensePolicy>();

/** The shared copy of an entitlement list (the empty one for every license without its own). */
export function internedList(list: readonly string[]): readonly string[] {
  if (list.length === 0) return EMPTY;
  return lists.get(JSON.stringify(list), () => Object.freeze([...list]));
}

/** What tells two policies apart: equal keys, equal policies. */
export function policyKey(policy: LicensePolicy): string {
  const { durationDays, expiryStrategy, expirationBasis, graceDays, maxMachines, entitlements, patchLineAfterExpiry } = policy;
  return JSON.stringify([durationDays, expiryStrategy, expirationBasis, graceDays, maxMachines, entitlements, patchLineAfterExpiry]);
}

export function internedPolicy(policy: LicensePolicy): LicensePolicy {
  const { durationDays, expiryStrategy, expirationBasis, graceDays, maxMachines, entitlements, patchLineAfterExpiry } = policy;
  return policies.get(policyKey(policy), () =>
    Object.freeze({ durationDays, expiryStrategy, expirationBasis, graceDays, maxMachines, entitlements: internedList(entitlements), patchLineAfterExpiry }),
  );
}

/**
 * Distinct values by a small index, for columns (slots.ts) that keep an index per license rather than a reference.
 * Never emptied, as an index kept in a column must stay valid: it grows with the distinct policies, app ids and
 * entitlement lists ever held, which are few (an admin's edits and catalogue, not one per license or request).
 */
export class InternTable<T> {
  readonly #values: T[] = [];
  readonly #indexes = new Map<string, number>();

  index(key: string, make: () => T): number {
    let index = this.#indexes.get(key);
    if (index === undefined) {
      index = this.#values.push(make()) - 1;
      this.#indexes.set(key, index);
    }
    return index;
  }

  at(index: number): T {
    return this.#values[index]!;
  }
}

const NO_ENTITLEMENTS: ReadonlySet<string> = new Set<string>();
const sets = new Interned<ReadonlySet<string>>();

/** The shared copy of a set of entitlements (what an allowance holds). */
export function internedSet(set: ReadonlySet<string>): ReadonlySet<string> {
  if (set.size === 0) return NO_ENTITLEMENTS;
  const list = [...set].sort();
  return sets.get(JSON.stringify(list), () => new Set(list));
}
