/**
 * @module licensing/slots
 * The licenses the license index (index.ts) holds, by slot in columns rather than one object graph each (issue 17:
 * ≤ 50 MB for 100,000 licenses, about 500 bytes a license; a `Held` with its `License`, `Date`s, `Set` and two Map
 * entries under 64-character keys took 900–1,300):
 * - each key digest as 32 bytes in one Buffer, found through an open-addressing table of slot numbers (linear
 *   probing; the digests are HMAC outputs, so their first 4 bytes are already a uniform hash);
 * - dates and the revision in Float64Arrays (NaN: null), the status as a byte, the app id, policy and entitlement
 *   list as indexes into interned tables (interned.ts);
 * - the install digests of a license with any as one comma-joined string.
 * A license's `LicenseState` is built from its slot only when it is checked (index.ts keeps the hot ones built).
 */
import { LICENSE_STATUSES } from '../../../db/schema.ts';
import type { LicenseState, LoadedLicense } from './held.ts';
import { InternTable, internedList, internedPolicy, policyKey } from './interned.ts';
import type { LicensePolicy } from './policy.ts';

const DIGEST_BYTES = 32;
const DIGEST_HEX = /^[0-9a-f]{64}$/;
const TOMBSTONE = -1;
/** No install counted: one shared set rather than an empty one per license. */
const NO_MACHINES: ReadonlySet<string> = new Set<string>();

const apps = new InternTable<string>();
const policies = new InternTable<LicensePolicy>();
const lists = new InternTable<readonly string[]>();

/** A lowercase hex digit's value (the digests are lowercase hex: `DIGEST_HEX`). */
const nibble = (code: number) => (code <= 57 ? code - 48 : code - 87);
const dateOf = (ms: number) => (Number.isNaN(ms) ? null : new Date(ms));
const msOf = (date: Date | null) => (date === null ? Number.NaN : date.getTime());

export class LicenseSlots {
  #capacity = 0;
  #count = 0;
  #tombstones = 0;
  /** Slot + 1 per position; 0 empty, `TOMBSTONE` a removed slot's position. Twice the capacity at least. */
  #table = new Int32Array(0);
  #digests = Buffer.alloc(0);
  #ids: (string | undefined)[] = [];
  /** The digest as stored, only where it differs from the slot's (a key digested under a retired secret). */
  readonly #storedDigests = new Map<number, string>();
  #machines: (string | undefined)[] = [];
  #status = new Uint8Array(0);
  #app = new Int32Array(0);
  #policy = new Int32Array(0);
  #entitlements = new Int32Array(0);
  /** Per slot: `expiresAt`, `createdAt`, `firstCheckedAt`, revision, held until, refresh at. */
  #numbers = new Float64Array(0);
  readonly #free: number[] = [];
  #next = 0;

  get size(): number {
    return this.#count;
  }

