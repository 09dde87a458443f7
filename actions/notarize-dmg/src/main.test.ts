/**
 * main.ts with `@actions/core` mocked: credentials from inputs or from sign-apple's variables, outputs on success and
 * on failure after submission, masking of credentials read from the environment, and the post step.
 */
import { afterAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_IDENTITY, installFakeMacos, type FakeMacos } from '../../../test/support/fake-macos/index.ts';
import { API_ISSUER, API_KEY_ID, P8_PEM } from '../../../test/support/fake-macos/fixtures.ts';
import { createCoreMock } from '../../shared/src/core-mock.ts';

const core = createCoreMock();
jest.unstable_mockModule('@actions/core', () => core);
const { run, runPost } = await import('./main.ts');

const VARS = ['PATH', 'RUNNER_TEMP', 'GITHUB_WORKSPACE', 'GITHUB_STEP_SUMMARY', 'APPLE_SIGNING_IDENTITY', 'APPLE_API_KEY', 'APPLE_API_ISSUER', 'APPLE_API_KEY_PATH', 'APPLE_ID', 'APPLE_PASSWORD', 'APPLE_TEAM_ID'];
const saved = Object.fromEntries(VARS.map((name) => [name, process.env[name]]));
let mac: FakeMacos;
let work: string;

beforeEach(async () => {
  await mac?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
  mac = await installFakeMacos({ loginIdentities: [DEFAULT_IDENTITY] });
  work = await mkdtemp(join(tmpdir(), 'notarize-main-'));
  await writeFile(join(work, 'App.dmg'), 'UDIF');
  await writeFile(join(work, 'AuthKey.p8'), P8_PEM);
  for (const name of VARS.slice(4)) delete process.env[name];
  Object.assign(process.env, {
    PATH: `${mac.binDir}:${saved.PATH}`,
    RUNNER_TEMP: work,
    GITHUB_WORKSPACE: work,
    GITHUB_STEP_SUMMARY: join(work, 'summary.md'),
    // What sign-apple exported earlier in the job.
    APPLE_SIGNING_IDENTITY: DEFAULT_IDENTITY.hash,
    APPLE_API_KEY: API_KEY_ID,
    APPLE_API_ISSUER: API_ISSUER,
    APPLE_API_KEY_PATH: join(work, 'AuthKey.p8'),
  });
});
afterAll(async () => {
  await mac.cleanup();
  await rm(work, { recursive: true, force: true });
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('run', () => {
  it("notarizes with sign-apple's variables when no credential input is set", async () => {
    core.reset({ dmg: 'App.dmg', 'retry-delay': '0' });
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(core.recorded.outputs).toEqual({ 'submission-id': '6f1c2a3b-1d2e-4f50-9a6b-000000000001', status: 'Accepted', dmg: join(work, 'App.dmg') });
    expect(core.recorded.summary).toContain('| Status | Accepted |');
    expect(core.recorded.summary).toContain('| Stapled and verified | yes |');
  });

  it('sets the outputs and the summary before failing when Apple says Invalid', async () => {
    await mac.setScenario({ loginIdentities: [DEFAULT_IDENTITY], notaryStatus: 'Invalid' });
    core.reset({ dmg: '*.dmg' });
    await run();
    expect(core.recorded.outputs).toMatchObject({ 'submission-id': '6f1c2a3b-1d2e-4f50-9a6b-000000000001', status: 'Invalid' });
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringMatching(/^Notarization Invalid for submission 6f1c2a3b-.*\n2 issues:/));
    expect(core.error).toHaveBeenCalledWith(expect.stringContaining('The signature does not include a secure timestamp.'), { title: 'Notarization Invalid' });
    expect(core.recorded.summary).toContain('**Archive contains critical validation errors**');
    expect(core.recorded.summary).toContain('| Stapled and verified | no |');
  });

  it('masks Apple ID credentials read from the environment', async () => {
    for (const name of ['APPLE_API_KEY', 'APPLE_API_ISSUER', 'APPLE_API_KEY_PATH']) delete process.env[name];
    Object.assign(process.env, { APPLE_ID: 'dev@example.com', APPLE_PASSWORD: 'abcd-efgh-ijkl-mnop', APPLE_TEAM_ID: 'ABCDE12345' });
    core.reset({ dmg: 'App.dmg' });
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(core.recorded.secrets).toEqual(expect.arrayContaining(['dev@example.com', 'abcd-efgh-ijkl-mnop']));
    expect(core.recorded.log.join('\n')).not.toContain('abcd-efgh-ijkl-mnop');
  });

  it('fails before running anything when credentials are missing, naming both places they can come from', async () => {
    for (const name of ['APPLE_API_KEY', 'APPLE_API_ISSUER', 'APPLE_API_KEY_PATH']) delete process.env[name];
    core.reset({ dmg: 'App.dmg', 'api-key-id': '' });
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringMatching(/^No notarization credentials: set api-key, api-key-id and api-issuer \(or run sign-apple/));
    expect(await mac.calls()).toEqual([]);
  });

  it('fails the step for a throw that is not an Error', async () => {
    core.reset({ dmg: 'App.dmg' });
    core.getInput.mockImplementationOnce(() => {
      throw 42;
    });
    await run();
    expect(core.setFailed).toHaveBeenCalledWith('42');
  });
});

describe('runPost', () => {
  it('deletes the key directory the main step recorded, and only that', async () => {
    const dir = join(work, 'notarize-dmg-abc123');
    await mkdir(dir);
    core.reset();
    core.recorded.state.tempDir = dir;
    await runPost();
    expect(existsSync(dir)).toBe(false);
    expect(core.setFailed).not.toHaveBeenCalled();

    core.reset();
    core.recorded.state.tempDir = work;
    await runPost();
    expect(core.setFailed).toHaveBeenCalledWith(`Refusing to delete ${JSON.stringify(work)}: not a directory this action created (notarize-dmg-*).`);
    expect(existsSync(work)).toBe(true);
  });
});
