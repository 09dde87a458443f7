/**
 * @module licensing/gate
 * Whether a request to a licensed app may go on, and with what allowance: the one gate the update check and
 * downloads share. Refusals are `ApiError`s with stable codes; a 401 never says more than "no valid key":
 * 401 `license_required`  no license credential (credential.ts)
 * 401 `license_invalid`   not a well-formed key: refused with no lookup
 * 401 `license_unknown`   no license has this key, or another app's license does
 * 403 `license_suspended`, `license_revoked`, `license_expired` (access.ts), `install_id_required`,
 *     `machine_limit_reached` (machines.ts): only once the key is proven valid
 * 503 `secrets_key_missing`: the server has no SECRETS_KEY, so it cannot digest keys (it never serves instead)
 * Every 401 `license_invalid`/`license_unknown` counts as a failed authentication of the address, and an address
 * over `RATE_LIMIT_AUTH_FAILURES_PER_MINUTE` gets 429 before any lookup. A key already known valid is answered
 * from memory without touching the limiter, so a paying install is never slowed by it.
 */
import { ApiError } from '../http/api-error.ts';
import type { RateLimits } from '../rate-limit/limits.ts';
import { type LicenseAllowance, licenseAccess } from './access.ts';
import { presentedLicense } from './credential.ts';
import { Held } from './held.ts';
import type { LicenseIndex, LicenseState } from './index.ts';
import { installIdDigest, machineDecision } from './machines.ts';

/** A license that may go on: its state and what it may have now. */
export interface LicenseGrant {
  readonly state: LicenseState;
  readonly allowance: LicenseAllowance;
}

/** A request's license, as the gate reads it. */
export interface LicenseRequest {
  /** The app the request is for; null: whichever app the key's license belongs to (`GET /license`). */
  readonly appId: string | null;
  readonly headers: Pick<Headers, 'get'>;
  /** The install id the request carries (`X-Install-Id` or `?install_id=`), already validated; null: none. */
  readonly installId: string | null;
  /** The TCP peer's address, from which the rate limiter derives the client's. */
  readonly peer: string;
  /**
   * What a grant may write: `all` (an update check or download: a new install's place, a `first_check` clock),
   * `installs` (a machine-bound license file: the place only), `none` (`GET /license` only reads). Default `all`.
   */
  readonly writes?: 'all' | 'installs' | 'none';
}

type Judged = (LicenseGrant & { readonly newMachine: string | null; readonly firstCheck: boolean }) | ApiError;

const unauthorized = (code: 'license_required' | 'license_invalid' | 'license_unknown', message: string) => new ApiError(401, code, message);

export class LicenseGate {
  readonly #index: LicenseIndex | null;
  readonly #rateLimits: Pick<RateLimits, 'clientAddress' | 'assertAuthAllowed' | 'authFailed'>;
  readonly #now: () => number;

  constructor(index: LicenseIndex | null, rateLimits: Pick<RateLimits, 'clientAddress' | 'assertAuthAllowed' | 'authFailed'>, now: () => number = Date.now) {
    this.#index = index;
    this.#rateLimits = rateLimits;
    this.#now = now;
  }

  get index(): LicenseIndex | null {
    return this.#index;
  }

  /**
   * The grant when it is decided entirely from memory: a known key of this app, allowed, and nothing to write;
   * else null (a refusal, a key to load, a first check or a new install), for `grant` to decide.
   */
  grantFromMemory(request: LicenseRequest): LicenseGrant | null {
    const state = this.#known(request);
    if (!state) return null;
    const judged = this.#judge(state, request);
    return judged instanceof ApiError || judged.newMachine !== null || judged.firstCheck ? null : judged;
  }

  /** The grant, synchronous when decided from memory; throws (or rejects with) the refusal as an `ApiError`. */
  grant(request: LicenseRequest): LicenseGrant | Promise<LicenseGrant> {
    const state = this.#known(request);
    if (!state) return this.#grantAfterLookup(request);
    return this.#settle(this.#judge(state, request));
  }

