import { afterAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createCoreMock } from '../../shared/src/core-mock.ts';

const core = createCoreMock();
jest.unstable_mockModule('@actions/core', () => core);
const { run } = await import('./main.ts');

const saved = { ...process.env };
beforeEach(() => {
  core.reset();
  for (const name of ['GITHUB_REF', 'GITHUB_REF_TYPE', 'GITHUB_REF_NAME']) delete process.env[name];
  process.env.GITHUB_STEP_SUMMARY = '/dev/null'; // the mock's summary records; the file is never written
});
afterAll(() => {
  process.env = saved;
});

describe('build-matrix main', () => {
  it('writes the matrix, the version from the tag and the keys served, and a summary', async () => {
    core.reset({ platforms: 'macos-universal, linux-arm64' });
    Object.assign(process.env, { GITHUB_REF: 'refs/tags/app-v2.0.0-beta.3', GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'app-v2.0.0-beta.3' });
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    const matrix = JSON.parse(core.recorded.outputs.matrix!);
    expect(matrix.include.map((e: { name: string; runner: string }) => `${e.name}@${e.runner}`)).toEqual(['macos-universal@macos-latest', 'linux-arm64@ubuntu-22.04-arm']);
    expect(core.recorded.outputs.version).toBe('2.0.0-beta.3');
    expect(JSON.parse(core.recorded.outputs.platforms!)).toEqual(['darwin-aarch64', 'darwin-x86_64', 'linux-aarch64']);
    expect(core.recorded.summary).toContain('### Release matrix for 2.0.0-beta.3');
  });

  it('a version input wins over the tag, and is written canonically', async () => {
    core.reset({ version: 'v1.4.0' });
    process.env.GITHUB_REF = 'refs/tags/v9.9.9';
    await run();
    expect(core.recorded.outputs.version).toBe('1.4.0');
    expect(JSON.parse(core.recorded.outputs.matrix!).include).toHaveLength(4);
  });

  it('no version and no tag: an empty version and a warning, not a failure', async () => {
    process.env.GITHUB_REF = 'refs/heads/main';
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(core.recorded.outputs.version).toBe('');
    expect(core.warning).toHaveBeenCalledWith(expect.stringContaining('No version: the version input is empty and this run was not started by a tag'));
  });

  it('fails the step on an unknown platform, listing the valid ones, and writes no output', async () => {
    core.reset({ platforms: 'macos-arm64 beos' });
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringMatching(/^Input platforms: unknown platform "beos"\. Valid: macos-arm64 \(darwin-aarch64\), /));
    expect(core.recorded.outputs).toEqual({});
  });

  it('fails on a version input that is not semver', async () => {
    core.reset({ version: '1.2' });
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringContaining('Input version "1.2" is not a semantic version'));
  });
});
