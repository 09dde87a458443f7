/**
 * @module ci/oidc/claims
 * What a GitHub Actions OIDC token must say for a trusted publisher to accept it, written as data in
 * the manner of pypi/warehouse (`oidc/models/github.py`): every claim GitHub sends is in exactly one
 * table below, each verifiable claim has one named check with one signature, and `claims.test.ts` pins
 * the whole known set, so adding or dropping a claim is a deliberate edit. Claims we do not know are
 * tolerated (GitHub keeps adding them) and reported for drift.
 *
 * The checks run after the verifier (`verify.ts`) has checked signature, issuer, audience, times and
 * the presence and type of the required claims.
 */
import type { TrustedPublisherRow } from '../../../../db/schema.ts';
import { refGlobMatches } from '../../protocol/ref-glob.ts';
import { type PolicyRule, quote, refuse } from './refusal.ts';

/** A verified token's claims. Every custom claim is a string, ids included (`"repository_id": "74"`). */
export interface ActionsClaims {
  iss: string;
  aud: string;
  exp: number;
  iat: number;
  jti: string;
  repository: string;
  repository_id: string;
  repository_owner_id: string;
  workflow_ref: string;
  job_workflow_ref: string;
  event_name: string;
  /** May be empty (deployment events). */
  ref: string;
  runner_environment: string;
  sha: string;
  run_id: string;
  run_attempt: string;
  environment?: string;
  [claim: string]: unknown;
}

/** The ground truth a check compares against: one trusted publisher. */
export type Binding = Pick<
  TrustedPublisherRow,
  'repository' | 'repository_id' | 'repository_owner_id' | 'workflow' | 'environment' | 'allowed_refs' | 'allow_self_hosted'
>;

export type Verdict = { ok: true } | { ok: false; reason: string };
const PASS: Verdict = { ok: true };
const fail = (reason: string): Verdict => ({ ok: false, reason });

/** Every check has this signature: the binding, the signed claim's value, and all claims for context. */
export type ClaimCheck = (binding: Binding, value: string | undefined, claims: ActionsClaims) => Verdict;

/** Events that run with the base repository's trust on behalf of people who may not have write access. */
export const REFUSED_EVENTS = ['pull_request_target', 'workflow_run', 'issue_comment'] as const;

// ---- checks ---------------------------------------------------------------------------------------

/** GitHub treats `owner/name` case-insensitively, so we do too (as warehouse `_check_repository`). */
const checkRepository: ClaimCheck = (binding, value) => {
  // Defensive: an empty claim must never equal anything.
  if (!value) return fail('the token names no repository');
  return value.toLowerCase() === binding.repository.toLowerCase()
    ? PASS
    : fail(`the run is in repository ${quote(value)}, but this trusted publisher is bound to ${quote(binding.repository)}; if the repository was renamed, update the publisher`);
};

/** Pinned ids defeat account and repository resurrection: a new owner of an old name gets a new id. */
const checkRepositoryOwnerId: ClaimCheck = (binding, value) =>
  value === binding.repository_owner_id
    ? PASS
    : fail(`repository_owner_id ${quote(value)} is not the bound owner's ${quote(binding.repository_owner_id)}: the owner account was re-created or the repository moved to another owner`);

const checkRepositoryId: ClaimCheck = (binding, value) =>
  value === binding.repository_id
    ? PASS
    : fail(`repository_id ${quote(value)} is not the bound repository's ${quote(binding.repository_id)}: the repository was deleted and re-created under the same name`);

/**
 * `workflow_ref` names the top-level workflow of the run (the caller, not a reusable workflow it `uses:`;
 * that one is `job_workflow_ref`, which we record). The caller is what a repository's admins control,
 * as crates.io and npm decide. The expected value is built from the binding and compared whole,
 * `<repository>/.github/workflows/<file>@<ref or sha>`, so no parsing of `@` or `.yml` is involved
 * (file names and refs may contain both: `nested.yml@evil.yml@refs/heads/main`).
 */
