/**
 * `tauri-release upload` as a child process against the real server, with bundles signed by the real Tauri signer:
 *
 * - a `tauri build` bundle folder (AppImage, deb, a macOS archive named without its architecture, an unsigned rpm,
 *   a DMG) uploaded and published, and then served to the updater with the same bytes and signature;
 * - refusals before anything is sent: a .sig made with another key (key_id_mismatch), for another version, or over
 *   other bytes; nothing reaches the server (no release, no audit entry);
 * - a refusal by the server (a CI key may upload but not publish), --dry-run, an idempotent re-run;
 * - with S3 storage (s3rver) behind a proxy that breaks one part's PUT: a 70 MiB bundle goes up in presigned
 *   multipart parts, the broken part is sent again on its own, and the server verifies the assembled object.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type RunningS3rver, startS3rver } from '../support/s3rver.ts';
import { type RunningServer, startServer } from '../support/server.ts';
import { generateTauriKey, type TauriKey, tauriSign } from '../support/tauri-signer.ts';
import { cli, type CliOptions, errorLine } from './run-cli.ts';

const MIB = 1024 * 1024;
let server: RunningServer;
let dir: string;
let key: TauriKey;
let otherKey: TauriKey;

const envOf = (target: RunningServer, token = target.adminToken) => ({ TAURI_RELEASE_URL: target.url, TAURI_RELEASE_KEY: token, XDG_CONFIG_HOME: join(dir, 'no-config') });
const run = (args: readonly string[], options: CliOptions = {}) => cli(args, { ...options, env: { ...envOf(server), ...options.env } });
const auditCount = async (target = server) => ((await (await target.admin('/admin/audit?limit=200')).json()) as { entries: unknown[] }).entries.length;
const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Writes `bytes` (a size: patterned bytes) at `path` and, unless `unsigned`, its `.sig` from the real signer. */
async function bundleFile(path: string, size: number, version: string | null, signer: TauriKey | null = key): Promise<Buffer> {
  await mkdir(dirname(path), { recursive: true });
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) bytes.writeUInt32LE((i * 2654435761) >>> 0, i);
  await writeFile(path, bytes);
  if (signer) await tauriSign(signer, path, version ?? undefined);
  return bytes;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-upload-'));
  [server, key, otherKey] = await Promise.all([startServer(), generateTauriKey(dir, 'updater.key'), generateTauriKey(dir, 'other.key')]);
  expect((await server.admin('/admin/apps', json({ slug: 'my-app', name: 'My App', public_key: key.publicKey }))).status).toBe(201);
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a tauri build bundle folder', () => {
  let bundle: string;
  let appImage: Buffer;

  beforeAll(async () => {
    bundle = join(dir, 'target', 'release', 'bundle');
    appImage = await bundleFile(join(bundle, 'appimage', 'my-app_2.0.0_amd64.AppImage'), 300_000, '2.0.0');
    await bundleFile(join(bundle, 'deb', 'my-app_2.0.0_amd64.deb'), 120_000, '2.0.0');
    await bundleFile(join(bundle, 'macos', 'My App.app.tar.gz'), 90_000, '2.0.0');
    await bundleFile(join(bundle, 'rpm', 'my-app-2.0.0-1.x86_64.rpm'), 80_000, null, null);
    await bundleFile(join(bundle, 'dmg', 'My App_2.0.0_aarch64.dmg'), 70_000, null, null);
  });

  it('a macOS archive without an architecture in its name needs --platform (exit 2), and nothing is sent', async () => {
    const result = await run(['upload', bundle, '--app', 'my-app', '--version', '2.0.0']);
    expect(result.code).toBe(2);
    expect(errorLine(result)).toBe('error: usage: My App.app.tar.gz does not say which architecture it is for: pass --platform darwin-<arch> (e.g. darwin-aarch64)');
    expect((await server.admin('/admin/apps/my-app/releases/2.0.0')).status).toBe(404);
  });

  it('--dry-run verifies and prints every request, and creates nothing', async () => {
    const before = await auditCount();
    const result = await run(['upload', bundle, '--app', 'my-app', '--version', '2.0.0', '--platform', 'darwin-aarch64', '--publish', '--dry-run', '--json']);
    expect(result.code).toBe(0);
    const plan = result.json<{ requests: { method: string; url: string; body?: { file_name?: string } }[] }>().requests;
    expect(plan.map((r) => `${r.method} ${r.url.replace(server.url, '')}`)).toEqual([
      'POST /ci/apps/my-app/releases',
      ...['My App_aarch64.app.tar.gz', 'my-app_2.0.0_amd64.AppImage', 'my-app_2.0.0_amd64.deb'].flatMap(() => [
        'POST /ci/apps/my-app/releases/2.0.0/uploads',
        'PUT (the upload URL the server answers with)',
        'POST /ci/apps/my-app/releases/2.0.0/uploads/%7Bupload_id%7D/complete',
      ]),
      'POST /admin/apps/my-app/releases/2.0.0/publish',
    ]);
    expect(plan.filter((r) => r.body?.file_name).map((r) => r.body!.file_name)).toEqual(['My App_aarch64.app.tar.gz', 'my-app_2.0.0_amd64.AppImage', 'my-app_2.0.0_amd64.deb']);
    expect(result.stderr).toContain('verified 3 signature(s)');
    expect((await server.admin('/admin/apps/my-app/releases/2.0.0')).status).toBe(404);
    expect(await auditCount()).toBe(before);
  });

  it('uploads, registers and publishes; the updater then serves the same bytes and signature', async () => {
    const result = await run(['upload', bundle, '--app', 'my-app', '--version', '2.0.0', '--platform', 'darwin-aarch64', '--notes', 'Dark mode.', '--publish', '--json']);
    expect(result.code).toBe(0);
    const body = result.json<{ status: string; artifacts: { file_name: string; platform: string; bundle: string; how: string }[]; skipped: { path: string; reason: string }[] }>();
    expect(body.status).toBe('published');
    expect(body.artifacts.map((a) => [a.file_name, a.platform, a.bundle])).toEqual([
      ['My App_aarch64.app.tar.gz', 'darwin-aarch64', 'app'],
      ['my-app_2.0.0_amd64.AppImage', 'linux-x86_64', 'appimage'],
      ['my-app_2.0.0_amd64.deb', 'linux-x86_64', 'deb'],
    ]);
    expect(body.skipped.map((s) => s.path.split('/').pop())).toEqual(['My App_2.0.0_aarch64.dmg', 'my-app-2.0.0-1.x86_64.rpm']);
    expect(result.stderr).toMatch(/not uploaded: .*my-app-2\.0\.0-1\.x86_64\.rpm: no \.sig beside it/);
    expect(result.stderr).toContain('verified by the server');

    const update = await fetch(`${server.url}/update/my-app/linux/x86_64/1.0.0?bundle_type=appimage`);
    expect(update.status).toBe(200);
    const offered = (await update.json()) as { version: string; notes: string; url: string; signature: string };
    expect(offered).toMatchObject({ version: '2.0.0', notes: 'Dark mode.' });
    expect(offered.signature).toBe((await readFile(join(bundle, 'appimage', 'my-app_2.0.0_amd64.AppImage.sig'), 'utf8')).trim());
    expect(sha256(new Uint8Array(await (await fetch(offered.url)).arrayBuffer()))).toBe(sha256(appImage));
  });

  it('a re-run sends nothing again (same sha256)', async () => {
    const result = await run(['upload', join(bundle, 'appimage'), '--app', 'my-app', '--version', '2.0.0']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/my-app_2\.0\.0_amd64\.AppImage +linux-x86_64 +appimage +293\.0 KiB +already uploaded \(same sha256\)/);
    expect(result.stdout).toContain('release 2.0.0 of my-app is published');
  });
});

