/**
 * The root composite action's own scripts, run with bash the way the runner runs a composite `run:` step (inputs
 * through `env:`, results through GITHUB_OUTPUT): the plan that checks the leg before anything is built, and the
 * Windows signCommand config that makes Tauri sign with actions/sign-windows before it writes updater signatures.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseFileCommands } from '../../actions/shared/src/testing.ts';
import { REPO_ROOT } from './validate.ts';

const { safeLoad } = createRequire(import.meta.url)('js-yaml') as { safeLoad(text: string): unknown };

interface Step {
  id?: string;
  name?: string;
  run?: string;
  env?: Record<string, string>;
}

let steps: Step[];
let workspace: string;

beforeAll(async () => {
  const action = safeLoad(await readFile(join(REPO_ROOT, 'action.yml'), 'utf8')) as { runs: { steps: Step[] } };
  steps = action.runs.steps;
  workspace = await mkdtemp(join(tmpdir(), 'root-action-'));
  await mkdir(join(workspace, 'app', 'src-tauri'), { recursive: true });
  await writeFile(join(workspace, 'app', 'src-tauri', 'tauri.conf.json'), '{}');
  await mkdir(join(workspace, 'app', 'node_modules', '@tauri-apps', 'cli'), { recursive: true });
  await writeFile(join(workspace, 'app', 'node_modules', '@tauri-apps', 'cli', 'package.json'), '{}');
  // A tauri.conf.json inside node_modules must not be taken for the app's.
  await mkdir(join(workspace, 'node_modules', 'x'), { recursive: true });
  await writeFile(join(workspace, 'node_modules', 'x', 'tauri.conf.json'), '{}');
});
afterAll(() => rm(workspace, { recursive: true, force: true }));

async function runStep(id: string, env: Record<string, string>, cwd = workspace) {
  const step = steps.find((s) => s.id === id)!;
  const output = join(workspace, `output-${id}-${Math.random().toString(36).slice(2)}`);
  const summary = `${output}-summary`;
  await writeFile(output, '');
  await writeFile(summary, '');
  const result = spawnSync('bash', ['-e', '-c', step.run!], {
    cwd,
    env: { PATH: process.env.PATH, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, RUNNER_TEMP: workspace, ...env },
    encoding: 'utf8',
  });
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    outputs: parseFileCommands(await readFile(output, 'utf8')),
    summary: await readFile(summary, 'utf8'),
  };
}

const plan = (env: Record<string, string>) =>
  runStep('plan', {
    PLATFORM: 'windows-x86_64', RUNNER_OS: 'Windows', PROJECT_PATH: 'app', VERSION_INPUT: '', TAURI_CLI_INPUT: '',
    UPLOAD_MODE: 'presigned', HAS_UPDATER_KEY: 'true', GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'app-v1.2.3-beta.1', GITHUB_REF: 'refs/tags/app-v1.2.3-beta.1',
    ...env,
  });

describe('the plan step', () => {
  it('takes the Rust target from the platform, the version from the tag, and finds the Tauri project and CLI', async () => {
    const { code, outputs } = await plan({});
    expect(code).toBe(0);
    expect(outputs).toEqual({ target: 'x86_64-pc-windows-msvc', version: '1.2.3-beta.1', 'tauri-dir': 'app/src-tauri', 'tauri-cli': 'npx --no-install tauri', bundles: 'nsis' });
  });

  it('builds a universal macOS app for darwin-universal', async () => {
    const { outputs } = await plan({ PLATFORM: 'darwin-universal', RUNNER_OS: 'macOS' });
    expect(outputs.target).toBe('universal-apple-darwin');
  });

  it('prefers the version and CLI given', async () => {
    const { outputs } = await plan({ VERSION_INPUT: '2.0.0', TAURI_CLI_INPUT: 'cargo tauri', PLATFORM: 'darwin-aarch64', RUNNER_OS: 'macOS', GITHUB_REF_TYPE: 'branch' });
    expect(outputs).toMatchObject({ target: 'aarch64-apple-darwin', version: '2.0.0', 'tauri-cli': 'cargo tauri' });
  });

  it('spells the version as the other actions do: a leading v dropped (version: ${{ github.ref_name }})', async () => {
    const { code, outputs } = await plan({ VERSION_INPUT: 'v2.0.0-rc.1', GITHUB_REF_TYPE: 'branch' });
    expect(code).toBe(0);
    expect(outputs.version).toBe('2.0.0-rc.1');
  });

  it.each([
    [{ PLATFORM: 'macos-arm64' }, "platform 'macos-arm64' is not one of"],
    [{ VERSION_INPUT: '1.2' }, "version '1.2' is not a semantic version (MAJOR.MINOR.PATCH[-PRE][+BUILD], e.g. 1.2.3)"],
    [{ VERSION_INPUT: '1.0.0","identifier":"com.evil' }, 'is not a semantic version'],
    [{ VERSION_INPUT: '01.2.3' }, "version '01.2.3' is not a semantic version"],
    [{ GITHUB_REF_NAME: 'v1.02.3' }, "the tag 'v1.02.3' does not end in a semver version"],
    [{ PLATFORM: 'linux-x86_64' }, 'platform linux-x86_64 builds on a Linux runner, but this job runs on Windows'],
    [{ HAS_UPDATER_KEY: 'false' }, 'tauri-signing-private-key is empty'],
    [{ UPLOAD_MODE: 'ftp' }, "upload-mode must be presigned or s3, not 'ftp'"],
    [{ GITHUB_REF_TYPE: 'branch', GITHUB_REF: 'refs/heads/main' }, 'version is empty and this run was not started by a tag (ref refs/heads/main)'],
    [{ GITHUB_REF_NAME: 'release-candidate' }, "the tag 'release-candidate' does not end in a semver version"],
    [{ PROJECT_PATH: 'nowhere' }, "project-path 'nowhere' is not a folder"],
    [{ PROJECT_PATH: 'app/node_modules' }, "no tauri.conf.json (or .json5, Tauri.toml) under 'app/node_modules'"],
  ])('fails before building, saying why: %j', async (env, message) => {
    const { code, stdout, outputs } = await plan(env as Record<string, string>);
    expect(code).toBe(1);
    expect(stdout).toContain('::error title=tauri-release::');
    expect(stdout).toContain(message);
    expect(outputs).toEqual({});
  });
});

describe('finding the bundles', () => {
  it("picks this version's DMG to notarize, not an earlier build's left in the folder, nor a half-made rw.*.dmg", async () => {
    const target = join(workspace, 'bundles-target');
    const dmgDir = join(target, 'aarch64-apple-darwin', 'release', 'bundle', 'dmg');
    await mkdir(dmgDir, { recursive: true });
    for (const name of ['My App_1.2.0_aarch64.dmg', 'My App_1.3.0_aarch64.dmg', 'rw.4242.My App_1.3.0_aarch64.dmg']) await writeFile(join(dmgDir, name), name);
    // The step asks cargo where the target folder is: a minimal crate whose CARGO_TARGET_DIR is that folder.
    const crate = join(workspace, 'bundles-crate');
    await mkdir(join(crate, 'src'), { recursive: true });
    await writeFile(join(crate, 'Cargo.toml'), '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n');
    await writeFile(join(crate, 'src', 'main.rs'), 'fn main() {}\n');
    const { code, outputs } = await runStep('bundles', {
      PATH: [dirname(process.execPath), process.env.PATH].join(':'),
      HOME: process.env.HOME ?? workspace,
      CARGO_TARGET_DIR: target,
      TAURI_DIR: crate, TARGET: 'aarch64-apple-darwin', VERSION: '1.3.0',
    });
    expect(code).toBe(0);
    expect(outputs.dmg).toBe(join(dmgDir, 'My App_1.3.0_aarch64.dmg'));
  });
});

describe('the Windows signing step', () => {
  it('writes a Tauri config whose signCommand runs sign-windows with this Node on each file (%1)', async () => {
    const script = join(REPO_ROOT, 'actions', 'sign-windows', 'dist', 'index.js');
    const { code, outputs } = await runStep('windows', { SIGN_WINDOWS: script });
    expect(code).toBe(0);
    expect(JSON.parse(await readFile(outputs.config!, 'utf8'))).toEqual({
      bundle: { windows: { signCommand: { cmd: expect.stringMatching(/node$/), args: [script, '%1'] } } },
    });
  });

  it('runs for a windows-sign-command without a certificate too', () => {
    expect((steps.find((s) => s.id === 'windows') as Step & { if: string }).if).toBe(
      "runner.os == 'Windows' && (inputs.windows-certificate != '' || inputs.windows-sign-command != '')",
    );
  });

  it('passes sign-windows its inputs under the INPUT_ names it reads, in the tauri build step', () => {
    const build = steps.find((s) => s.id === 'build')!;
    expect(build.env).toMatchObject({
      INPUT_CERTIFICATE: '${{ inputs.windows-certificate }}',
      'INPUT_CERTIFICATE-PASSWORD': '${{ inputs.windows-certificate-password }}',
      'INPUT_TIMESTAMP-URLS': '${{ inputs.windows-timestamp-urls }}',
      'INPUT_SIGN-COMMAND': '${{ inputs.windows-sign-command }}',
      TAURI_SIGNING_PRIVATE_KEY: '${{ inputs.tauri-signing-private-key }}',
    });
  });
});

/**
 * The value of a step's `${{ … }}` env expression, for the few forms the root action's KeyLocker env uses:
 * `a || b`, `a && b`, `x == 'literal'`, `inputs.x`, `env.X`, `steps.s.outcome`, `steps.s.outputs.o`; a missing
 * value is '' (GitHub's null), and && / || yield an operand, as GitHub's expressions do.
 */
