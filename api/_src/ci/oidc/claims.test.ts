import { describe, expect, it } from '@jest/globals';
import {
  type ActionsClaims,
  allKnownClaims,
  type Binding,
  checkBinding,
  checkClaimsExistence,
  OPTIONAL_VERIFIABLE_CLAIMS,
  REQUIRED_VERIFIABLE_CLAIMS,
  selectPublisher,
} from './claims.ts';
import { checkRefGlob, refGlobMatches } from '../../protocol/ref-glob.ts';
import { OidcRefusal, POLICY_RULES } from './refusal.ts';

const binding = (overrides: Partial<Binding> = {}): Binding => ({
  repository: 'octo-org/octo-repo',
  repository_id: '74',
  repository_owner_id: '65',
  workflow: 'release.yml',
  environment: null,
  allowed_refs: [],
  allow_self_hosted: false,
  ...overrides,
});

const claims = (overrides: Record<string, unknown> = {}): ActionsClaims =>
  ({
    iss: 'https://token.actions.githubusercontent.com',
    aud: 'tauri-release:updates.test',
    exp: 2,
    iat: 1,
    jti: 'j',
    repository: 'octo-org/octo-repo',
    repository_id: '74',
    repository_owner_id: '65',
    workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.3',
    job_workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.3',
    event_name: 'push',
    ref: 'refs/tags/v1.2.3',
    runner_environment: 'github-hosted',
    sha: 'a'.repeat(40),
    run_id: '1',
    run_attempt: '1',
    ...overrides,
  }) as ActionsClaims;

/** The rule that refuses, or 'ok'. */
const outcome = (b: Binding, c: ActionsClaims) => {
  const verdict = checkBinding(b, c);
  return verdict.ok ? 'ok' : verdict.rule;
};

describe('the claim tables', () => {
  // Pinned: adding or dropping a claim is a deliberate edit here (warehouse test_github_publisher_all_known_claims).
  it('know exactly these claims', () => {
    expect([...allKnownClaims()].sort()).toEqual(
      [
        // preverified
        'iss', 'aud', 'exp', 'iat', 'nbf', 'jti',
        // required, verified
        'repository', 'repository_owner_id', 'repository_id', 'workflow_ref', 'event_name', 'runner_environment', 'ref',
        // optional, verified
        'environment',
        // required, recorded
        'sha', 'run_id', 'run_attempt', 'job_workflow_ref',
        // known, unchecked
        'sub', 'actor', 'actor_id', 'repository_owner', 'repository_visibility', 'ref_type', 'ref_protected', 'base_ref',
        'head_ref', 'workflow', 'workflow_sha', 'job_workflow_sha', 'run_number', 'environment_node_id', 'enterprise',
        'enterprise_id', 'check_run_id',
      ].sort(),
    );
  });

  it('give every verified claim a policy rule of its own name', () => {
    expect([...POLICY_RULES].sort()).toEqual(
      ['publisher', ...Object.keys(REQUIRED_VERIFIABLE_CLAIMS), ...Object.keys(OPTIONAL_VERIFIABLE_CLAIMS)].sort(),
    );
  });
});

describe('checkClaimsExistence', () => {
  const refusedRule = (payload: Record<string, unknown>) => {
    try {
      checkClaimsExistence(payload);
      return 'ok';
    } catch (error) {
      return error instanceof OidcRefusal ? `${error.rule}: ${error.reason}` : String(error);
    }
  };

  it('accepts GitHub\'s claims and reports unknown ones without failing', () => {
    const result = checkClaimsExistence({ ...claims(), check_run_id: '9', repo_property_team: 'a,b', brand_new: 1 });
    expect(result.unknown).toEqual(['brand_new']);
  });

  it('refuses a missing, empty or non-string required claim, never coercing ids', () => {
    expect(refusedRule({ ...claims(), repository_owner_id: undefined })).toBe('claims: repository_owner_id is missing');
    expect(refusedRule({ ...claims(), repository_id: 74 })).toBe('claims: repository_id must be a string');
    expect(refusedRule({ ...claims(), sha: '' })).toBe('claims: sha is empty');
    expect(refusedRule({ ...claims(), job_workflow_ref: undefined, run_id: 1 })).toBe(
      'claims: run_id must be a string; job_workflow_ref is missing',
    );
    expect(refusedRule({ ...claims(), environment: ['prod'] })).toBe('claims: environment must be a string');
  });

  it('allows an empty ref (deployment events) and an absent environment', () => {
    expect(refusedRule({ ...claims(), ref: '' })).toBe('ok');
    expect(refusedRule(claims())).toBe('ok');
  });
});