describe('refused before anything is sent', () => {
  it('a .sig made with another key: key_id_mismatch (exit 1), no release, no audit entry', async () => {
    const file = join(dir, 'wrong-key', 'my-app_3.0.0_amd64.AppImage');
    await bundleFile(file, 100_000, '3.0.0', otherKey);
    const before = await auditCount();
    const result = await run(['upload', file, '--app', 'my-app', '--version', '3.0.0', '--publish']);
    expect(result.code).toBe(1);
    expect(errorLine(result)).toMatch(/^error: key_id_mismatch: artifact my-app_3\.0\.0_amd64\.AppImage \(linux-x86_64\) refused by rule "key_id_mismatch": signed with key [0-9A-F]{16} but the app's public key is [0-9A-F]{16}: .*; nothing was uploaded$/);
    expect((await server.admin('/admin/apps/my-app/releases/3.0.0')).status).toBe(404);
    expect(await auditCount()).toBe(before);
  });

  it('one bad file among good ones stops them all', async () => {
    const folder = join(dir, 'mixed');
    await bundleFile(join(folder, 'my-app_3.1.0_amd64.AppImage'), 100_000, '3.1.0');
    await bundleFile(join(folder, 'my-app_3.1.0_amd64.deb'), 100_000, '3.0.9');
    const result = await run(['upload', folder, '--app', 'my-app', '--version', '3.1.0']);
    expect(result.code).toBe(1);
    expect(errorLine(result)).toMatch(/^error: signed_version_mismatch: artifact my-app_3\.1\.0_amd64\.deb \(linux-x86_64\) refused by rule "signed_version_mismatch": the artifact was signed for version "3\.0\.9" but the release is "3\.1\.0"/);
    expect((await server.admin('/admin/apps/my-app/releases/3.1.0')).status).toBe(404);
  });

  it('bytes changed after signing: invalid_signature', async () => {
    const file = join(dir, 'tampered', 'my-app_3.2.0_amd64.AppImage');
    await bundleFile(file, 100_000, '3.2.0');
    await writeFile(file, Buffer.alloc(100_000, 1));
    const result = await run(['upload', file, '--app', 'my-app', '--version', '3.2.0']);
    expect(result.code).toBe(1);
    expect(errorLine(result)).toMatch(/^error: invalid_signature: /);
  });
});

describe('refused by the server', () => {
  it('a CI key uploads the draft, and its --publish is refused (exit 1, the server\'s code)', async () => {
    const created = (await (await server.admin('/admin/keys', json({ name: 'ci', scope: 'ci', app: 'my-app' }))).json()) as { key: string };
    const file = join(dir, 'ci', 'my-app_4.0.0_amd64.AppImage');
    await bundleFile(file, 60_000, '4.0.0');
    const result = await run(['upload', file, '--app', 'my-app', '--version', '4.0.0', '--publish'], { env: { TAURI_RELEASE_KEY: created.key } });
    expect(result.code).toBe(1);
    expect(errorLine(result)).toMatch(/^error: forbidden: /);
    expect(result.stderr).not.toContain(created.key);
    const release = (await (await server.admin('/admin/apps/my-app/releases/4.0.0')).json()) as { status: string; artifacts: { verified_key_id: string | null }[] };
    expect(release.status).toBe('draft');
    expect(release.artifacts).toHaveLength(1);
    expect(release.artifacts[0]!.verified_key_id).not.toBeNull();
  });

  it('new bytes for a published release: refused, naming the files (exit 1)', async () => {
    const file = join(dir, 'late', 'my-app_2.0.0_amd64.AppImage');
    await bundleFile(file, 10_000, '2.0.0');
    const result = await run(['upload', file, '--app', 'my-app', '--version', '2.0.0']);
    expect(result.code).toBe(1);
    expect(errorLine(result)).toMatch(/^error: upload_refused: Release 2\.0\.0 is already published.*my-app_2\.0\.0_amd64\.AppImage \(linux-x86_64\)/);
  });
});

describe('with S3 storage: multipart, and a part that fails is sent again', () => {
  let s3: RunningS3rver;
  let proxy: Server;
  let s3Server: RunningServer;
  const brokenParts: string[] = [];
  const partPuts: string[] = [];

  beforeAll(async () => {
    s3 = await startS3rver();
    const target = new URL(s3.endpoint);
    // Forwards to s3rver with every header as sent (the presigned signature covers Host), and cuts the connection
    // of the first PUT of part 2 halfway through its body.
    proxy = createServer((req, res) => {
      const part = new URL(req.url ?? '/', 'http://x').searchParams.get('partNumber');
      if (req.method === 'PUT' && part) partPuts.push(part);
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      if (req.method === 'PUT' && part === '2' && !brokenParts.includes('2')) {
        brokenParts.push('2');
        let seen = 0;
        req.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > 4 * MIB) {
            upstream.destroy();
            req.socket.destroy();
          }
        });
      }
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as { port: number }).port;
    s3Server = await startServer({
      env: {
        STORAGE_DRIVER: 's3',
        S3_ENDPOINT: `http://127.0.0.1:${port}`,
        S3_BUCKET: s3.bucket,
        S3_ACCESS_KEY_ID: s3.config.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.config.secretAccessKey,
        S3_FORCE_PATH_STYLE: 'true',
      },
    });
    expect((await s3Server.admin('/admin/apps', json({ slug: 'big-app', name: 'Big App', public_key: key.publicKey }))).status).toBe(201);
  });

  afterAll(async () => {
    await s3Server?.stop();
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
    await s3?.close();
  });

  it('uploads a 70 MiB AppImage in 5 parts, retrying the broken one, and the server verifies it', async () => {
    const file = join(dir, 'big', 'big-app_1.0.0_amd64.AppImage');
    const bytes = await bundleFile(file, 70 * MIB, '1.0.0');
    const result = await cli(['upload', file, '--app', 'big-app', '--version', '1.0.0', '--publish', '--concurrency', '2'], { env: envOf(s3Server) });
    expect(result.stderr).toContain('in 5 parts of 16.0 MiB');
    expect(result.code).toBe(0);
    expect(brokenParts).toEqual(['2']);
    expect(result.stderr).toMatch(/PUT to 127\.0\.0\.1:\d+ failed: .*; attempt 2 of 4 in 0\.5 s/);
    // Every part once, part 2 twice: only the failed part was sent again.
    expect([...partPuts].sort()).toEqual(['1', '2', '2', '3', '4', '5']);
    expect(result.stdout).toMatch(/big-app_1\.0\.0_amd64\.AppImage +linux-x86_64 +appimage +70\.0 MiB +presigned multipart \(5 parts\)/);
    const release = (await (await s3Server.admin('/admin/apps/big-app/releases/1.0.0')).json()) as { status: string; artifacts: { sha256: string; verified_key_id: string | null }[] };
    expect(release.status).toBe('published');
    expect(release.artifacts[0]).toMatchObject({ sha256: sha256(bytes), verified_key_id: expect.any(String) });
  }, 180_000);
});
