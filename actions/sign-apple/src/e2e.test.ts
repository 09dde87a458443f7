/**
 * The committed bundle, run the way the runner runs it: `node dist/index.js` then `node dist/post.js` as child
 * processes with INPUT_* variables and real GITHUB_OUTPUT/ENV/STATE/STEP_SUMMARY files, against the fake macOS tools
 * on PATH. Rebuild with `npm run build:actions sign-apple` after changing src/.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DEFAULT_IDENTITY, installFakeMacos, LOGIN_KEYCHAIN, type FakeMacos } from '../../../test/support/fake-macos/index.ts';
import { createJob, type Job, type StepRun } from '../../shared/src/testing.ts';
import { API_ISSUER, API_KEY_ID, P12_BASE64, P12_PASSWORD, P8_BASE64, P8_PEM } from '../../../test/support/fake-macos/fixtures.ts';

const MAIN = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const POST = fileURLToPath(new URL('../dist/post.js', import.meta.url));

let job: Job;
let mac: FakeMacos;
beforeEach(async () => {
  job = await createJob();
  mac = await installFakeMacos();
});
afterEach(async () => {
  await job.cleanup();
  await mac.cleanup();
});

const step = (script: string, options: Parameters<Job['run']>[1] = {}) => job.run(script, { pathPrepend: [mac.binDir], ...options });
/** stdout without the `::add-mask::` lines, which must carry the secret for the runner to mask it. */
const visible = (run: StepRun) => run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n');
const masks = (run: StepRun) => run.commands.filter((c) => c.command === 'add-mask').map((c) => c.message);

describe('sign-apple dist', () => {
  it('signs with a .p12 and an API key; the post step deletes everything, and delete-keychain alone takes it out of the search list', async () => {
    const main = await step(MAIN, {
      inputs: { certificate: P12_BASE64, 'certificate-password': P12_PASSWORD, 'api-key': P8_BASE64, 'api-key-id': API_KEY_ID, 'api-issuer': API_ISSUER },
    });
    expect(main.stderr).toBe('');
    expect(main.code).toBe(0);

    const { tempDir, keychain } = main.state;
    expect(Object.keys(main.state)).toEqual(['tempDir', 'keychain']);
    expect(tempDir).toMatch(new RegExp(`^${job.runnerTemp}/sign-apple-`));
    const keyPath = `${tempDir}/private_keys/AuthKey_${API_KEY_ID}.p8`;
    expect(main.outputs).toEqual({
      identity: DEFAULT_IDENTITY.hash,
      'identity-name': DEFAULT_IDENTITY.name,
      'team-id': 'ABCDE12345',
      keychain,
      'api-key-path': keyPath,
    });
    expect(main.env).toEqual({ APPLE_SIGNING_IDENTITY: DEFAULT_IDENTITY.hash, APPLE_API_KEY: API_KEY_ID, APPLE_API_ISSUER: API_ISSUER, APPLE_API_KEY_PATH: keyPath });
    expect((await mac.state()).searchList).toEqual([LOGIN_KEYCHAIN, keychain]);

    const keychainPassword = (await mac.calls()).find((call) => call.args[0] === 'create-keychain')!.args[2]!;
    expect(masks(main)).toEqual(expect.arrayContaining([P12_BASE64, P12_PASSWORD, P8_BASE64, P8_PEM, keychainPassword]));
    for (const secret of [P12_PASSWORD, keychainPassword, P8_BASE64, '-----BEGIN PRIVATE KEY-----']) {
      expect(visible(main)).not.toContain(secret);
      expect(main.summary).not.toContain(secret);
    }
    expect(main.stdout).toContain(`[command] security create-keychain -p *** ${keychain}`);
    expect(main.stdout).toContain(`-k ${keychain} -P *** -f pkcs12 -t cert -T /usr/bin/codesign`);
    expect(main.summary).toContain(`| Identity | ${DEFAULT_IDENTITY.name} |`);

    const before = (await mac.calls()).length;
    const post = await step(POST, { state: main.state });
    expect(post.code).toBe(0);
    expect(post.errors).toEqual([]);
    expect((await mac.commandLines()).slice(before)).toEqual([`security delete-keychain ${keychain}`]);
    expect(await mac.state()).toMatchObject({ searchList: [LOGIN_KEYCHAIN], keychains: {} });
    expect(existsSync(tempDir!)).toBe(false);
    expect(await readdir(job.runnerTemp)).toEqual([]);
  });

  it('a wrong .p12 password fails with what to do, and the post step still removes the half-made keychain', async () => {
    const main = await step(MAIN, { inputs: { certificate: P12_BASE64, 'certificate-password': 'not-the-password' } });
    expect(main.code).toBe(1);
    expect(main.errors).toEqual([expect.stringMatching(/^certificate-password \(APPLE_CERTIFICATE_PASSWORD\) does not open the \.p12 \(security: MAC verification failed during PKCS12 import\)\. Retrying will not help/)]);
    expect(visible(main)).not.toContain('not-the-password');
    expect(main.outputs).toEqual({});
    expect(main.env).toEqual({});
    expect(Object.keys(main.state)).toEqual(['tempDir', 'keychain']);

    const post = await step(POST, { state: main.state });
    expect(post.code).toBe(0);
    expect((await mac.commandLines()).at(-1)).toBe(`security delete-keychain ${main.state.keychain}`);
    expect(await mac.state()).toMatchObject({ searchList: [LOGIN_KEYCHAIN], keychains: {} });
    expect(await readdir(job.runnerTemp)).toEqual([]);
  });

  it('without a certificate signs ad-hoc, warns, and leaves nothing to clean', async () => {
    const main = await step(MAIN, { inputs: { certificate: '', 'certificate-password': '', 'allow-ad-hoc': 'true' } });
    expect(main.code).toBe(0);
    expect(main.warnings).toEqual([expect.stringMatching(/^No certificate given: signing ad-hoc \(APPLE_SIGNING_IDENTITY=-\)/)]);
    expect(main.outputs).toMatchObject({ identity: '-', 'identity-name': 'ad-hoc', keychain: '' });
    expect(main.env).toEqual({ APPLE_SIGNING_IDENTITY: '-' });
    expect(main.state).toEqual({});

    const post = await step(POST, { state: main.state });
    expect(post.code).toBe(0);
    expect(post.stdout).toContain('Nothing to clean up');
    expect(await mac.calls()).toEqual([]);
  });

  it('fails a release workflow that forbids ad-hoc when the certificate secret is missing', async () => {
    const main = await step(MAIN, { inputs: { certificate: '', 'allow-ad-hoc': 'false' } });
    expect(main.code).toBe(1);
    expect(main.errors).toEqual([expect.stringMatching(/^No certificate to sign with: certificate is empty \(an unset or misspelled/)]);
  });
});
