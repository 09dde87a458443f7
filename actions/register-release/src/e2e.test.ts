/**
 * The committed bundles of upload-r2 and register-release, run as the runner runs them (actions/shared createJob:
 * INPUT_* variables, real GITHUB_OUTPUT/ENV/STATE/STEP_SUMMARY files, exported variables carried to later steps),
 * against the real control plane over HTTP with S3 storage on s3rver and the runner's OIDC token service
 * stand-in. Rebuild with `npm run build:actions register-release` after changing src/.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalControlPlane, type LocalControlPlane } from '../../shared/src/control-plane-testing.ts';
import { createJob, type StepRun } from '../../shared/src/testing.ts';

const REGISTER = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const UPLOAD = fileURLToPath(new URL('../../upload-r2/dist/index.js', import.meta.url));

let cp: LocalControlPlane;
beforeAll(async () => {
  cp = await startLocalControlPlane();
  await cp.createApp('my-app');
}, 60_000);
afterAll(() => cp?.close());

const visible = (step: StepRun) => step.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n');
const tag = { GITHUB_REF: 'refs/tags/v7.0.0', GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'v7.0.0' };

describe('register-release dist', () => {
  it('after upload-r2 in the same job: reuses its credential (one OIDC token per leg), registers; a final job publishes', async () => {
    const leg = await createJob();
    const runner = cp.tokens.job('build (linux-x86_64)');
    const bundle = join(leg.workspace, 'bundle');
    await cp.signedFile(join(bundle, 'deb/my-app_7.0.0_amd64.deb'), randomBytes(50_000), '7.0.0');
    const server = { 'server-url': cp.url, app: 'my-app' };

    const upload = await leg.run(UPLOAD, { inputs: { ...server, platform: 'linux-x86_64', 'bundle-dir': bundle }, env: { ...runner, ...tag } });
    expect(upload.errors).toEqual([]);
    const register = await leg.run(REGISTER, { inputs: { ...server, artifacts: upload.outputs.artifacts!, notes: 'Seven.', channel: 'stable' }, env: { ...runner, ...tag } });
    expect(register.stderr).toBe('');
    expect(register.errors).toEqual([]);
    expect(register.code).toBe(0);
    expect(cp.tokens.minted.filter((t) => t.job === 'build (linux-x86_64)')).toHaveLength(1);
    expect(register.stdout).toContain('Using the CI credential an earlier step exchanged');
    expect(register.outputs).toEqual({
      'release-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'update-url': `${cp.url}/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`,
      status: 'draft',
      version: '7.0.0',
      notes: 'Seven.',
    });
    expect(register.summary).toContain('### Release 7.0.0 of my-app: draft');
    expect(register.summary).toMatch(/\| linux-x86_64 \| deb \| my-app_7\.0\.0_amd64\.deb \| 48\.8 KiB \| `[0-9a-f]{64}` \| ready \| [0-9A-F]{16} \| checked \|/);
    const credential = upload.env.TAURI_RELEASE_CREDENTIAL!;
    // The reused credential is masked again in this step, and never shown.
    expect(register.commands.filter((c) => c.command === 'add-mask').map((c) => c.message)).toContain(credential);
    expect(visible(register)).not.toContain(credential);
    expect(visible(upload)).not.toContain(credential);
    await leg.cleanup();

    const final = await createJob();
    const publish = await final.run(REGISTER, { inputs: { ...server, publish: 'true' }, env: { ...cp.tokens.job('publish'), ...tag } });
    expect(publish.errors).toEqual([]);
    expect(publish.outputs).toMatchObject({ 'release-id': register.outputs['release-id'], status: 'published' });
    expect(publish.summary).toContain('### Release 7.0.0 of my-app: published (published by this step)');
    const minted = cp.tokens.minted.find((t) => t.job === 'publish')!;
    expect(minted.audience).toBe(cp.url);
    expect(visible(publish)).not.toContain(minted.token);
    expect(visible(publish)).not.toContain(publish.env.TAURI_RELEASE_CREDENTIAL!);
    await final.cleanup();
  }, 60_000);

  it('a job without id-token: write and no api-key fails with what to add', async () => {
    const job = await createJob();
    const step = await job.run(REGISTER, { inputs: { 'server-url': cp.url, app: 'my-app', version: '7.0.1' } });
    expect(step.code).toBe(1);
    expect(step.errors).toEqual([expect.stringContaining('add `permissions: id-token: write` to the job, or pass a CI API key as api-key')]);
    expect(step.outputs).toEqual({});
    await job.cleanup();
  });
});