describe('the checks', () => {
  it('repository: case-insensitive, never empty', () => {
    expect(outcome(binding(), claims({ repository: 'Octo-Org/OCTO-repo', workflow_ref: 'Octo-Org/OCTO-repo/.github/workflows/release.yml@refs/tags/v1.2.3' }))).toBe('ok');
    expect(outcome(binding(), claims({ repository: 'octo-org/octo-repo2' }))).toBe('repository');
    expect(outcome(binding(), claims({ repository: '' }))).toBe('repository');
  });

  it('repository_owner_id and repository_id: exact strings (resurrection)', () => {
    expect(outcome(binding(), claims({ repository_owner_id: '66' }))).toBe('repository_owner_id');
    expect(outcome(binding(), claims({ repository_owner_id: '065' }))).toBe('repository_owner_id');
    expect(outcome(binding(), claims({ repository_id: '75' }))).toBe('repository_id');
    expect(outcome(binding(), claims({ repository_id: ' 74' }))).toBe('repository_id');
  });

  describe('workflow_ref', () => {
    const wf = (workflowRef: string, extra: Record<string, unknown> = {}) => claims({ workflow_ref: workflowRef, ref: 'refs/heads/main', ...extra });
    const base = 'octo-org/octo-repo/.github/workflows/';
    it.each([
      // [bound workflow, workflow_ref after the prefix, outcome]
      ['release.yml', 'release.yml@refs/heads/main', 'ok'],
      ['release.yaml', 'release.yaml@refs/heads/main', 'ok'],
      ['release.yml', `release.yml@${'a'.repeat(40)}`, 'ok'], // pinned by sha
      ['release.yml', 'build.yml@refs/heads/main', 'workflow_ref'],
      ['release.yml', 'Release.yml@refs/heads/main', 'workflow_ref'], // file names are case-sensitive
      ['release.yml', 'release.yml@refs/heads/other', 'workflow_ref'], // not the run's ref
      // crates.io's nasty names: the file is everything up to the run's ref.
      ['release.yml', 'release.yml@evil.yml@refs/heads/main', 'workflow_ref'],
      ['nested@evil.yml', 'nested@evil.yml@refs/heads/main', 'ok'],
      ['evil.yml', 'nested@evil.yml@refs/heads/main', 'workflow_ref'],
      ['foo.yml', 'foo.yml.yml@refs/heads/main', 'workflow_ref'],
      ['release.yml', 'sub/release.yml@refs/heads/main', 'workflow_ref'],
    ])('bound %s, run %s → %s', (workflow, rest, expected) => {
      expect(outcome(binding({ workflow }), wf(base + rest))).toBe(expected);
    });

    it('accepts any workflow of the repository when none is bound, but only of that repository', () => {
      expect(outcome(binding({ workflow: null }), wf(`${base}anything.yml@refs/heads/main`))).toBe('ok');
      expect(outcome(binding({ workflow: null }), wf('other-org/octo-repo/.github/workflows/release.yml@refs/heads/main'))).toBe('workflow_ref');
      expect(outcome(binding({ workflow: null }), wf('octo-org/octo-repo/.github/workflowsX/release.yml@refs/heads/main'))).toBe('workflow_ref');
    });

    it('uses the sha when ref is empty', () => {
      expect(outcome(binding(), wf(`${base}release.yml@${'a'.repeat(40)}`, { ref: '' }))).toBe('ok');
      expect(outcome(binding(), wf(`${base}release.yml@`, { ref: '' }))).toBe('workflow_ref');
    });

    it('checks the top-level workflow, not the reusable one the job runs', () => {
      const reusable = claims({ job_workflow_ref: 'other-org/shared/.github/workflows/publish.yml@refs/heads/main' });
      expect(outcome(binding(), reusable)).toBe('ok');
    });
  });

  it.each([
    ['push', 'ok'],
    ['workflow_dispatch', 'ok'],
    ['release', 'ok'],
    ['pull_request_target', 'event_name'],
    ['workflow_run', 'event_name'],
    ['issue_comment', 'event_name'],
  ])('event_name %s → %s', (event, expected) => {
    expect(outcome(binding(), claims({ event_name: event }))).toBe(expected);
  });

  it.each([
    ['github-hosted', false, 'ok'],
    ['self-hosted', false, 'runner_environment'],
    ['self-hosted', true, 'ok'],
    ['Self-Hosted', true, 'runner_environment'],
    ['', true, 'runner_environment'],
  ] as const)('runner_environment %j with allow_self_hosted %j → %s', (runner, allow, expected) => {
    expect(outcome(binding({ allow_self_hosted: allow }), claims({ runner_environment: runner }))).toBe(expected);
  });

  it.each([
    [[], 'refs/heads/anything', 'ok'],
    [['refs/tags/v*'], 'refs/tags/v1.2.3', 'ok'],
    [['refs/tags/v*'], 'refs/heads/v1', 'ref'],
    [['refs/tags/v*'], 'refs/tags/v1/evil', 'ref'],
    [['refs/tags/**'], 'refs/tags/release/v1', 'ok'],
    [['refs/heads/main', 'refs/tags/v*'], 'refs/heads/main', 'ok'],
    [['refs/tags/v*'], '', 'ref'],
  ])('allowed_refs %j, ref %j → %s', (allowed, ref, expected) => {
    expect(outcome(binding({ allowed_refs: allowed }), claims({ ref, workflow_ref: `octo-org/octo-repo/.github/workflows/release.yml@${ref || 'a'.repeat(40)}` }))).toBe(expected);
  });

  it.each([
    [null, undefined, 'ok'],
    [null, 'anything', 'ok'],
    ['production', 'production', 'ok'],
    ['production', 'Production', 'ok'],
    ['production', undefined, 'environment'],
    ['production', '', 'environment'],
    ['production', 'staging', 'environment'],
  ])('bound environment %j, job environment %j → %s', (bound, job, expected) => {
    expect(outcome(binding({ environment: bound }), claims(job === undefined ? {} : { environment: job }))).toBe(expected);
  });

  it('never looks at sub', () => {
    expect(outcome(binding(), claims({ sub: 'repo:someone-else/other:environment:prod' }))).toBe('ok');
  });
});

