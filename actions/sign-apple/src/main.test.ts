/**
 * main.ts with `@actions/core` mocked: inputs in, outputs/variables/state/masks out, and the step failed on any
 * throw. The logic underneath runs for real against the fake macOS tools on PATH.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_IDENTITY, installFakeMacos, LOGIN_KEYCHAIN, type FakeMacos } from '../../../test/support/fake-macos/index.ts';
import { createCoreMock } from '../../shared/src/core-mock.ts';
import { API_ISSUER, API_KEY_ID, P12_BASE64, P12_PASSWORD, P8_BASE64, P8_PEM } from '../../../test/support/fake-macos/fixtures.ts';

const core = createCoreMock();
jest.unstable_mockModule('@actions/core', () => core);
const { run, runPost } = await import('./main.ts');

const saved = { PATH: process.env.PATH, RUNNER_TEMP: process.env.RUNNER_TEMP, GITHUB_STEP_SUMMARY: process.env.GITHUB_STEP_SUMMARY };
let mac: FakeMacos;
let runnerTemp: string;

beforeAll(async () => {
  runnerTemp = await mkdtemp(join(tmpdir(), 'runner-temp-'));
  process.env.RUNNER_TEMP = runnerTemp;
  process.env.GITHUB_STEP_SUMMARY = join(runnerTemp, 'summary.md');
});
beforeEach(async () => {
  await mac?.cleanup();
  mac = await installFakeMacos();
  process.env.PATH = `${mac.binDir}:${saved.PATH}`;
});
afterAll(async () => {
  await mac.cleanup();
  await rm(runnerTemp, { recursive: true, force: true });
  Object.assign(process.env, saved);
  if (saved.GITHUB_STEP_SUMMARY === undefined) delete process.env.GITHUB_STEP_SUMMARY;
  if (saved.RUNNER_TEMP === undefined) delete process.env.RUNNER_TEMP;
});

const allInputs = {
  certificate: P12_BASE64,
  'certificate-password': P12_PASSWORD,
  'api-key': P8_BASE64,
  'api-key-id': API_KEY_ID,
  'api-issuer': API_ISSUER,
};

describe('run', () => {
  it('masks every credential, saves state, exports the tauri variables and sets the outputs', async () => {
    core.reset(allInputs);
    await run();

    expect(core.setFailed).not.toHaveBeenCalled();
    const { state, outputs, exported, secrets, summary } = core.recorded;
    expect(Object.keys(state)).toEqual(['tempDir', 'keychain']);
    expect(outputs).toEqual({
      identity: DEFAULT_IDENTITY.hash,
      'identity-name': DEFAULT_IDENTITY.name,
      'team-id': 'ABCDE12345',
      keychain: state.keychain,
      'api-key-path': exported.APPLE_API_KEY_PATH,
    });
    expect(exported).toEqual({
      APPLE_SIGNING_IDENTITY: DEFAULT_IDENTITY.hash,
      APPLE_API_KEY: API_KEY_ID,
      APPLE_API_ISSUER: API_ISSUER,
      APPLE_API_KEY_PATH: join(state.tempDir!, 'private_keys', `AuthKey_${API_KEY_ID}.p8`),
    });
    // Inputs, the decoded key (whole and by line) and the generated keychain password, all before use.
    expect(secrets).toEqual(expect.arrayContaining([P12_PASSWORD, P12_BASE64, P8_BASE64, P8_PEM, '-----BEGIN PRIVATE KEY-----']));
    const keychainPassword = (await mac.calls()).find((call) => call.args[0] === 'create-keychain')!.args[2]!;
    expect(secrets).toContain(keychainPassword);
    const everything = [core.recorded.log.join('\n'), summary].join('\n');
    for (const secret of [P12_PASSWORD, keychainPassword, P8_BASE64]) expect(everything).not.toContain(secret);
    expect(summary).toContain(`| SHA-1 | ${DEFAULT_IDENTITY.hash} |`);
  });

  it('treats an empty certificate-password as absent and says why it may be empty, before running anything', async () => {
    core.reset({ certificate: P12_BASE64, 'certificate-password': '' });
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(
      'certificate is set but certificate-password is empty (an unset or misspelled `${{ secrets.… }}` expands to an ' +
        'empty string, and pull requests from forks get no secrets). Pass the password the .p12 was exported with ' +
        '(usually secrets.APPLE_CERTIFICATE_PASSWORD).',
    );
    expect(core.setSecret).not.toHaveBeenCalledWith('');
    expect(await mac.calls()).toEqual([]);
  });

  it('reads a secret stored with a trailing line break (`echo … | gh secret set`) without it, as openssl does', async () => {
    core.reset({ ...allInputs, 'certificate-password': `${P12_PASSWORD}\n` });
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    const imported = (await mac.calls()).find((call) => call.args[0] === 'import')!;
    expect(imported.args[imported.args.indexOf('-P') + 1]).toBe(P12_PASSWORD);
  });

  it('fails the step for a throw that is not an Error', async () => {
    core.reset(allInputs);
    core.getInput.mockImplementationOnce(() => {
      throw 'input service unavailable';
    });
    await run();
    expect(core.setFailed).toHaveBeenCalledWith('input service unavailable');
  });

  it('says a macOS runner is needed when security is not on PATH', async () => {
    core.reset(allInputs);
    process.env.PATH = '/nonexistent';
    await run();
    expect(core.setFailed).toHaveBeenCalledWith('Could not run security: it was not found on PATH. sign-apple runs on macOS runners (runs-on: macos-…).');
  });

  it('rejects a keychain-timeout that is not a number of seconds', async () => {
    core.reset({ ...allInputs, 'keychain-timeout': '6h' });
    await run();
    expect(core.setFailed).toHaveBeenCalledWith('Input keychain-timeout must be a whole number from 60 to 86400, not "6h".');
  });
});

describe('runPost', () => {
  it('cleans up from the state main saved', async () => {
    core.reset(allInputs);
    await run();
    const { state } = core.recorded;
    core.setFailed.mockClear();
    await runPost();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(core.getState.mock.calls.map(([name]) => name)).toEqual(['tempDir', 'keychain']);
    expect(await mac.state()).toMatchObject({ searchList: [LOGIN_KEYCHAIN], keychains: {} });
    expect(existsSync(state.tempDir!)).toBe(false);
  });

  it('fails the post step when something could not be undone', async () => {
    core.reset();
    core.recorded.state.keychain = '/nowhere/signing.keychain-db';
    process.env.PATH = '/nonexistent';
    await runPost();
    expect(core.setFailed).toHaveBeenCalledWith(
      'Could not delete the keychain /nowhere/signing.keychain-db: Could not run security: it was not found on PATH. sign-apple runs on macOS runners (runs-on: macos-…).',
    );
  });
});

describe('mode: diagnose', () => {
  it('checks the credentials with openssl and jose only, touches no keychain, and fails naming each problem with its fix', async () => {
    // P12_BASE64 is a stand-in that only looks like DER: openssl cannot read it, which is the problem to name.
    core.reset({ mode: 'diagnose', certificate: P12_BASE64, 'certificate-password': P12_PASSWORD, 'api-key': P8_BASE64, 'api-key-id': API_KEY_ID, 'api-issuer': API_ISSUER });
    await run();
    expect(core.setFailed).toHaveBeenCalledTimes(1);
    expect(core.setFailed.mock.calls[0]![0]).toMatch(/^p12: openssl cannot read APPLE_CERTIFICATE as a PKCS#12 file: .*\. Fix: store the base64 of the \.p12 file itself/);
    expect(core.recorded.log).toEqual(expect.arrayContaining([
      expect.stringMatching(/^info: PROBLEM {2}p12: openssl cannot read/),
      `info: ok       p8: an ES256 (P-256) key, Key ID ${API_KEY_ID}`,
      expect.stringMatching(/^info: ok {7}jwt: a 20-minute App Store Connect token signs and verifies/),
    ]));
    expect(core.recorded.summary).toContain('Apple credentials');
    expect(core.recorded.state).toEqual({});
    expect(await mac.calls()).toEqual([]);
    expect(core.recorded.secrets).toEqual(expect.arrayContaining([P12_PASSWORD, P8_PEM]));
  });

  it('refuses an unknown mode', async () => {
    core.reset({ mode: 'verify' });
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringContaining('mode must be sign or diagnose, not "verify"'));
  });
});
