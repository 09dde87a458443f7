import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUILD_MATRIX_KEYS, REPO_ROOT, validateRepository } from './validate.ts';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function repo(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'validate-workflows-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('this repository', () => {
  it('names a KeyLocker secret, input or root action input the reusable workflow gets wrong', async () => {
    // A copy of the actions (their dist files as empty stand-ins) with a reusable workflow that has three mistakes.
    const files: Record<string, string> = { 'action.yml': await readFile(join(REPO_ROOT, 'action.yml'), 'utf8') };
    for (const name of await readdir(join(REPO_ROOT, 'actions'))) {
      const path = join('actions', name, 'action.yml');
      const text = await readFile(join(REPO_ROOT, path), 'utf8').catch(() => null);
      if (text === null) continue;
      files[path] = text;
      for (const [, script] of text.matchAll(/^ {2}(?:pre|main|post): '?([^'\s]+)/gm)) files[join('actions', name, script!)] = '';
    }
    const reusable = await readFile(join(REPO_ROOT, '.github/workflows/release.yml'), 'utf8');
    const broken = reusable
      .replace('keylocker-api-key: ${{ secrets.SM_API_KEY }}', 'keylocker-api-key: ${{ secrets.SM_APIKEY }}')
      .replace('keylocker-host: ${{ inputs.keylocker-host }}', 'keylocker-host: ${{ inputs.keylocker-hots }}')
      .replace('keylocker-client-certificate:', 'keylocker-client-cert:');
    expect(broken).not.toBe(reusable);
    const clean = validateRepository(await repo({ ...files, '.github/workflows/release.yml': reusable }));
    expect(clean.problems).toEqual([]);
    const { problems } = validateRepository(await repo({ ...files, '.github/workflows/release.yml': broken }));
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/job build: refers to inputs\.keylocker-hots, which workflow_call does not declare/),
      expect.stringMatching(/job build: refers to secrets\.SM_APIKEY, which workflow_call does not declare/),
      expect.stringMatching(/\$\/ has no input "keylocker-client-cert"/),
    ]));
    expect(problems).toHaveLength(3);
  });

  it('has valid action.yml files and workflows', () => {
    const report = validateRepository(REPO_ROOT);
    expect(report.problems).toEqual([]);
    expect(report.checked).toEqual(expect.arrayContaining([
      'action.yml', 'actions/sign-windows/action.yml', '.github/workflows/release.yml', 'workflows-templates/release.yml',
    ]));
  });

});

const GOOD_NODE_ACTION = `
name: x
description: d
author: a
branding: { icon: box, color: blue }
inputs:
  token: { description: t, required: true, default: '' }
  mode: { description: m, required: false, default: fast }
outputs:
  result: { description: r }
runs: { using: node24, main: dist/index.js }
`;