describe('selectPublisher', () => {
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error as OidcRefusal;
    }
    throw new Error('expected a refusal');
  };

  it('refuses with rule "publisher" when there is no candidate', () => {
    expect(refusal(() => selectPublisher([], claims())).rule).toBe('publisher');
  });

  it('prefers the binding pinned to the job\'s environment', () => {
    const open = { ...binding({ workflow: null }), id: 'open' };
    const pinned = { ...binding({ environment: 'release' }), id: 'pinned' };
    expect(selectPublisher([open, pinned], claims({ environment: 'release' })).id).toBe('pinned');
    expect(selectPublisher([open, pinned], claims()).id).toBe('open');
  });

  it('reports the failure of the candidate that came closest', () => {
    const wrongOwner = { ...binding({ repository_owner_id: '1' }), id: 'a' };
    const wrongEnv = { ...binding({ environment: 'release' }), id: 'b' };
    const error = refusal(() => selectPublisher([wrongOwner, wrongEnv], claims()));
    expect(error.rule).toBe('environment');
    expect(error.message).toMatch(/^OIDC token refused by rule "environment": .*closest of 2/);
    expect(error.status).toBe(403);
  });
});

describe('ref globs', () => {
  it.each([
    ['refs/tags/v*', 'refs/tags/v1.0.0', true],
    ['refs/tags/v*', 'refs/tags/v', true],
    ['refs/tags/v*', 'refs/tags/x1', false],
    ['refs/tags/v*', 'refs/tags/v1/x', false],
    ['refs/tags/**', 'refs/tags/a/b/c', true],
    ['refs/heads/main', 'refs/heads/main', true],
    ['refs/heads/main', 'refs/heads/mainx', false],
    ['refs/heads/main', 'xrefs/heads/main', false],
    ['refs/tags/v1.*', 'refs/tags/v1x2', false], // "." is literal
    ['refs/heads/release-**', 'refs/heads/release-1/hotfix', true],
  ])('%s matches %s: %s', (glob, ref, expected) => {
    expect(refGlobMatches(glob, ref)).toBe(expected);
  });

  it.each(['tags/v*', 'refs/tags/v?', 'refs/tags/[0-9]*', 'refs/tags/!v1', 'refs/tags/v 1', 'refs/tags/***', 'refs/heads/a:b'])(
    'refuses %j when saved',
    (glob) => {
      expect(checkRefGlob(glob)).not.toBeNull();
    },
  );

  it('refuses an overlong glob when saved', () => {
    expect(checkRefGlob(`refs/${'a'.repeat(300)}`)).toMatch(/at most 255/);
  });

  it('accepts plain globs when saved', () => {
    expect(checkRefGlob('refs/tags/v*')).toBeNull();
    expect(checkRefGlob('refs/heads/**')).toBeNull();
  });
});
