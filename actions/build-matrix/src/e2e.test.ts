/**
 * The committed bundle, run as the runner runs it (actions/shared createJob: INPUT_* variables, real GITHUB_OUTPUT
 * and step summary files). Rebuild with `npm run build:actions build-matrix` after changing src/.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { createJob, type Job } from '../../shared/src/testing.ts';

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));

let job: Job;
beforeAll(async () => {
  job = await createJob();
});
afterAll(() => job.cleanup());

describe('build-matrix dist', () => {
  it('plans four legs for a tag push and writes outputs a workflow can fromJSON', async () => {
    const step = await job.run(DIST, {
      inputs: { platforms: 'macos-arm64, macos-x64\nlinux-x64 windows-x64', 'tauri-args': '--features pro' },
      env: { GITHUB_REF: 'refs/tags/v1.2.3', GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'v1.2.3' },
    });
    expect(step.stderr).toBe('');
    expect(step.code).toBe(0);
    expect(step.outputs.version).toBe('1.2.3');
    const matrix = JSON.parse(step.outputs.matrix!);
    expect(matrix.include).toEqual([
      expect.objectContaining({ name: 'macos-arm64', platform: 'darwin-aarch64', runner: 'macos-latest', target: 'aarch64-apple-darwin', args: '--target aarch64-apple-darwin --features pro' }),
      expect.objectContaining({ name: 'macos-x64', platform: 'darwin-x86_64', runner: 'macos-latest', 'rust-targets': 'x86_64-apple-darwin' }),
      expect.objectContaining({ name: 'linux-x64', platform: 'linux-x86_64', runner: 'ubuntu-22.04', 'updater-bundles': 'appimage,deb,rpm' }),
      expect.objectContaining({ name: 'windows-x64', platform: 'windows-x86_64', runner: 'windows-latest', bundles: 'nsis,msi' }),
    ]);
    expect(JSON.parse(step.outputs.platforms!)).toEqual(['darwin-aarch64', 'darwin-x86_64', 'linux-x86_64', 'windows-x86_64']);
    expect(step.summary).toContain('| linux-x64 | linux-x86_64 | ubuntu-22.04 | `--target x86_64-unknown-linux-gnu --features pro` | appimage,deb,rpm |');
  });

  it('fails with the valid platforms when one is unknown', async () => {
    const step = await job.run(DIST, { inputs: { platforms: 'linux-x64, haiku-x64' } });
    expect(step.code).toBe(1);
    expect(step.errors).toEqual([expect.stringMatching(/^Input platforms: unknown platform "haiku-x64"\. Valid: macos-arm64 \(darwin-aarch64\), .*, or all \(/)]);
    expect(step.outputs).toEqual({});
  });
});