function evaluate(value: string, context: Record<string, string>): string {
  const body = /^\$\{\{(.*)\}\}$/s.exec(value.trim())?.[1];
  if (body === undefined) throw new Error(`not one expression: ${value}`);
  const operand = (text: string): string => {
    const [left, right] = text.split('==').map((part) => part.trim());
    const resolve = (term: string) => (/^'.*'$/.test(term) ? term.slice(1, -1) : context[term] ?? '');
    return right === undefined ? resolve(left!) : String(resolve(left!) === resolve(right));
  };
  const truthy = (v: string) => v !== '' && v !== 'false';
  const all = (alternative: string) => {
    const terms = alternative.split('&&').map(operand);
    return terms.find((v) => !truthy(v)) ?? terms[terms.length - 1]!;
  };
  const alternatives = body.split('||').map(all);
  return alternatives.find(truthy) ?? alternatives[alternatives.length - 1]!;
}

const SECRETS = { host: 'https://clientauth.one.digicert.com', apiKey: 'api-key-c0ffee', password: 'p12-password-beef' };
const CLIENT_P12 = Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x01, 0x03, 0xff, 0x00, 0x42]);

/** Runs the KeyLocker step with RUNNER_TEMP a folder of its own. */
async function keylocker(env: Record<string, string>) {
  const temp = await mkdtemp(join(workspace, 'runner-temp-'));
  const result = await runStep('keylocker', {
    HOST: SECRETS.host, CLIENT_CERTIFICATE: CLIENT_P12.toString('base64'), CLIENT_CERTIFICATE_PASSWORD: SECRETS.password,
    SIGN_COMMAND: 'smctl sign --keypair-alias key_123456 --input %1', RUNNER_TEMP: temp, ...env,
  });
  return { ...result, temp };
}

