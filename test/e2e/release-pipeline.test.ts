/**
 * A whole release, end to end, with real parts only:
 *
 * - the control plane as `npm start` runs it (child process, PGlite) with its artifacts in a real S3 server
 *   (@20minutes/s3rver), trusting a local GitHub Actions OIDC issuer, and an app with a public key from the real
 *   Tauri signer and a trusted publisher for octo-org/octo-repo's release.yml;
 * - the bundled actions (dist/) run as the runner runs them: INPUT_* variables, real GITHUB_OUTPUT, GITHUB_ENV,
 *   GITHUB_STATE and GITHUB_STEP_SUMMARY files, and a stand-in for the runner's token service
 *   (ACTIONS_ID_TOKEN_REQUEST_URL) minting tokens from the test issuer;
 * - a plan job (build-matrix) for four platforms, then the four legs in parallel, each upload-r2 then
 *   register-release on bundle folders laid out as `tauri build` leaves them, holding files signed by the real
 *   signer with `--app-version` (one leg uploads straight to S3, the others through presigned URLs; the Linux
 *   AppImage is large enough for presigned multipart), then a publish job;
 * - finally a Tauri v2 client of each platform and bundle type (test/support/tauri.ts: URL building, JSON rules,
 *   platform lookup) checks for the update from 1.0.0, downloads it and verifies it with Debian minisign.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJob, type Job, type StepRun } from '../../actions/shared/src/testing.ts';
import { type ActionsTokenServer, startActionsTokenServer } from '../support/actions-token-server.ts';
import { type FakeMacos, installFakeMacos } from '../support/fake-macos/index.ts';
import { type LocalIssuer, startLocalIssuer, TEST_AUDIENCE } from '../support/oidc-issuer.ts';
import { type RunningS3rver, s3rverStorageEnv, startS3rver } from '../support/s3rver.ts';
import { type RunningServer, startServer } from '../support/server.ts';
import { checkForUpdate, type ClientPlatform, downloadAndVerify, generateKeyPair, hasMinisign, type KeyPair, sign } from '../support/tauri.ts';

const dist = (action: string) => fileURLToPath(new URL(`../../actions/${action}/dist/index.js`, import.meta.url));
const BUILD_MATRIX = dist('build-matrix');
const UPLOAD = dist('upload-r2');
const REGISTER = dist('register-release');

const VERSION = '1.2.3';
const MIB = 1024 * 1024;
/** Above the server's 64 MiB multipart threshold: 5 presigned parts of 16 MiB. */
const APPIMAGE_BYTES = 70 * MIB;
const TAG = { GITHUB_REF: `refs/tags/v${VERSION}`, GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: `v${VERSION}`, GITHUB_REPOSITORY: 'octo-org/octo-repo' };
const NOTES = 'Faster startup; dark mode.';

const minisign = await hasMinisign();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** stdout without the `::add-mask::` lines, which must carry each secret for the runner to mask it. */
const visible = (step: StepRun) => step.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n');

interface MatrixEntry { name: string; platform: string; os: string; target: string; runner: string; args: string }

/** Where each leg's bundles are, as `tauri build --target <triple>` leaves them, relative to the workspace. */
const BUNDLE_FILES: Record<string, Record<string, number | 'unsigned'>> = {
  'darwin-aarch64': { 'macos/My App.app.tar.gz': 300_000, 'dmg/My App_1.2.3_aarch64.dmg': 'unsigned' },
  'darwin-x86_64': { 'macos/My App.app.tar.gz': 310_000, 'dmg/My App_1.2.3_x64.dmg': 'unsigned' },
  'linux-x86_64': { 'appimage/my-app_1.2.3_amd64.AppImage': APPIMAGE_BYTES, 'deb/my-app_1.2.3_amd64.deb': 400_000 },
  'windows-x86_64': { 'nsis/My App_1.2.3_x64-setup.exe': 500_000, 'msi/My App_1.2.3_x64_en-US.msi': 510_000 },
};

