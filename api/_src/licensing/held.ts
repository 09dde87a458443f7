/**
 * @module licensing/held
 * A license being checked, as the license index (index.ts) hands it to the gate: the `LicenseState` built from its
 * slot (slots.ts) and what the index and the gate remember about it between checks, so that a hot license's check
 * repeats no work. Only recently checked licenses have one (index.ts `MAX_CREDENTIALS`); the rest are columns.
 * - the `Authorization` value its key's digest was memoized under (index.ts), forgotten with it;
 * - its access (access.ts), kept until the instant the answer can change (`accessSpan`);
 * - the last install id found counted, so a limited license's checks skip the install digest.
 * A change makes a new `Held`, so a state a caller holds never changes under it, but for `machines`, which only
 * grows as this instance counts installs (copied on write; a failed write removes its install again).
 */
import { type LicenseAccess, licenseAccess, accessSpan } from './access.ts';
import { internedSet } from './interned.ts';
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

/** One read of the index (index.ts): the license, its digest as stored, and its installs; null when there is none. */
export type LoadedLicense = { state: LicenseState; storedDigest: string; machines: Set<string> } | null;

export class Held implements LicenseState {
  readonly id: string;
  readonly appId: string;
  readonly license: License;
  readonly policy: LicensePolicy;
  /** `installIdDigest`s of its installs not deactivated (machines.ts); replaced, never changed, when one is added. */
  machines: ReadonlySet<string>;
  readonly revision: number;
  // Private, so a state logged or spread never shows the memoized `Authorization` value or an install id.
  #credential: string | null = null;
  #access: LicenseAccess | null = null;
  #accessFrom = 0;
  #accessUntil = 0;
  #countedInstall: string | null = null;

  /** @param state built from its slot (slots.ts), its policy and lists already shared */
  constructor(state: LicenseState) {
    this.id = state.id;
    this.appId = state.appId;
    this.license = state.license;
    this.policy = state.policy;
    this.machines = state.machines;
    this.revision = state.revision;
  }

  /** This license with another state (a first check recorded), the same bookkeeping but the access. */
  with(state: LicenseState): Held {
    const next = new Held({ ...state, machines: this.machines });
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