describe('DigiCert KeyLocker', () => {
  it('runs on Windows legs given an API key, installs smctl after it, and removes the certificate file even when the build fails', () => {
    const at = (id: string) => steps.findIndex((s) => s.id === id);
    const step = (name: string) => steps.find((s) => s.name === name) as Step & { if: string; uses: string; with: Record<string, string> };
    expect((steps[at('keylocker')] as Step & { if: string }).if).toBe("runner.os == 'Windows' && inputs.keylocker-api-key != ''");
    const install = step('Install DigiCert smctl');
    expect(install).toMatchObject({ if: "steps.keylocker.outcome == 'success'", uses: 'digicert/code-signing-software-trust-action@v1', with: { 'simple-signing-mode': 'true' } });
    expect(at('keylocker')).toBeLessThan(steps.indexOf(install));
    expect(steps.indexOf(install)).toBeLessThan(at('build'));
    const remove = step('Remove the KeyLocker client certificate');
    expect(remove.if).toBe("always() && steps.keylocker.outputs.client-certificate-file != ''");
    expect(steps.indexOf(remove)).toBe(at('build') + 1);
  });

  it('writes the client certificate for smctl, readable by the job alone, and prints none of the secrets', async () => {
    const { code, stdout, stderr, outputs, temp } = await keylocker({});
    expect(code).toBe(0);
    const file = outputs['client-certificate-file']!;
    expect(file).toBe(join(temp, 'tauri-release-keylocker-client.p12'));
    expect(await readFile(file)).toEqual(CLIENT_P12);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    for (const secret of [SECRETS.password, SECRETS.apiKey, CLIENT_P12.toString('base64')]) expect(stdout + stderr).not.toContain(secret);

    const remove = steps.find((s) => s.name === 'Remove the KeyLocker client certificate')!;
    expect(spawnSync('bash', ['-e', '-c', remove.run!], { env: { PATH: process.env.PATH, FILE: file } }).status).toBe(0);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('takes the base64 with line breaks, as `base64` wraps it', async () => {
    const wrapped = CLIENT_P12.toString('base64').replace(/(.{4})/g, '$1\n');
    const { code, outputs } = await keylocker({ CLIENT_CERTIFICATE: wrapped });
    expect(code).toBe(0);
    expect(await readFile(outputs['client-certificate-file']!)).toEqual(CLIENT_P12);
  });

  it.each([
    [{ HOST: '' }, 'these are empty (an unset or misspelled secret expands to an empty string): keylocker-host'],
    [{ CLIENT_CERTIFICATE: '', CLIENT_CERTIFICATE_PASSWORD: '' }, 'keylocker-client-certificate (secret SM_CLIENT_CERT_FILE_B64), keylocker-client-certificate-password (secret SM_CLIENT_CERT_PASSWORD)'],
    [{ SIGN_COMMAND: '' }, 'windows-sign-command (e.g. smctl sign --keypair-alias key_123456 --input %1)'],
    [{ CLIENT_CERTIFICATE: 'not base64!' }, 'keylocker-client-certificate is not base64'],
  ])('fails before building, saying what is missing or wrong: %j', async (env, message) => {
    const { code, stdout, outputs, temp } = await keylocker(env);
    expect(code).toBe(1);
    expect(stdout).toContain('::error title=tauri-release: DigiCert KeyLocker::');
    expect(stdout).toContain(message);
    expect(outputs).toEqual({});
    await expect(stat(join(temp, 'tauri-release-keylocker-client.p12'))).rejects.toThrow(/ENOENT/);
  });

  const SM = ['SM_HOST', 'SM_API_KEY', 'SM_CLIENT_CERT_FILE', 'SM_CLIENT_CERT_PASSWORD'];
  const buildEnv = (context: Record<string, string>) => {
    const env = steps.find((s) => s.id === 'build')!.env!;
    return Object.fromEntries(SM.map((name) => [name, evaluate(env[name]!, context)]));
  };
  const given = {
    'steps.keylocker.outcome': 'success', 'steps.keylocker.outputs.client-certificate-file': 'C:\\t\\client.p12',
    'inputs.keylocker-host': SECRETS.host, 'inputs.keylocker-api-key': SECRETS.apiKey, 'inputs.keylocker-client-certificate-password': SECRETS.password,
  };

  it('hands the credentials to the build, whose sign command runs smctl, only when the KeyLocker step ran', async () => {
    expect(buildEnv(given)).toEqual({ SM_HOST: SECRETS.host, SM_API_KEY: SECRETS.apiKey, SM_CLIENT_CERT_FILE: 'C:\\t\\client.p12', SM_CLIENT_CERT_PASSWORD: SECRETS.password });
    // Skipped (no API key, or not Windows): inputs given for another leg do not reach this one's build.
    const skipped = { ...given, 'steps.keylocker.outcome': 'skipped', 'steps.keylocker.outputs.client-certificate-file': '' };
    expect(buildEnv(skipped)).toEqual({ SM_HOST: '', SM_API_KEY: '', SM_CLIENT_CERT_FILE: '', SM_CLIENT_CERT_PASSWORD: '' });
    // A caller that installed smctl and set SM_* on the step itself keeps them.
    const own = { 'steps.keylocker.outcome': 'skipped', 'env.SM_HOST': 'h', 'env.SM_API_KEY': 'k', 'env.SM_CLIENT_CERT_FILE': 'f', 'env.SM_CLIENT_CERT_PASSWORD': 'p' };
    expect(buildEnv(own)).toEqual({ SM_HOST: 'h', SM_API_KEY: 'k', SM_CLIENT_CERT_FILE: 'f', SM_CLIENT_CERT_PASSWORD: 'p' });

    // Tauri runs the sign command in the build step's environment: the stand-in records what it would see.
    const dir = await mkdtemp(join(workspace, 'kl-'));
    const tauri = await fakeTauri(dir);
    const built = await build({ 'tauri-cli': tauri.path, target: 'x86_64-pc-windows-msvc', version: '1.2.0', bundles: '' }, { ...buildEnv(given), RECORD_ENV: SM.join(',') }, dir);
    expect(built.code).toBe(0);
    expect(await tauri.env()).toEqual(buildEnv(given));
  });
});

/**
 * A stand-in for the Tauri CLI that records its argv (one JSON line per run) and fails as Tauri's WiX bundler does
 * when asked for an MSI of a non-numeric pre-release version.
 */
async function fakeTauri(dir: string): Promise<{ path: string; calls: () => Promise<string[][]>; env: () => Promise<Record<string, string>> }> {
  const path = join(dir, 'fake-tauri.mjs');
  const log = join(dir, 'fake-tauri.log');
  await writeFile(
    path,
    `#!/usr/bin/env node
import { appendFileSync } from 'node:fs';
const argv = process.argv.slice(2);
appendFileSync(${JSON.stringify(log)}, JSON.stringify(argv) + '\\n');
const recorded = Object.fromEntries((process.env.RECORD_ENV ?? '').split(',').filter(Boolean).map((name) => [name, process.env[name] ?? '']));
if (process.env.RECORD_ENV) appendFileSync(${JSON.stringify(log)} + '.env', JSON.stringify(recorded));
const at = argv.lastIndexOf('--bundles');
const bundles = at === -1 ? ['msi', 'nsis'] : argv[at + 1].split(',');
const version = argv.map((a) => { try { return JSON.parse(a).version; } catch { return undefined; } }).find(Boolean);
if (bundles.includes('msi') && /-/.test(version ?? '')) {
  console.error('Error failed to bundle project: optional pre-release identifier in app version must be numeric-only and cannot be greater than 65535 for msi target');
  process.exit(1);
}
`,
    { mode: 0o755 },
  );
  return {
    path,
    calls: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as string[]),
    env: async () => JSON.parse(await readFile(`${log}.env`, 'utf8')) as Record<string, string>,
  };
}

const build = (plan: Record<string, string>, env: Record<string, string>, cwd: string) =>
  runStep('build', { TAURI_CLI: plan['tauri-cli']!, TARGET: plan.target!, VERSION: plan.version!, BUNDLES: plan.bundles!, TAURI_ARGS: '', SIGN_CONFIG: '', ...env }, cwd);

describe('a pre-release tag on Windows (issue 18 #1)', () => {
  it('builds the NSIS installer only, says why in the log and the job summary, and passes tauri exactly these arguments', async () => {
    const dir = await mkdtemp(join(workspace, 'pre-'));
    const tauri = await fakeTauri(dir);
    const planned = await plan({ GITHUB_REF_NAME: 'v1.2.0-beta.1', GITHUB_REF: 'refs/tags/v1.2.0-beta.1', TAURI_CLI_INPUT: tauri.path });
    expect(planned.code).toBe(0);
    expect(planned.outputs.bundles).toBe('nsis');
    expect(planned.stdout).toContain('::warning title=tauri-release: MSI skipped::1.2.0-beta.1 is a pre-release');
    expect(planned.stdout).toContain('WiX takes only numeric versions');
    expect(planned.summary).toContain('**MSI skipped** (windows-x86_64)');

    const built = await build(planned.outputs, {}, dir);
    expect(built.stderr).not.toContain('msi target');
    expect(built.code).toBe(0);
    expect(await tauri.calls()).toEqual([
      ['build', '--ci', '--target', 'x86_64-pc-windows-msvc', '--config', '{"version":"1.2.0-beta.1"}', '--bundles', 'nsis'],
    ]);
  });

  it('without the plan\'s bundle choice the same build fails in WiX (what the fake stands for)', async () => {
    const dir = await mkdtemp(join(workspace, 'pre-'));
    const tauri = await fakeTauri(dir);
    const built = await build({ 'tauri-cli': tauri.path, target: 'x86_64-pc-windows-msvc', version: '1.2.0-beta.1', bundles: '' }, {}, dir);
    expect(built.code).toBe(1);
    expect(built.stderr).toContain('for msi target');
  });

  it('keeps the MSI for a stable version, and off Windows', async () => {
    const stable = await plan({ GITHUB_REF_NAME: 'v1.2.0', GITHUB_REF: 'refs/tags/v1.2.0' });
    expect(stable.outputs.bundles).toBe('');
    expect(stable.stdout).not.toContain('::warning');
    const mac = await plan({ GITHUB_REF_NAME: 'v1.2.0-beta.1', PLATFORM: 'darwin-aarch64', RUNNER_OS: 'macOS' });
    expect(mac.outputs.bundles).toBe('');
  });

  it('leaves bundles named in tauri-args to the user', async () => {
    const dir = await mkdtemp(join(workspace, 'pre-'));
    const tauri = await fakeTauri(dir);
    const built = await build({ 'tauri-cli': tauri.path, target: 'x86_64-pc-windows-msvc', version: '1.2.0-beta.1', bundles: 'nsis' }, { TAURI_ARGS: '--bundles nsis,updater' }, dir);
    expect(built.code).toBe(0);
    expect((await tauri.calls())[0]!.slice(-3)).toEqual(['{"version":"1.2.0-beta.1"}', '--bundles', 'nsis,updater']);
  });
});

describe('tauri-cli: npm run tauri (issue 18 #2)', () => {
  it('passes --ci, --target and --config through npm to the script (real npm, a script that records its argv)', async () => {
    const dir = await mkdtemp(join(workspace, 'npm-'));
    const tauri = await fakeTauri(dir);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, scripts: { tauri: `node ${tauri.path}` } }));
    const planned = await plan({ TAURI_CLI_INPUT: 'npm run tauri', VERSION_INPUT: '1.2.0', PLATFORM: 'darwin-aarch64', RUNNER_OS: 'macOS' });
    expect(planned.outputs['tauri-cli']).toBe('npm run tauri --');

    const built = await build(planned.outputs, { TAURI_ARGS: '--features pro' }, dir);
    expect(built.code).toBe(0);
    expect(await tauri.calls()).toEqual([['build', '--ci', '--target', 'aarch64-apple-darwin', '--config', '{"version":"1.2.0"}', '--features', 'pro']]);
  });

  it('adds no second --', async () => {
    const { outputs } = await plan({ TAURI_CLI_INPUT: 'npm run tauri --' });
    expect(outputs['tauri-cli']).toBe('npm run tauri --');
  });
});