/** Each client, the artifact it must be offered, and the file that was built for it. */
const CLIENTS: Array<{ client: Omit<ClientPlatform, 'currentVersion'>; platform: string; file: string; uploadedAs: string }> = [
  { client: { target: 'darwin', arch: 'aarch64', bundleType: 'app' }, platform: 'darwin-aarch64', file: 'macos/My App.app.tar.gz', uploadedAs: 'My App_aarch64.app.tar.gz' },
  { client: { target: 'darwin', arch: 'x86_64', bundleType: 'app' }, platform: 'darwin-x86_64', file: 'macos/My App.app.tar.gz', uploadedAs: 'My App_x64.app.tar.gz' },
  { client: { target: 'linux', arch: 'x86_64', bundleType: 'appimage' }, platform: 'linux-x86_64', file: 'appimage/my-app_1.2.3_amd64.AppImage', uploadedAs: 'my-app_1.2.3_amd64.AppImage' },
  { client: { target: 'linux', arch: 'x86_64', bundleType: 'deb' }, platform: 'linux-x86_64', file: 'deb/my-app_1.2.3_amd64.deb', uploadedAs: 'my-app_1.2.3_amd64.deb' },
  { client: { target: 'windows', arch: 'x86_64', bundleType: 'nsis' }, platform: 'windows-x86_64', file: 'nsis/My App_1.2.3_x64-setup.exe', uploadedAs: 'My App_1.2.3_x64-setup.exe' },
  { client: { target: 'windows', arch: 'x86_64', bundleType: 'msi' }, platform: 'windows-x86_64', file: 'msi/My App_1.2.3_x64_en-US.msi', uploadedAs: 'My App_1.2.3_x64_en-US.msi' },
];

/** Writes `size` bytes in 1 MiB blocks (never all in memory) and returns their sha256. */
async function writeBundle(path: string, size: number): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  const block = randomBytes(MIB);
  for (let offset = 0; offset < size; offset += MIB) {
    block.writeUInt32LE(offset / MIB, 0);
    const piece = block.subarray(0, Math.min(MIB, size - offset));
    hash.update(piece);
    await handle.write(piece);
  }
  await handle.close();
  return hash.digest('hex');
}