const checkWorkflowRef: ClaimCheck = (binding, value, claims) => {
  const prefix = `${binding.repository}/.github/workflows/`;
  if (!value || value.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) {
    return fail(`workflow_ref ${quote(value)} is not a workflow file of ${quote(binding.repository)}`);
  }
  if (binding.workflow === null) return PASS;
  const rest = value.slice(prefix.length);
  // `ref` is empty for some events (deployments); the workflow is then pinned by commit.
  const accepted = [claims.ref, claims.sha].filter((at) => at !== '').map((at) => `${binding.workflow}@${at}`);
  return accepted.includes(rest)
    ? PASS
    : fail(`the run's top-level workflow is ${quote(rest)}, but this trusted publisher accepts only ${quote(binding.workflow)} (at the run's ref or sha)`);
};

const checkEventName: ClaimCheck = (_binding, value) =>
  value && !(REFUSED_EVENTS as readonly string[]).includes(value)
    ? PASS
    : fail(`event ${quote(value)} is refused: ${REFUSED_EVENTS.join(', ')} runs can be started by people without write access and run with the repository's trust`);

const checkRunnerEnvironment: ClaimCheck = (binding, value) => {
  if (value === 'github-hosted') return PASS;
  if (value === 'self-hosted') {
    return binding.allow_self_hosted
      ? PASS
      : fail('the job ran on a self-hosted runner; this trusted publisher accepts GitHub-hosted runners only (allow_self_hosted)');
  }
  return fail(`runner_environment ${quote(value)} is neither "github-hosted" nor "self-hosted"`);
};

const checkRef: ClaimCheck = (binding, value) => {
  if (binding.allowed_refs.length === 0) return PASS;
  return binding.allowed_refs.some((glob) => refGlobMatches(glob, value ?? ''))
    ? PASS
    : fail(`ref ${quote(value)} matches none of this trusted publisher's allowed_refs ${quote(binding.allowed_refs, 300)}`);
};

/** Absent from the token unless the job names an environment; GitHub matches names case-insensitively. */
const checkEnvironment: ClaimCheck = (binding, value) => {
  if (binding.environment === null) return PASS;
  if (!value) return fail(`this trusted publisher requires environment ${quote(binding.environment)}; the job has no environment`);
  return value.toLowerCase() === binding.environment.toLowerCase()
    ? PASS
    : fail(`the job's environment is ${quote(value)}; this trusted publisher requires ${quote(binding.environment)}`);
};

// ---- tables ---------------------------------------------------------------------------------------

/** Must be present, and each must pass its check; checked in this order, the first failure is reported. */
export const REQUIRED_VERIFIABLE_CLAIMS = {
  repository: checkRepository,
  repository_owner_id: checkRepositoryOwnerId,
  repository_id: checkRepositoryId,
  workflow_ref: checkWorkflowRef,
  event_name: checkEventName,
  runner_environment: checkRunnerEnvironment,
  ref: checkRef,
} as const satisfies Record<string, ClaimCheck>;

/** Checked when present; the check decides whether absence is acceptable. */
export const OPTIONAL_VERIFIABLE_CLAIMS = {
  environment: checkEnvironment,
} as const satisfies Record<string, ClaimCheck>;

/** Checked by `jwtVerify` (signature step) or by the replay store (`jti`), before any table here. */
export const PREVERIFIED_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'nbf', 'jti'] as const;

/** Must be present as strings; recorded on the credential and in the audit log, never compared. */
export const REQUIRED_UNVERIFIABLE_CLAIMS = ['sha', 'run_id', 'run_attempt', 'job_workflow_ref'] as const;

/** Known and deliberately not checked. */
export const UNCHECKED_CLAIMS = [
  'sub', // never parsed: repositories can replace its template (docs/reference/github-actions.md §A2b.13)
  'actor', // who started the run: recorded, not an authority
  'actor_id',
  'repository_owner', // a mutable name; `repository` covers it and `repository_owner_id` is pinned
  'repository_visibility',
  'ref_type', // `allowed_refs` globs cover it (`refs/tags/*`)
  'ref_protected',
  'base_ref',
  'head_ref',
  'workflow', // display name, mutable
  'workflow_sha',
  'job_workflow_sha',
  'run_number',
  'environment_node_id',
  'enterprise',
  'enterprise_id',
  'check_run_id',
] as const;

/** Org and enterprise custom properties (`repo_property_<name>`): set by admins, not an identity. */
export const UNCHECKED_CLAIM_PREFIXES = ['repo_property_'] as const;

