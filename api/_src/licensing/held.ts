/**
 * @module licensing/held
 * A license as the license index (index.ts) holds it: the `LicenseState` the gate reads, one object per license
 * with its policy and lists shared (interned.ts), and what the index and the gate remember about it between checks
 * so that a known license's check repeats no work:
 * - when it must be read again (the TTL, the background refresh);
 * - the `Authorization` value its key's digest was memoized under (index.ts), forgotten with it;
 * - its access (access.ts), kept until the instant the answer can change (`accessSpan`);
 * - the last install id found counted, so a limited license's checks skip the install digest.
 * A change makes a new `Held`, so a state a caller holds never changes under it, but for `machines`, which only
 * grows as this instance counts installs (copied on write; a failed write removes its install again).
 */
import { type LicenseAccess, licenseAccess, accessSpan } from './access.ts';
import { internedId, internedList, internedPolicy, internedSet } from './interned.ts';
import type { License, LicensePolicy } from './policy.ts';

/** What the gate needs of one license. */
export interface LicenseState {
  readonly id: string;
  readonly appId: string;
  readonly license: License;
  readonly policy: LicensePolicy;
  /** `installIdDigest`s of its installs not deactivated (machines.ts). */
  readonly machines: ReadonlySet<string>;
  readonly revision: number;
}

/** No install counted: one shared set rather than an empty one per license (an empty Set is ~150 bytes). */
const NO_MACHINES: ReadonlySet<string> = new Set<string>();

export class Held implements LicenseState {
  readonly id: string;
  readonly appId: string;
  readonly license: License;
  readonly policy: LicensePolicy;
  /** `installIdDigest`s of its installs not deactivated (machines.ts); replaced, never changed, when one is added. */
  machines: ReadonlySet<string>;
  readonly revision: number;
  // Private, so a state logged or spread never shows the digest, the memoized `Authorization` value or an install id.
  /** The digest as stored (possibly under a retired secret): a reload by id must still find it, or the key was rotated. */
  readonly #storedDigest: string;
  readonly #expiresAt: number;
  #refreshAt: number;
  #credential: string | null = null;
  #access: LicenseAccess | null = null;
  #accessFrom = 0;
  #accessUntil = 0;
  #countedInstall: string | null = null;

  constructor(state: LicenseState, machines: ReadonlySet<string>, storedDigest: string, expiresAt: number, refreshAt: number) {
    const { license } = state;
    const entitlements = internedList(license.entitlements);
    this.id = state.id;
    this.appId = internedId(state.appId);
    this.license = entitlements === license.entitlements ? license : { ...license, entitlements };
    this.policy = internedPolicy(state.policy);
    this.machines = machines.size === 0 ? NO_MACHINES : machines;
    this.revision = state.revision;
    this.#storedDigest = storedDigest;
    this.#expiresAt = expiresAt;
    this.#refreshAt = refreshAt;
  }

  /** This license with another state (a first check recorded), the same bookkeeping but the access. */
  with(state: LicenseState): Held {
    const next = new Held(state, this.machines, this.#storedDigest, this.#expiresAt, this.#refreshAt);
    next.#credential = this.#credential;
    return next;
  }

  addMachine(installDigest: string): void {
    this.machines = new Set(this.machines).add(installDigest);
  }

  removeMachine(installDigest: string): void {
    this.machines = new Set([...this.machines].filter((machine) => machine !== installDigest));
    this.#countedInstall = null;
  }

  expired(now: number): boolean {
    return this.#expiresAt <= now;
  }

  /** Whether to reload it in the background now: true once per load (a failing database is not asked on every check). */
  refreshDue(now: number): boolean {
    if (this.#refreshAt > now) return false;
    this.#refreshAt = this.#expiresAt;
    return true;
  }

  get readBy(): { id: string; digest: string } {
    return { id: this.id, digest: this.#storedDigest };
  }

  /** The `Authorization` value memoized for this license's key. */
  get credential(): string | null {
    return this.#credential;
  }

  set credential(value: string | null) {
    this.#credential = value;
  }

  /** `licenseAccess` at `now`, computed again only once `now` leaves the span in which its answer holds. */
  access(now: number): LicenseAccess {
    if (this.#access !== null && now >= this.#accessFrom && now < this.#accessUntil) return this.#access;
    const access = licenseAccess(this.license, this.policy, new Date(now));
    [this.#accessFrom, this.#accessUntil] = accessSpan(this.license, this.policy, now);
    this.#access = access.allowed ? { ...access, entitlements: internedSet(access.entitlements) } : access;
    return this.#access;
  }

  /** Whether `installId` was found counted on an earlier check of this state. */
  counts(installId: string): boolean {
    return this.#countedInstall === installId;
  }

  noteCounted(installId: string): void {
    this.#countedInstall = installId;
  }
}