  #requireIndex(): LicenseIndex {
    if (this.#index) return this.#index;
    throw new ApiError(503, 'secrets_key_missing', 'this app is licensed, and this server has no SECRETS_KEY to check license keys with: set SECRETS_KEY (openssl rand -base64 32)');
  }

  /** The license of a well-formed key already in memory, when it is this app's; else undefined. */
  #known(request: LicenseRequest): LicenseState | undefined {
    const index = this.#requireIndex();
    const authorization = request.headers.get('authorization');
    const state = authorization === null ? undefined : index.peekCredential(authorization);
    return state && (request.appId === null || state.appId === request.appId) ? state : undefined;
  }

  async #grantAfterLookup(request: LicenseRequest): Promise<LicenseGrant> {
    const index = this.#requireIndex();
    const presented = presentedLicense(request.headers.get('authorization'));
    if (presented.kind === 'none') {
      throw unauthorized('license_required', 'this app is licensed: send its license key as `Authorization: License <key>`');
    }
    const address = this.#rateLimits.clientAddress(request.peer, request.headers);
    await this.#rateLimits.assertAuthAllowed(address, null);
    const state = presented.kind === 'key' ? await index.lookup(presented.key) : null;
    if (state === null || (request.appId !== null && state.appId !== request.appId)) {
      await this.#rateLimits.authFailed(address, null);
      if (presented.kind === 'malformed') throw unauthorized('license_invalid', 'the license key is malformed (mistyped or truncated)');
      throw unauthorized('license_unknown', 'no license of this app has this key');
    }
    return this.#settle(this.#judge(state, request));
  }

  /** Refusal, grant, or the grant once its one-time writes are made. */
  #settle(judged: Judged): LicenseGrant | Promise<LicenseGrant> {
    if (judged instanceof ApiError) throw judged;
    const { state, allowance, newMachine, firstCheck } = judged;
    if (newMachine === null && !firstCheck) return judged;
    const index = this.#requireIndex();
    // Counted in memory at once (recordMachine), so a concurrent check of another install sees the place taken.
    const machine = newMachine === null ? null : index.recordMachine(state, newMachine);
    const started = firstCheck ? index.recordFirstCheck(state, new Date(this.#now())) : null;
    return Promise.all([machine, started]).then(([, updated]) => ({ state: updated ?? state, allowance }));
  }

  #judge(state: LicenseState, { installId, writes = 'all' }: LicenseRequest): Judged {
    const now = this.#now();
    // A `first_check` license's clock starts at this check, which is written once it is allowed.
    const firstCheck = state.policy.expirationBasis === 'first_check' && state.license.firstCheckedAt === null;
    const held = state instanceof Held ? state : null;
    const access = held && !firstCheck
      ? held.access(now)
      : licenseAccess(firstCheck ? { ...state.license, firstCheckedAt: new Date(now) } : state.license, state.policy, new Date(now));
    if (!access.allowed) return new ApiError(403, access.code, `the license is ${access.code.slice('license_'.length)}`);
    // Without a limit every install passes and none is recorded, and an install found counted stays counted
    // while this state is held: neither needs the install's digest.
    if (installId !== null && (state.policy.maxMachines === null || held?.counts(installId))) return { state, allowance: access, newMachine: null, firstCheck: firstCheck && writes === 'all' };
    const installDigest = installId === null ? null : installIdDigest(state.id, installId);
    const machine = machineDecision(state.policy, installDigest, state.machines);
    if (!machine.allowed) {
      return new ApiError(
        403,
        machine.code,
        machine.code === 'install_id_required'
          ? 'this license is limited to a number of installs: send the install id as X-Install-Id'
          : `this license is already used by ${state.policy.maxMachines === 1 ? 'its one install' : `its ${state.policy.maxMachines} installs`}`,
      );
    }
    if (!machine.newMachine && installId !== null) held?.noteCounted(installId);
    // Installs are recorded only under a limit: without one, nothing is counted.
    const newMachine = machine.newMachine && state.policy.maxMachines !== null ? installDigest : null;
    return { state, allowance: access, newMachine: writes === 'none' ? null : newMachine, firstCheck: firstCheck && writes === 'all' };
  }
}