/** Required claims that may legitimately be the empty string. */
const MAY_BE_EMPTY: ReadonlySet<string> = new Set(['ref']);

const REQUIRED_STRING_CLAIMS = [...Object.keys(REQUIRED_VERIFIABLE_CLAIMS), ...REQUIRED_UNVERIFIABLE_CLAIMS];

const KNOWN_CLAIMS: ReadonlySet<string> = new Set([
  ...PREVERIFIED_CLAIMS,
  ...Object.keys(REQUIRED_VERIFIABLE_CLAIMS),
  ...Object.keys(OPTIONAL_VERIFIABLE_CLAIMS),
  ...REQUIRED_UNVERIFIABLE_CLAIMS,
  ...UNCHECKED_CLAIMS,
]);

/** Every claim name the tables above account for (prefixed ones aside). */
export function allKnownClaims(): ReadonlySet<string> {
  return KNOWN_CLAIMS;
}

/**
 * Refuses (rule `claims`) unless every required claim is a string (non-empty, except `ref`) and every
 * optional one present is a string; returns the names of claims no table knows, for drift reporting.
 * Values are never coerced: `"repository_id": 74` is refused, not read as `"74"`.
 */
export function checkClaimsExistence(claims: Record<string, unknown>): { claims: ActionsClaims; unknown: string[] } {
  const problems: string[] = [];
  for (const name of REQUIRED_STRING_CLAIMS) {
    const value = claims[name];
    if (value === undefined) problems.push(`${name} is missing`);
    else if (typeof value !== 'string') problems.push(`${name} must be a string`);
    else if (value === '' && !MAY_BE_EMPTY.has(name)) problems.push(`${name} is empty`);
  }
  for (const name of Object.keys(OPTIONAL_VERIFIABLE_CLAIMS)) {
    if (claims[name] !== undefined && typeof claims[name] !== 'string') problems.push(`${name} must be a string`);
  }
  if (problems.length > 0) throw refuse('claims', problems.join('; '));
  const unknown = Object.keys(claims).filter(
    (name) => !KNOWN_CLAIMS.has(name) && !UNCHECKED_CLAIM_PREFIXES.some((prefix) => name.startsWith(prefix)),
  );
  return { claims: claims as ActionsClaims, unknown };
}

export type BindingVerdict = { ok: true } | { ok: false; rule: PolicyRule; reason: string; passed: number };

/** Runs every verifiable check against one binding; the first failure wins. */
export function checkBinding(binding: Binding, claims: ActionsClaims): BindingVerdict {
  const table: [string, ClaimCheck][] = [...Object.entries(REQUIRED_VERIFIABLE_CLAIMS), ...Object.entries(OPTIONAL_VERIFIABLE_CLAIMS)];
  let passed = 0;
  for (const [claim, check] of table) {
    const value = claims[claim];
    const verdict = check(binding, typeof value === 'string' ? value : undefined, claims);
    if (!verdict.ok) return { ok: false, rule: claim as PolicyRule, reason: verdict.reason, passed };
    passed += 1;
  }
  return { ok: true };
}

/** More constraints first, so a publisher pinned to an environment wins over an unpinned one (as PyPI). */
function specificity(binding: Binding): number {
  return (binding.environment !== null ? 4 : 0) + (binding.workflow !== null ? 2 : 0) + (binding.allowed_refs.length > 0 ? 1 : 0);
}

/**
 * Picks the trusted publisher that accepts these claims, among the app's candidates for the token's
 * repository (most specific first, ties in the given order); otherwise refuses with the rule that failed
 * for the candidate that came closest.
 */
export function selectPublisher<B extends Binding>(candidates: readonly B[], claims: ActionsClaims): B {
  if (candidates.length === 0) {
    throw refuse('publisher', `this app has no trusted publisher for repository ${quote(claims.repository)}`);
  }
  let closest: Extract<BindingVerdict, { ok: false }> | undefined;
  for (const binding of [...candidates].sort((a, b) => specificity(b) - specificity(a))) {
    const verdict = checkBinding(binding, claims);
    if (verdict.ok) return binding;
    if (!closest || verdict.passed > closest.passed) closest = verdict;
  }
  const note = candidates.length > 1 ? ` (the closest of ${candidates.length} trusted publishers for this repository)` : '';
  throw refuse(closest!.rule, closest!.reason + note);
}
