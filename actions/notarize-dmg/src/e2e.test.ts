/**
 * The committed bundles in one job, as a workflow would run them: sign-apple, then notarize-dmg reading what it
 * exported, then the post steps in reverse order. Child processes with INPUT_* variables and real
 * GITHUB_OUTPUT/ENV/STATE/STEP_SUMMARY files, against the fake macOS tools on PATH. Rebuild with
 * `npm run build:actions notarize-dmg` after changing src/.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_IDENTITY, installFakeMacos, LOGIN_KEYCHAIN, type FakeMacos, type FakeScenario } from '../../../test/support/fake-macos/index.ts';
import { API_ISSUER, API_KEY_ID, P12_BASE64, P12_PASSWORD, P8_BASE64 } from '../../../test/support/fake-macos/fixtures.ts';
import { createJob, type Job, type StepRun } from '../../shared/src/testing.ts';

const dist = (action: string, file: string) => fileURLToPath(new URL(`../../${action}/dist/${file}`, import.meta.url));
const ID_1 = '6f1c2a3b-1d2e-4f50-9a6b-000000000001';

let job: Job;
let mac: FakeMacos;
let dmg: string;
beforeEach(async () => {
  job = await createJob();
  mac = await installFakeMacos();
  await writeFile(join(job.workspace, 'Example_1.0.0_aarch64.dmg'), 'UDIF disk image');
  dmg = join(job.workspace, 'Example_1.0.0_aarch64.dmg');
});
afterEach(async () => {
  await job.cleanup();
  await mac.cleanup();
});

const step = (script: string, options: Parameters<Job['run']>[1] = {}) => job.run(script, { pathPrepend: [mac.binDir], ...options });

/** sign-apple, then notarize-dmg with `notarize` inputs, then both post steps (last step's post first). */
async function releaseJob(scenario: FakeScenario, notarize: Record<string, string> = {}) {
  await mac.setScenario(scenario);
  const sign = await step(dist('sign-apple', 'index.js'), {
    inputs: { certificate: P12_BASE64, 'certificate-password': P12_PASSWORD, 'api-key': P8_BASE64, 'api-key-id': API_KEY_ID, 'api-issuer': API_ISSUER },
  });
  expect(sign.code).toBe(0);
  const main = await step(dist('notarize-dmg', 'index.js'), { inputs: { dmg: '*.dmg', 'retry-delay': '0', ...notarize } });
  const post = await step(dist('notarize-dmg', 'post.js'), { state: main.state });
  const signPost = await step(dist('sign-apple', 'post.js'), { state: sign.state });
  return { sign, main, post, signPost };
}

async function expectCleanedUp(posts: StepRun[]) {
  for (const post of posts) expect(post.code).toBe(0);
  expect(await mac.state()).toMatchObject({ searchList: [LOGIN_KEYCHAIN], keychains: {} });
  expect(await readdir(job.runnerTemp)).toEqual([]);
}