(minisign ? describe : describe.skip)(
  `a four-platform release through the bundled actions${minisign ? '' : ' — SKIPPED: Debian minisign is not installed (run .ci/system-packages.sh)'}`,
  () => {
    let dir: string;
    let s3: RunningS3rver;
    let issuer: LocalIssuer;
    let tokens: ActionsTokenServer;
    let server: RunningServer;
    let key: KeyPair;
    const jobs: Job[] = [];
    /** sha256 of each built file, by `<platform>/<path>`. */
    const built = new Map<string, string>();

    let plan: StepRun;
    let matrix: { include: MatrixEntry[] };
    const legs = new Map<string, { upload: StepRun; register: StepRun }>();
    let publish: StepRun;

    const newJob = async () => {
      const job = await createJob();
      jobs.push(job);
      return job;
    };

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'release-pipeline-'));
      [s3, issuer, key] = await Promise.all([startS3rver(), startLocalIssuer({ audience: TEST_AUDIENCE }), generateKeyPair(dir)]);
      tokens = await startActionsTokenServer(issuer);
      server = await startServer({
        env: {
          ...s3rverStorageEnv(s3),
          OIDC_ISSUER: issuer.url,
          OIDC_AUDIENCE: TEST_AUDIENCE,
        },
      });
      const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      for (const [path, body] of [
        ['/admin/apps', { slug: 'my-app', name: 'My App', public_key: key.publicKey }],
        ['/admin/apps/my-app/publishers', { repository: 'octo-org/octo-repo', repository_id: '74', repository_owner_id: '65', workflow: 'release.yml', allowed_refs: ['refs/tags/v*'], can_publish: true }],
      ] as const) {
        const res = await server.admin(path, json(body));
        if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      }
    }, 120_000);

    afterAll(async () => {
      await Promise.all(jobs.map((job) => job.cleanup()));
      await server?.stop();
      await Promise.all([tokens?.close(), issuer?.close(), s3?.close()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('plans four legs from the tag', async () => {
      plan = await (await newJob()).run(BUILD_MATRIX, { inputs: { platforms: 'macos-arm64, macos-x64, linux-x64, windows-x64' }, env: TAG });
      expect(plan.errors).toEqual([]);
      expect(plan.outputs.version).toBe(VERSION);
      matrix = JSON.parse(plan.outputs.matrix!);
      expect(matrix.include.map((e) => `${e.platform}@${e.runner}`)).toEqual(['darwin-aarch64@macos-latest', 'darwin-x86_64@macos-latest', 'linux-x86_64@ubuntu-22.04', 'windows-x86_64@windows-latest']);
    });

    it('runs the four legs in parallel: each uploads its bundles and registers them into one draft', async () => {
      await Promise.all(
        matrix.include.map(async (entry) => {
          const job = await newJob();
          const bundleDir = join(job.workspace, 'src-tauri', 'target', entry.target, 'release', 'bundle');
          for (const [path, size] of Object.entries(BUNDLE_FILES[entry.platform]!)) {
            const file = join(bundleDir, path);
            built.set(`${entry.platform}/${path}`, await writeBundle(file, size === 'unsigned' ? 200_000 : size));
            if (size !== 'unsigned') await sign(file, key, plan.outputs.version);
          }
          // The Apple Silicon leg runs on a (fake) Mac where notarize-dmg has stapled the DMG; the Intel leg has no
          // xcrun, so its DMG is skipped with the reason.
          let mac: FakeMacos | null = null;
          if (entry.platform === 'darwin-aarch64') {
            mac = await installFakeMacos();
            const dmg = join(bundleDir, 'dmg/My App_1.2.3_aarch64.dmg');
            const state = await mac.state();
            await writeFile(join(mac.dir, 'state.json'), JSON.stringify({ ...state, signatures: { [dmg]: 'Developer ID Application: Octo Org (TEAM123456)' }, stapled: [dmg] }));
          }
          // The runner gives each job its own token service URL and request token; steps of a job share them.
          const env = { ...tokens.job(`build (${entry.platform})`), ...TAG, RUNNER_OS: entry.os };
          const server_ = { 'server-url': server.url, app: 'my-app', audience: TEST_AUDIENCE };
          const s3Mode: Record<string, string> =
            entry.platform === 'windows-x86_64'
              ? { mode: 's3', 's3-endpoint': s3.endpoint, 's3-bucket': s3.bucket, 's3-access-key-id': s3.config.accessKeyId, 's3-secret-access-key': s3.config.secretAccessKey }
              : {};
          const upload = await job.run(UPLOAD, {
            inputs: { ...server_, version: plan.outputs.version!, platform: entry.platform, 'bundle-dir': bundleDir, ...s3Mode },
            env,
            timeoutMs: 180_000,
            ...(mac ? { pathPrepend: [mac.binDir] } : {}),
          });
          await mac?.cleanup();
          const register = await job.run(REGISTER, {
            inputs: { ...server_, version: plan.outputs.version!, artifacts: upload.outputs.artifacts ?? '', notes: NOTES, publish: 'false' },
            env,
          });
          legs.set(entry.platform, { upload, register });
        }),
      );

      for (const [platform, { upload, register }] of legs) {
        for (const step of [upload, register]) {
          expect({ platform, errors: step.errors, stderr: step.stderr, code: step.code }).toEqual({ platform, errors: [], stderr: '', code: 0 });
        }
      }
      // One release for all legs, still a draft, and the update URL to put in tauri.conf.json.
      const releaseIds = new Set([...legs.values()].map((leg) => leg.register.outputs['release-id']));
      expect(releaseIds.size).toBe(1);
      for (const { register } of legs.values()) {
        expect(register.outputs).toEqual({
          'release-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
          'update-url': `${server.url}/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`,
          status: 'draft',
          version: VERSION,
          // Handed on to later steps (github-release) as the release's notes.
          notes: NOTES,
        });
      }

      const linux = legs.get('linux-x86_64')!;
      expect(linux.upload.stdout).toContain('my-app_1.2.3_amd64.AppImage (linux-x86_64): 70.0 MiB in 5 parts of 16.0 MiB, 4 at a time');
      expect(linux.upload.summary).toContain(`| my-app_1.2.3_amd64.AppImage | linux-x86_64 | appimage | 70.0 MiB | \`${built.get('linux-x86_64/appimage/my-app_1.2.3_amd64.AppImage')}\` | presigned multipart (5 parts), `);
      expect(linux.upload.summary).toContain(`| my-app_1.2.3_amd64.deb | linux-x86_64 | deb | 390.6 KiB | \`${built.get('linux-x86_64/deb/my-app_1.2.3_amd64.deb')}\` | presigned PUT, `);
      const mac = legs.get('darwin-aarch64')!;
      expect(mac.upload.summary).toContain(`| My App_aarch64.app.tar.gz | darwin-aarch64 | app | 293.0 KiB | \`${built.get('darwin-aarch64/macos/My App.app.tar.gz')}\` | presigned PUT, `);
      expect(mac.upload.summary).toContain(`| My App_1.2.3_aarch64.dmg | darwin-aarch64 | dmg (installer) | 195.3 KiB | \`${built.get('darwin-aarch64/dmg/My App_1.2.3_aarch64.dmg')}\` | presigned PUT, `);
      expect(legs.get('darwin-x86_64')!.upload.summary).toContain('- My App_1.2.3_x64.dmg: not checked for notarization: xcrun is not on this runner');
      const windows = legs.get('windows-x86_64')!;
      expect(windows.upload.summary).toContain('| My App_1.2.3_x64-setup.exe | windows-x86_64 | nsis | 488.3 KiB |');
      expect(windows.upload.summary).toContain('| S3 PUT, ');
      // In mode s3 the files are registered by register-release; in presigned mode they were ready after upload.
      expect(windows.register.summary).toMatch(/\| windows-x86_64 \| msi \| My App_1\.2\.3_x64_en-US\.msi \| 498\.0 KiB \| `[0-9a-f]{64}` \| ready \| [0-9A-F]{16} \| registered \|/);
      expect(linux.register.summary).toMatch(/\| linux-x86_64 \| appimage \| my-app_1\.2\.3_amd64\.AppImage \| 70\.0 MiB \| `[0-9a-f]{64}` \| ready \| [0-9A-F]{16} \| checked \|/);

      // One OIDC token per leg (register-release reuses upload-r2's credential), each with the server's audience.
      expect(tokens.minted.map((t) => t.job).sort()).toEqual(['build (darwin-aarch64)', 'build (darwin-x86_64)', 'build (linux-x86_64)', 'build (windows-x86_64)']);
      expect(new Set(tokens.minted.map((t) => t.audience))).toEqual(new Set([TEST_AUDIENCE]));
      expect(tokens.refused).toBe(0);
    }, 300_000);

    it('publishes once from a final job', async () => {
      publish = await (await newJob()).run(REGISTER, {
        inputs: { 'server-url': server.url, app: 'my-app', audience: TEST_AUDIENCE, version: plan.outputs.version!, publish: 'true' },
        env: { ...tokens.job('publish'), ...TAG },
      });
      expect(publish.errors).toEqual([]);
      expect(publish.outputs).toEqual({
        'release-id': legs.get('linux-x86_64')!.register.outputs['release-id'],
        'update-url': `${server.url}/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`,
        status: 'published',
        version: VERSION,
        notes: NOTES,
      });
      expect(publish.summary).toContain('### Release 1.2.3 of my-app: published (published by this step)');
      for (const { uploadedAs, platform, client } of CLIENTS) expect(publish.summary).toContain(`| ${platform} | ${client.bundleType} | ${uploadedAs} |`);
    });

    it('the stapled DMG is in storage, never an update, and the latest link redirects to it', async () => {
      const latest = await fetch(`${server.url}/download/my-app/latest/darwin-aarch64?bundle=dmg`, { redirect: 'manual' });
      expect(latest.status).toBe(302);
      expect(latest.headers.get('location')).toBe(`${server.url}/download/my-app/1.2.3/My%20App_1.2.3_aarch64.dmg`);
      const file = await fetch(latest.headers.get('location')!);
      expect(sha256(new Uint8Array(await file.arrayBuffer()))).toBe(built.get('darwin-aarch64/dmg/My App_1.2.3_aarch64.dmg'));
      expect((await fetch(`${server.url}/download/my-app/latest/darwin-x86_64`)).status).toBe(404);
    });

    it.each(CLIENTS)('a $client.target/$client.arch $client.bundleType client on 1.0.0 gets $uploadedAs and minisign verifies it', async ({ client, platform, file, uploadedAs }) => {
      const endpoint = publish.outputs['update-url']!;
      const outcome = await checkForUpdate(endpoint, { ...client, currentVersion: '1.0.0' });
      if (outcome.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(outcome)}`);
      const { update } = outcome;
      expect(update.endpoint).toBe(`${server.url}/update/my-app/${client.target}/${client.arch}/1.0.0?bundle_type=${client.bundleType}`);
      expect(update).toMatchObject({ version: VERSION, notes: NOTES });
      expect(decodeURIComponent(new URL(update.url).pathname)).toContain(uploadedAs);
      const { bytes, verdict } = await downloadAndVerify(update, key.publicKey, { requireSignedVersion: true });
      expect(sha256(bytes)).toBe(built.get(`${platform}/${file}`));
      expect(verdict).toMatchObject({ ok: true, signedVersion: VERSION });
    }, 60_000);

    it('no secret reached a log: OIDC tokens, credentials and the S3 secret appear only in ::add-mask:: lines', () => {
      const steps = [plan, ...[...legs.values()].flatMap((leg) => [leg.upload, leg.register]), publish];
      const credentials = steps.map((step) => step.env.TAURI_RELEASE_CREDENTIAL).filter((value): value is string => Boolean(value));
      expect(credentials).toHaveLength(5); // each leg's upload-r2 and the publish job exchanged one
      const secrets = [...tokens.minted.map((t) => t.token), ...credentials, s3.config.secretAccessKey];
      const masked = new Set(steps.flatMap((step) => step.commands.filter((c) => c.command === 'add-mask').map((c) => c.message)));
      for (const credential of credentials) expect(masked).toContain(credential);
      for (const token of tokens.minted) expect(masked).toContain(token.token);
      for (const step of steps) {
        for (const secret of secrets) {
          expect(visible(step)).not.toContain(secret);
          expect(step.stderr).not.toContain(secret);
          expect(step.summary).not.toContain(secret);
          expect(JSON.stringify(step.outputs)).not.toContain(secret);
        }
      }
      expect(server.output()).not.toMatch(/trci_[A-Za-z0-9_-]{20,}/);
    });
  },
);
