/**
 * The committed bundle, run as the runner runs it (actions/shared createJob: INPUT_* variables, real GITHUB_OUTPUT,
 * GITHUB_ENV, GITHUB_STATE and GITHUB_STEP_SUMMARY files), against the real control plane over HTTP with S3 storage
 * on s3rver, and the runner's OIDC token service stand-in minting tokens from the local issuer. Rebuild with
 * `npm run build:actions upload-r2` after changing src/.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { open, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalControlPlane, type LocalControlPlane } from '../../shared/src/control-plane-testing.ts';
import { createJob, type Job, type StepRun } from '../../shared/src/testing.ts';
import { startServer } from '../../../test/support/server.ts';
import { sign } from '../../../test/support/tauri.ts';

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const MIB = 1024 * 1024;
const BIG = 96 * MIB;

let cp: LocalControlPlane;

beforeAll(async () => {
  // Parts of 8 MiB above 16 MiB, so the big file goes in 12 presigned parts.
  cp = await startLocalControlPlane({ uploadLimits: { multipartThresholdBytes: 16 * MIB, partSizeBytes: 8 * MIB } });
  await cp.createApp('my-app');
}, 60_000);
afterAll(() => cp?.close());

/** stdout without the `::add-mask::` lines, which must carry the secret for the runner to mask it. */
const visible = (step: StepRun) => step.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n');
const masks = (step: StepRun) => step.commands.filter((c) => c.command === 'add-mask').map((c) => c.message);

/** A file of `size` random-ish bytes written in 1 MiB blocks (never held in memory whole), then signed. */
async function bigSignedFile(path: string, size: number, version: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const handle = await open(path, 'w');
  const block = randomBytes(MIB);
  for (let offset = 0; offset < size; offset += MIB) {
    block.writeUInt32LE(offset / MIB, 0);
    await handle.write(block, 0, Math.min(MIB, size - offset));
  }
  await handle.close();
  await sign(path, cp.key, version);
}