describe('sign-apple → notarize-dmg dist', () => {
  it("notarizes with sign-apple's identity and API key, staples, verifies, and both post steps clean up", async () => {
    const { sign, main, post, signPost } = await releaseJob({});
    expect(main.stderr).toBe('');
    expect(main.code).toBe(0);
    expect(main.outputs).toEqual({ 'submission-id': ID_1, status: 'Accepted', dmg });
    const auth = `--key ${sign.env.APPLE_API_KEY_PATH} --key-id ${API_KEY_ID} --issuer ${API_ISSUER}`;
    const lines = await mac.commandLines();
    expect(lines.slice(lines.indexOf(`xcrun stapler validate -v ${dmg}`))).toEqual([
      `xcrun stapler validate -v ${dmg}`,
      `codesign --force --sign ${DEFAULT_IDENTITY.hash} --timestamp ${dmg}`,
      `codesign --verify --strict --verbose=2 ${dmg}`,
      `xcrun notarytool submit ${dmg} ${auth} --no-wait --output-format json`,
      `xcrun notarytool wait ${ID_1} ${auth} --timeout 30m --output-format json`,
      `xcrun stapler staple -v ${dmg}`,
      `xcrun stapler validate -v ${dmg}`,
      `spctl -a -vvv -t open --context context:primary-signature ${dmg}`,
      `security delete-keychain ${sign.state.keychain}`,
    ]);
    expect(main.summary).toContain(`| Submission | ${ID_1} |`);
    expect(main.summary).toContain('| Stapled and verified | yes |');
    expect(post.stdout).not.toContain('Deleted');
    await expectCleanedUp([post, signPost]);
  });

  it('Invalid: prints the developer log and each issue, sets the outputs, fails; cleanup still runs', async () => {
    const { main, post, signPost } = await releaseJob({ notaryStatus: 'Invalid' });
    expect(main.code).toBe(1);
    expect(main.outputs).toEqual({ 'submission-id': ID_1, status: 'Invalid', dmg });
    expect(main.stdout).toContain('"statusSummary": "Archive contains critical validation errors"');
    const annotations = main.commands.filter((c) => c.command === 'error');
    expect(annotations.map((c) => [c.properties.title, c.message.split('\n')[0]])).toEqual([
      ['Notarization Invalid', 'Example_1.0.0_aarch64.dmg/Example.app/Contents/Resources/bin/ffmpeg: The binary is not signed with a valid Developer ID certificate. (arm64)'],
      ['Notarization Invalid', 'Example_1.0.0_aarch64.dmg/Example.app/Contents/Resources/bin/ffmpeg: The signature does not include a secure timestamp. (arm64)'],
      [undefined, `Notarization Invalid for submission ${ID_1}: Archive contains critical validation errors.`],
    ]);
    expect(main.summary).toContain('- `Example_1.0.0_aarch64.dmg/Example.app/Contents/Resources/bin/ffmpeg`: The signature does not include a secure timestamp.');
    expect((await mac.commandLines()).some((line) => line.startsWith('xcrun stapler staple'))).toBe(false);
    await expectCleanedUp([post, signPost]);
  });

  it('retries the staple on "Record not found" and succeeds', async () => {
    const { main, post, signPost } = await releaseJob({ stapleRecordNotFound: 2 });
    expect(main.code).toBe(0);
    expect(main.stdout.match(/failed due to "Record not found"/g)).toHaveLength(2);
    expect(main.stdout).toContain('("Record not found", attempt 2); stapling again in 0 s.');
    expect((await mac.commandLines()).filter((line) => line.startsWith('xcrun stapler staple'))).toHaveLength(3);
    expect(main.outputs.status).toBe('Accepted');
    await expectCleanedUp([post, signPost]);
  });

  it('a wait that runs out fails with the submission ID and its status, and nothing is left behind', async () => {
    const { main, post, signPost } = await releaseJob({ notaryStatus: 'In Progress' }, { 'wait-timeout': '15m' });
    expect(main.code).toBe(1);
    expect(main.outputs).toEqual({ 'submission-id': ID_1, status: 'In Progress', dmg });
    expect(main.errors).toEqual([
      `Notarization of submission ${ID_1} did not finish within 15m (status: In Progress). Apple keeps processing it: look it up later with \`xcrun notarytool info ${ID_1}\`, or raise wait-timeout. Re-running the job uploads a new build, which is safe.`,
    ]);
    expect((await mac.commandLines()).filter((line) => line.includes(`notarytool wait ${ID_1}`))[0]).toContain('--timeout 15m');
    await expectCleanedUp([post, signPost]);
  });

  it('with its own api-key input, removes the key file in the main step and leaves the post step nothing', async () => {
    await mac.setScenario({ notaryStatus: 'Invalid', loginIdentities: [DEFAULT_IDENTITY] });
    const main = await step(dist('notarize-dmg', 'index.js'), {
      inputs: { dmg: 'Example_1.0.0_aarch64.dmg', 'signing-identity': DEFAULT_IDENTITY.hash, 'api-key': P8_BASE64, 'api-key-id': API_KEY_ID, 'api-issuer': API_ISSUER },
    });
    expect(main.code).toBe(1);
    expect(main.state.tempDir).toMatch(new RegExp(`^${job.runnerTemp}/notarize-dmg-`));
    expect(main.commands.filter((c) => c.command === 'add-mask').map((c) => c.message)).toContain(P8_BASE64);
    expect(await readdir(job.runnerTemp)).toEqual([]);
    const post = await step(dist('notarize-dmg', 'post.js'), { state: main.state });
    expect(post.code).toBe(0);
  });
});
