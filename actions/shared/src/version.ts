/**
 * @module version
 * The version a release step works on: the `version` input, or the tag that started the run (`v1.2.3`,
 * `app-v1.2.3`, `release/1.2.3-beta.1` → the semver at its end). Parsed and spelled by the control plane's own
 * semver module (api/_src/protocol/semver.ts), so the actions and the server agree on what a version is.
 */
import { normalizeVersion, safeParseVersion } from '../../../api/_src/protocol/semver.ts';

export interface ResolvedVersion {
  /** Canonical spelling, no leading `v`. */
  version: string;
  source: 'input' | 'tag';
}

/** The runner's description of the ref that started the run. */
export interface RefEnv {
  GITHUB_REF?: string;
  GITHUB_REF_TYPE?: string;
  GITHUB_REF_NAME?: string;
}

// A semver at the end of a tag name: `v1.2.3`, `my-app-v1.2.3-beta.1+7`.
const TRAILING_SEMVER = /(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;

/** The tag's name when the run was started by a tag, else null. */
export function tagOf(env: RefEnv): string | null {
  if (env.GITHUB_REF?.startsWith('refs/tags/')) return env.GITHUB_REF.slice('refs/tags/'.length);
  if (env.GITHUB_REF_TYPE === 'tag' && env.GITHUB_REF_NAME) return env.GITHUB_REF_NAME;
  return null;
}

/**
 * The version from `input` (validated), else from the tag; null when neither gives one (not a tag run).
 *
 * @throws Error naming the input or the tag when it is there but not a version
 * @example
 * resolveVersion(undefined, { GITHUB_REF: 'refs/tags/v1.2.3' }) // { version: '1.2.3', source: 'tag' }
 */
export function resolveVersion(input: string | undefined, env: RefEnv, inputName = 'version'): ResolvedVersion | null {
  if (input !== undefined) {
    const parsed = safeParseVersion(input);
    if (!parsed.success) throw new Error(`Input ${inputName} ${JSON.stringify(input)} is not a semantic version (MAJOR.MINOR.PATCH[-PRE][+BUILD]): ${parsed.error}.`);
    return { version: normalizeVersion(input)!, source: 'input' };
  }
  const tag = tagOf(env);
  if (tag === null) return null;
  const match = TRAILING_SEMVER.exec(tag);
  const version = match ? normalizeVersion(match[1]!) : null;
  if (!version) {
    throw new Error(`Input ${inputName} is empty and the tag ${JSON.stringify(tag)} does not end in a semantic version (v1.2.3): pass ${inputName}.`);
  }
  return { version, source: 'tag' };
}

/** Like `resolveVersion`, for steps that cannot go on without a version. */
export function requireVersion(input: string | undefined, env: RefEnv, inputName = 'version'): string {
  const resolved = resolveVersion(input, env, inputName);
  if (resolved) return resolved.version;
  const ref = env.GITHUB_REF ?? '(no GITHUB_REF)';
  throw new Error(`Input ${inputName} is empty and this run was not started by a tag (ref ${ref}): pass ${inputName}, e.g. the version output of build-matrix.`);
}