describe('the checks', () => {
  it('accept a well-formed suite', async () => {
    const root = await repo({
      'actions/x/action.yml': GOOD_NODE_ACTION,
      'actions/x/dist/index.js': '',
      'action.yml': `
name: root
description: d
author: a
branding: { icon: box, color: blue }
inputs:
  token: { description: t, required: true, default: '' }
outputs:
  result: { description: r, value: '\${{ steps.x.outputs.result }}' }
runs:
  using: composite
  steps:
    - id: x
      uses: $/actions/x
      with: { token: '\${{ inputs.token }}' }
    - shell: bash
      run: echo "\${{ steps.x.outputs.result }}"
`,
      '.github/workflows/ci.yml': `
on: push
permissions: { id-token: write, contents: read }
jobs:
  a:
    runs-on: ubuntu-latest
    outputs: { v: '\${{ steps.s.outputs.result }}' }
    steps:
      - id: s
        uses: $/actions/x
        with: { token: t }
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - uses: org/tauri-release@v1
        with: { token: '\${{ needs.a.outputs.v }}' }
`,
    });
    expect(validateRepository(root).problems).toEqual([]);
  });

  it('report each kind of mistake', async () => {
    const root = await repo({
      'actions/x/action.yml': GOOD_NODE_ACTION,
      'actions/x/dist/index.js': '',
      'actions/broken/action.yml': `
name: broken
description: d
inputs:
  camelCase: { description: c, required: false, default: '' }
  undocumented: { required: maybe }
outputs:
  out: {}
runs: { using: node20, main: dist/index.js }
`,
      'actions/js/action.yml': GOOD_NODE_ACTION,
      'action.yml': `
name: root
description: d
author: a
branding: { icon: box, color: blue }
inputs:
  token: { description: t, required: true, default: '' }
outputs:
  result: { description: r }
runs:
  using: composite
  steps:
    - run: echo "\${{ inputs.tokn }}"
    - uses: $/actions/x@v1
    - uses: $/actions/x
      with: { mode: slow, colour: red }
    - uses: $/actions/missing
      with: { token: '\${{ steps.later.outputs.result }}' }
    - id: later
      uses: $/actions/x
      with: { token: t }
    - shell: bash
      run: echo "\${{ steps.later.outputs.nope }}"
`,
      '.github/workflows/release.yml': `
on: { push: { tags: ['v*'] } }
permissions: { contents: read }
jobs:
  build:
    needs: [plan]
    runs-on: \${{ matrix.os }}
    steps:
      - uses: org/tauri-release@v1
        with: { token: t }
      - uses: actions/checkout
  publish:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: org/tauri-release/actions/x@v1
        with: { token: '\${{ needs.build.outputs.version }}' }
`,
    });
    const problems = validateRepository(root).problems;
    expect(problems).toEqual(expect.arrayContaining([
      'action.yml output result: needs a value in a composite action',
      'action.yml step 1: a run step in a composite action needs shell',
      'action.yml step 1: refers to inputs.tokn, which is not declared',
      "action.yml step 2: $/actions/x@v1: a $/ reference takes no @ref (it always runs this repository's running commit)",
      'action.yml step 3: $/actions/x has no input "colour" (it declares: token, mode)',
      'action.yml step 3: $/actions/x requires input "token", which is not given',
      'action.yml step 4: refers to steps.later, which is not an earlier step',
      'action.yml step 4: $/actions/missing: no action.yml in actions/missing',
      'action.yml step 6: steps.later (actions/x) has no output "nope"',
      'actions/broken/action.yml: needs author',
      'actions/broken/action.yml: needs branding with icon and color',
      'actions/broken/action.yml input camelCase: is not kebab-case',
      'actions/broken/action.yml input undocumented: needs a description',
      'actions/broken/action.yml input undocumented: needs required: true or false',
      'actions/broken/action.yml output out: needs a description',
      'actions/broken/action.yml: runs.using is "node20"; this suite uses node24 or composite',
      'actions/js/action.yml: runs.main dist/index.js does not exist (build it with npm run build:actions and commit dist/)',
      '.github/workflows/release.yml job build: needs plan, which is no job',
      '.github/workflows/release.yml job build: uses matrix without strategy.matrix',
      '.github/workflows/release.yml job build step 2: actions/checkout: not owner/repo[/path]@ref, ./path, $/path or docker://image',
      '.github/workflows/release.yml job build: runs an action that exchanges the OIDC token but is not granted permissions: id-token: write',
      '.github/workflows/release.yml job publish: needs.build has no output "version"',
    ]));
  });

  it("check matrix keys against build-matrix's entries where the matrix is its output", async () => {
    const root = await repo({
      'actions/build-matrix/action.yml': await readFile(join(REPO_ROOT, 'actions/build-matrix/action.yml'), 'utf8'),
      'actions/build-matrix/dist/index.js': '',
      '.github/workflows/release.yml': `
on: push
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs: { matrix: '\${{ steps.m.outputs.matrix }}' }
    steps:
      - id: m
        uses: $/actions/build-matrix
  build:
    needs: plan
    strategy: { matrix: '\${{ fromJSON(needs.plan.outputs.matrix) }}' }
    runs-on: \${{ matrix.runner }}
    steps:
      - uses: dtolnay/rust-toolchain@stable
        with: { targets: '\${{ matrix.rust-target }}' }
      - run: echo "\${{ matrix.platform }} \${{ matrix.rust-targets }} \${{ matrix.updater-bundles }}"
  other:
    strategy: { matrix: { flavour: [a, b] } }
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ matrix.flavour }}"
`,
    });
    expect(validateRepository(root).problems).toEqual([
      `.github/workflows/release.yml job build: refers to matrix.rust-target, which build-matrix's entries do not have (they have: ${[...BUILD_MATRIX_KEYS].join(', ')})`,
    ]);
    expect([...BUILD_MATRIX_KEYS]).toEqual(['name', 'platform', 'update-platforms', 'runner', 'os', 'target', 'rust-targets', 'args', 'bundles', 'updater-bundles']);
  });

  it('check calls of a reusable workflow against its workflow_call', async () => {
    const root = await repo({
      '.github/workflows/reusable.yml': `
on:
  workflow_call:
    inputs:
      app: { type: string, required: true, description: a }
      channel: { type: string, default: stable, description: c }
    secrets:
      KEY: { required: true }
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ inputs.app }} \${{ inputs.nope }} \${{ secrets.KEY }} \${{ secrets.OTHER }}"
`,
      'workflows-templates/caller.yml': `
on: push
jobs:
  release:
    uses: org/tauri-release/.github/workflows/reusable.yml@v1
    with: { chanel: beta }
    secrets: { KEY: x, EXTRA: y }
  local:
    uses: ./.github/workflows/missing.yml
`,
    });
    expect(validateRepository(root).problems).toEqual([
      '.github/workflows/reusable.yml job j: refers to inputs.nope, which workflow_call does not declare',
      '.github/workflows/reusable.yml job j: refers to secrets.OTHER, which workflow_call does not declare',
      'workflows-templates/caller.yml job release: org/tauri-release/.github/workflows/reusable.yml@v1 has no input "chanel" (it declares: app, channel)',
      'workflows-templates/caller.yml job release: org/tauri-release/.github/workflows/reusable.yml@v1 requires input "app", which is not given',
      'workflows-templates/caller.yml job release: passes secret EXTRA, which org/tauri-release/.github/workflows/reusable.yml@v1 does not declare',
      'workflows-templates/caller.yml job local: ./.github/workflows/missing.yml: no workflow at .github/workflows/missing.yml',
    ]);
  });
  it('require contents: write where the GitHub release is written', async () => {
    const root = await repo({
      'actions/github-release/action.yml': GOOD_NODE_ACTION,
      'actions/github-release/dist/index.js': '',
      'workflows-templates/release.yml': `
on: { push: { tags: ['v*'] } }
permissions: { contents: read }
jobs:
  plan:
    runs-on: ubuntu-latest
    steps:
      - uses: org/tauri-release/actions/github-release@v1
        with: { token: t }
  publish:
    runs-on: ubuntu-latest
    permissions: { contents: write }
    steps:
      - uses: org/tauri-release/actions/github-release@v1
        with: { token: t }
`,
      '.github/workflows/caller.yml': `
on: push
permissions: { contents: read }
jobs:
  release:
    uses: ./.github/workflows/writer.yml
`,
      '.github/workflows/writer.yml': `
on: { workflow_call: {} }
jobs:
  j:
    runs-on: ubuntu-latest
    permissions: { contents: write }
    steps:
      - uses: $/actions/github-release
        with: { token: t }
`,
    });
    expect(validateRepository(root).problems).toEqual([
      '.github/workflows/caller.yml job release: writes the GitHub release (actions/github-release) but is not granted permissions: contents: write',
      'workflows-templates/release.yml job plan: writes the GitHub release (actions/github-release) but is not granted permissions: contents: write',
    ]);
  });
});
