/**
 * The committed bundle, run as the runner runs it (actions/shared createJob: INPUT_* variables, GITHUB_OUTPUT
 * and friends), and as Tauri runs a `bundle.windows.signCommand` (`node dist/index.js <file>`).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createJob, parseWorkflowCommands, type Job } from '../../shared/src/testing.ts';
import { buildPe, makePki, makeTauriKey, minisignVerifies, osslVerify, REPO_ROOT, startTsa, TAURI_CLI, tauriSign, type LocalTsa, type TauriKey, type TestPki } from './test-fixtures.ts';

const DIST = join(REPO_ROOT, 'actions', 'sign-windows', 'dist', 'index.js');

let root: string;
let pki: TestPki;
let pe: string;
let tsa: LocalTsa;
let down: LocalTsa;
let key: TauriKey;
let job: Job;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sign-windows-e2e-'));
  pki = await makePki(join(root, 'pki'));
  pe = await buildPe(root);
  tsa = await startTsa(pki, join(root, 'pki'), 'answer');
  down = await startTsa(pki, join(root, 'pki'), 'fail');
  key = await makeTauriKey(join(root, 'keys'), '');
  job = await createJob();
}, 120_000);

afterAll(async () => {
  await Promise.all([tsa?.close(), down?.close(), job?.cleanup()]);
  await rm(root, { recursive: true, force: true });
});

describe('sign-windows dist/index.js', () => {
  it('signs the files a glob names, makes their updater .sig after, and reports them', async () => {
    const bundle = join(job.workspace, 'src-tauri/target/release/bundle');
    await mkdir(join(bundle, 'nsis'), { recursive: true });
    await mkdir(join(bundle, 'msi'), { recursive: true });
    const setup = join(bundle, 'nsis', 'App_1.0.0_x64-setup.exe');
    await copyFile(pe, setup);
    await tauriSign(setup, key); // as `tauri build` left it

    const step = await job.run(DIST, {
      inputs: {
        files: 'src-tauri/target/release/bundle/nsis/*-setup.exe',
        certificate: pki.pfxBase64,
        'certificate-password': pki.pfxPassword,
        'timestamp-urls': `${down.url}\n${tsa.url}`,
        'timestamp-timeout': '20',
        'verify-ca-file': pki.caCert,
        'tauri-signing-private-key': key.privateKey,
        'app-version': '1.0.0',
        'working-directory': job.workspace,
        description: 'My App',
        // The workspace has no node_modules, so the CLI is named, as `cargo tauri` would be.
        'tauri-cli': `${process.execPath} ${TAURI_CLI}`,
      },
    });

    expect(step.errors).toEqual([]);
    expect(step.code).toBe(0);
    expect(JSON.parse(step.outputs['signed-files']!)).toEqual([setup]);
    expect(JSON.parse(step.outputs['updater-signatures']!)).toEqual([`${setup}.sig`]);
    expect(JSON.parse(step.outputs['timestamp-urls']!)).toEqual([tsa.url]);
    expect(step.warnings).toEqual([expect.stringContaining(`timestamp server ${down.url} failed`)]);
    const masks = step.commands.filter((c) => c.command === 'add-mask').map((c) => c.message);
    expect(masks).toEqual(expect.arrayContaining([pki.pfxPassword, key.privateKey.trim()]));
    expect(step.stdout).not.toContain(`-readpass ${pki.pfxPassword}`);
    expect(step.summary).toContain('made after signing');
    expect((await osslVerify(setup, pki.caCert)).output).toContain('Timestamp Server Signature verification: ok');
    expect((await minisignVerifies(setup, `${setup}.sig`, key.publicKeyFile, root)).ok).toBe(true);
  }, 90_000);

  it('fails the step with a clear message when the certificate secret is unset', async () => {
    const step = await job.run(DIST, { inputs: { files: '*.exe', certificate: '', 'certificate-password': 'x' } });
    expect(step.code).toBe(1);
    expect(step.errors).toEqual([expect.stringMatching(/^certificate is empty \(an unset or misspelled `\$\{\{ secrets/)]);
  });

  it('a program that is not installed is named with the input that asked for it', async () => {
    await copyFile(pe, join(job.workspace, 'app.exe'));
    const signCommand = await job.run(DIST, { inputs: { files: 'app.exe', 'sign-command': 'no-such-signer sign %1', 'working-directory': job.workspace } });
    expect(signCommand.errors).toEqual([
      'Could not run no-such-signer: it was not found on PATH. sign-command names a program this runner does not have: install it in an earlier step, or give its full path.',
    ]);
    const tauriCli = await job.run(DIST, {
      inputs: {
        files: 'app.exe', certificate: pki.pfxBase64, 'certificate-password': pki.pfxPassword, 'timestamp-urls': tsa.url, 'verify-ca-file': pki.caCert,
        'tauri-signing-private-key': key.privateKey, 'tauri-cli': 'no-such-tauri signer', 'working-directory': job.workspace,
      },
    });
    // The updater key is tried on a test file before anything is signed, so the missing CLI shows up there.
    expect(tauriCli.errors).toEqual([
      'the Tauri updater key could not sign a test file, so nothing was signed: Could not run no-such-tauri: it was not found on PATH. tauri-cli names a program this runner does not have: install the Tauri CLI in an earlier step (npm ci, or cargo install tauri-cli), or fix tauri-cli.',
    ]);
  }, 60_000);

  it('works as Tauri\'s signCommand: the file comes as an argument, inputs from INPUT_* variables, no outputs', async () => {
    const dir = await mkdtemp(join(root, 'sign-command-'));
    const file = join(dir, 'app.exe');
    await copyFile(pe, file);
    const { stdout } = await promisify(execFile)(process.execPath, [DIST, file], {
      env: {
        PATH: process.env.PATH,
        RUNNER_TEMP: root,
        INPUT_CERTIFICATE: pki.pfxBase64,
        'INPUT_CERTIFICATE-PASSWORD': pki.pfxPassword,
        'INPUT_TIMESTAMP-URLS': tsa.url,
        'INPUT_VERIFY-CA-FILE': pki.caCert,
      },
    });
    expect(parseWorkflowCommands(stdout).filter((c) => c.command === 'error')).toEqual([]);
    expect((await osslVerify(file, pki.caCert)).ok).toBe(true);
    expect(await readdir(dir)).toEqual(['app.exe']);
  }, 60_000);
});