  /** The slot of a hex digest, or -1. */
  find(digest: string): number {
    if (digest.length !== DIGEST_BYTES * 2 || this.#count === 0) return -1;
    const mask = this.#table.length - 1;
    for (let at = this.#hashOfHex(digest) & mask; ; at = (at + 1) & mask) {
      const entry = this.#table[at]!;
      if (entry === 0) return -1;
      if (entry > 0 && this.#matches(entry - 1, digest)) return entry - 1;
    }
  }

  /** Keeps a license read under `digest` (not held yet), until `heldUntil`; returns its slot. */
  add(digest: string, loaded: NonNullable<LoadedLicense>, heldUntil: number, refreshAt: number): number {
    if (!DIGEST_HEX.test(digest)) throw new Error('a license digest is 64 lowercase hex digits');
    if (this.#count + 1 > this.#capacity) this.#resize(Math.max(1024, this.#capacity * 2));
    else if ((this.#count + this.#tombstones + 1) * 2 > this.#table.length) this.#resize(this.#capacity);
    const slot = this.#free.pop() ?? this.#next++;
    this.#digests.write(digest, slot * DIGEST_BYTES, DIGEST_BYTES, 'hex');
    this.#place(slot);
    this.#count++;
    const { state } = loaded;
    this.#ids[slot] = state.id;
    if (loaded.storedDigest !== digest) this.#storedDigests.set(slot, loaded.storedDigest);
    this.setMachines(slot, loaded.machines);
    this.#status[slot] = LICENSE_STATUSES.indexOf(state.license.status);
    this.#app[slot] = apps.index(state.appId, () => state.appId);
    this.#policy[slot] = policies.index(policyKey(state.policy), () => internedPolicy(state.policy));
    const list = internedList(state.license.entitlements);
    this.#entitlements[slot] = lists.index(JSON.stringify(list), () => list);
    const numbers = slot * 6;
    this.#numbers[numbers] = msOf(state.license.expiresAt);
    this.#numbers[numbers + 1] = state.license.createdAt.getTime();
    this.#numbers[numbers + 2] = msOf(state.license.firstCheckedAt);
    this.#numbers[numbers + 3] = state.revision;
    this.#numbers[numbers + 4] = heldUntil;
    this.#numbers[numbers + 5] = refreshAt;
    return slot;
  }

  remove(slot: number): void {
    const mask = this.#table.length - 1;
    for (let at = this.#digests.readUInt32BE(slot * DIGEST_BYTES) & mask; ; at = (at + 1) & mask) {
      const entry = this.#table[at]!;
      if (entry === 0) throw new Error(`license slot ${slot} is not in the table`);
      if (entry === slot + 1) {
        this.#table[at] = TOMBSTONE;
        break;
      }
    }
    this.#tombstones++;
    this.#count--;
    this.#ids[slot] = undefined;
    this.#machines[slot] = undefined;
    this.#storedDigests.delete(slot);
    this.#free.push(slot);
  }

  /** The license's state as the gate reads it, built afresh (index.ts builds it only for licenses being checked). */
  state(slot: number): LicenseState {
    const numbers = slot * 6;
    const machines = this.#machines[slot];
    return {
      id: this.#ids[slot]!,
      appId: apps.at(this.#app[slot]!),
      license: {
        status: LICENSE_STATUSES[this.#status[slot]!]!,
        expiresAt: dateOf(this.#numbers[numbers]!),
        entitlements: lists.at(this.#entitlements[slot]!),
        createdAt: new Date(this.#numbers[numbers + 1]!),
        firstCheckedAt: dateOf(this.#numbers[numbers + 2]!),
      },
      policy: policies.at(this.#policy[slot]!),
      machines: machines === undefined ? NO_MACHINES : new Set(machines.split(',')),
      revision: this.#numbers[numbers + 3]!,
    };
  }

  id(slot: number): string {
    return this.#ids[slot]!;
  }

  digest(slot: number): string {
    return this.#digests.toString('hex', slot * DIGEST_BYTES, (slot + 1) * DIGEST_BYTES);
  }

  storedDigest(slot: number): string {
    return this.#storedDigests.get(slot) ?? this.digest(slot);
  }

  heldUntil(slot: number): number {
    return this.#numbers[slot * 6 + 4]!;
  }

  /** Whether to reload it in the background now: true once per load (a failing database is not asked on every check). */
  refreshDue(slot: number, now: number): boolean {
    const at = slot * 6 + 5;
    if (this.#numbers[at]! > now) return false;
    this.#numbers[at] = this.#numbers[at - 1]!;
    return true;
  }

  setMachines(slot: number, machines: ReadonlySet<string>): void {
    this.#machines[slot] = machines.size === 0 ? undefined : [...machines].join(',');
  }

  setFirstCheck(slot: number, firstCheckedAt: Date | null, revision: number): void {
    this.#numbers[slot * 6 + 2] = msOf(firstCheckedAt);
    this.#numbers[slot * 6 + 3] = revision;
  }

  #hashOfHex(digest: string): number {
    let hash = 0;
    for (let i = 0; i < 8; i++) hash = hash * 16 + nibble(digest.charCodeAt(i));
    return hash >>> 0;
  }

  #matches(slot: number, digest: string): boolean {
    const digests = this.#digests;
    for (let i = 0, at = slot * DIGEST_BYTES; i < DIGEST_BYTES; i++, at++) {
      if (digests[at] !== ((nibble(digest.charCodeAt(2 * i)) << 4) | nibble(digest.charCodeAt(2 * i + 1)))) return false;
    }
    return true;
  }

  #place(slot: number): void {
    const mask = this.#table.length - 1;
    let at = this.#digests.readUInt32BE(slot * DIGEST_BYTES) & mask;
    while (this.#table[at]! > 0) at = (at + 1) & mask;
    if (this.#table[at] === TOMBSTONE) this.#tombstones--;
    this.#table[at] = slot + 1;
  }

  /** Columns of `capacity` slots, and the table rebuilt without tombstones. */
  #resize(capacity: number): void {
    if (capacity !== this.#capacity) {
      const grown = <T extends Uint8Array | Int32Array | Float64Array>(old: T, make: (n: number) => T, width = 1): T => {
        const next = make(capacity * width);
        next.set(old);
        return next;
      };
      this.#digests = grown(this.#digests, (n) => Buffer.alloc(n), DIGEST_BYTES);
      this.#status = grown(this.#status, (n) => new Uint8Array(n));
      this.#app = grown(this.#app, (n) => new Int32Array(n));
      this.#policy = grown(this.#policy, (n) => new Int32Array(n));
      this.#entitlements = grown(this.#entitlements, (n) => new Int32Array(n));
      this.#numbers = grown(this.#numbers, (n) => new Float64Array(n), 6);
      this.#capacity = capacity;
    }
    let size = 1;
    while (size < capacity * 2) size *= 2;
    this.#table = new Int32Array(size);
    this.#tombstones = 0;
    for (let slot = 0; slot < this.#next; slot++) if (this.#ids[slot] !== undefined) this.#place(slot);
  }
}