describe('upload-r2 dist', () => {
  let job: Job;
  beforeAll(async () => {
    job = await createJob();
  });
  afterAll(() => job.cleanup());

  it('presigned: a 96 MiB AppImage in parts with flat memory, a deb in one PUT; masked credential passed on; outputs and summary', async () => {
    // The memory of a step that uploads 300 KB, to compare with.
    const small = join(job.workspace, 'small');
    await cp.signedFile(join(small, 'deb/my-app_3.9.0_amd64.deb'), randomBytes(300_000), '3.9.0');
    const baseline = await job.run(DIST, {
      inputs: { 'server-url': cp.url, app: 'my-app', version: '3.9.0', platform: 'linux-x86_64', 'bundle-dir': small, 'api-key': await cp.ciApiKey('my-app') },
    });
    expect(baseline.errors).toEqual([]);
    const rssOf = (step: StepRun) => Number(/::debug::peak memory: max RSS (\d+) MiB/.exec(step.stdout)?.[1]);

    const bundle = join(job.workspace, 'src-tauri/target/x86_64-unknown-linux-gnu/release/bundle');
    await bigSignedFile(join(bundle, 'appimage/my-app_4.0.0_amd64.AppImage'), BIG, '4.0.0');
    await cp.signedFile(join(bundle, 'deb/my-app_4.0.0_amd64.deb'), randomBytes(300_000), '4.0.0');
    await cp.signedFile(join(bundle, 'rpm/my-app-4.0.0-1.x86_64.rpm'), randomBytes(1000), '4.0.0');
    const { rm } = await import('node:fs/promises');
    await rm(join(bundle, 'rpm/my-app-4.0.0-1.x86_64.rpm.sig'));

    const step = await job.run(DIST, {
      // bundle-dir empty: found under the workspace for this platform's triple.
      inputs: { 'server-url': cp.url, app: 'my-app', platform: 'linux-x86_64', concurrency: '3' },
      env: { ...cp.tokens.job('build (linux-x86_64)'), GITHUB_REF: 'refs/tags/v4.0.0', GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'v4.0.0' },
      timeoutMs: 120_000,
    });
    expect(step.stderr).toBe('');
    expect(step.errors).toEqual([]);
    expect(step.code).toBe(0);

    const artifacts = JSON.parse(step.outputs.artifacts!);
    expect(artifacts.map((a: { file_name: string; size: number }) => [a.file_name, a.size])).toEqual([
      ['my-app_4.0.0_amd64.AppImage', BIG],
      ['my-app_4.0.0_amd64.deb', 300_000],
    ]);
    expect(step.stdout).toContain('my-app_4.0.0_amd64.AppImage (linux-x86_64): 96.0 MiB in 12 parts of 8.0 MiB, 3 at a time');
    expect(step.stdout).toMatch(/my-app_4\.0\.0_amd64\.AppImage \(linux-x86_64\): uploaded 96\.0 MiB in [\d.]+ s/);
    expect(step.stdout).toContain('Not uploaded: my-app-4.0.0-1.x86_64.rpm: no .sig beside it');

    // Parts stream from disk: 96 MiB more to send costs a few MiB of garbage buffers, never the file.
    expect(rssOf(baseline)).toBeGreaterThan(0);
    expect(rssOf(step) - rssOf(baseline)).toBeLessThan(BIG / MIB / 2);

    // One OIDC token, requested with the server URL as audience, masked; the credential masked and passed on.
    expect(cp.tokens.minted).toHaveLength(1);
    expect(cp.tokens.minted[0]).toMatchObject({ job: 'build (linux-x86_64)', audience: cp.url });
    const credential = step.env.TAURI_RELEASE_CREDENTIAL!;
    expect(credential).toMatch(/^trci_/);
    expect(masks(step)).toEqual(expect.arrayContaining([cp.tokens.minted[0]!.token, credential]));
    for (const secret of [credential, cp.tokens.minted[0]!.token]) {
      expect(visible(step)).not.toContain(secret);
      expect(step.summary).not.toContain(secret);
    }

    expect(step.summary).toContain('### Uploaded 2 artifacts of my-app 4.0.0');
    expect(step.summary).toContain(`| my-app_4.0.0_amd64.AppImage | linux-x86_64 | appimage | 96.0 MiB | \`${artifacts[0].sha256}\` | presigned multipart (12 parts), `);
    expect(step.summary).toContain('- my-app-4.0.0-1.x86_64.rpm: no .sig beside it');

    const release = (await cp.admin('GET', '/admin/apps/my-app/releases/4.0.0')).body;
    expect(release.artifacts.map((a: { file_name: string; sha256: string }) => [a.file_name, a.sha256]).sort()).toEqual(artifacts.map((a: { file_name: string; sha256: string }) => [a.file_name, a.sha256]));
  }, 180_000);

  it('mode s3 with the bucket\'s credentials (masked); a wrong-version build fails before any byte is sent', async () => {
    const bundle = join(job.workspace, 'win/bundle');
    await cp.signedFile(join(bundle, 'nsis/My App_4.1.0_x64-setup.exe'), randomBytes(70_000), '4.1.0');
    const step = await job.run(DIST, {
      inputs: {
        'server-url': cp.url,
        app: 'my-app',
        version: 'v4.1.0',
        platform: 'windows-x86_64',
        'bundle-dir': bundle,
        mode: 's3',
        's3-endpoint': cp.s3.endpoint,
        's3-bucket': cp.s3.bucket,
        's3-access-key-id': cp.s3.config.accessKeyId,
        's3-secret-access-key': cp.s3.config.secretAccessKey,
      },
      env: cp.tokens.job('build (windows-x86_64)'),
    });
    expect(step.errors).toEqual([]);
    expect(step.code).toBe(0);
    expect(masks(step)).toEqual(expect.arrayContaining([cp.s3.config.secretAccessKey]));
    expect(step.summary).toContain('Directly to s3://artifacts at');
    expect(step.summary).toContain('| My App_4.1.0_x64-setup.exe | windows-x86_64 | nsis | 68.4 KiB |');
    expect(JSON.parse(step.outputs.artifacts!)).toEqual([expect.objectContaining({ file_name: 'My App_4.1.0_x64-setup.exe', bundle: 'nsis' })]);

    const wrong = await job.run(DIST, {
      inputs: { 'server-url': cp.url, app: 'my-app', version: '4.1.1', platform: 'windows-x86_64', 'bundle-dir': bundle },
      env: cp.tokens.job('build (windows-x86_64) again'),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.errors).toEqual([expect.stringContaining('My App_4.1.0_x64-setup.exe was built and signed for version 4.1.0, but this release is 4.1.1')]);
  }, 60_000);

  it('against `npm start` with filesystem storage and an API key: the server\'s own upload URL, then register-release publishes', async () => {
    const server = await startServer();
    try {
      const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await server.admin('/admin/apps', json({ slug: 'local-app', name: 'Local', public_key: cp.key.publicKey }))).status).toBe(201);
      const bundle = join(job.workspace, 'local/bundle');
      await cp.signedFile(join(bundle, 'appimage/local_0.9.0_amd64.AppImage'), randomBytes(2 * MIB), '0.9.0');
      const inputs = { 'server-url': server.url, app: 'local-app', version: '0.9.0', 'api-key': server.adminToken };
      const upload = await job.run(DIST, { inputs: { ...inputs, platform: 'linux-x86_64', 'bundle-dir': bundle } });
      expect(upload.errors).toEqual([]);
      expect(upload.stdout).toContain('local_0.9.0_amd64.AppImage (linux-x86_64): 2.0 MiB in one PUT');
      expect(masks(upload)).toContain(server.adminToken);
      expect(visible(upload)).not.toContain(server.adminToken);
      expect(upload.env).toEqual({}); // an API key is not passed on: later steps get it as an input too
      const register = await job.run(fileURLToPath(new URL('../../register-release/dist/index.js', import.meta.url)), {
        inputs: { ...inputs, artifacts: upload.outputs.artifacts!, publish: 'true' },
      });
      expect(register.errors).toEqual([]);
      expect(register.outputs).toMatchObject({ status: 'published', 'update-url': `${server.url}/update/local-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}` });
    } finally {
      await server.stop();
    }
  }, 120_000);
});
