/**
 * End to end, with real parts only: the server as `npm start` runs it (child process, PGlite, files), a key pair
 * and a signature from the real Tauri signer, the admin API over HTTP (multipart upload), and a client that builds
 * its URL, parses the answer and verifies the download the way tauri-plugin-updater v2 does — with Debian
 * `minisign -V` as the judge of the signature.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectStatus, type RunningServer, startServer } from '../support/server.ts';
import {
  buildCheckUrl, checkForUpdate, type ClientPlatform, download, downloadAndVerify, generateKeyPair, hasMinisign,
  type KeyPair, sign, type Update, verifySignature,
} from '../support/tauri.ts';

const minisign = await hasMinisign();
const FILE_NAME = 'my-app_1.2.3_amd64.AppImage';
const APPIMAGE_CLIENT: ClientPlatform = { target: 'linux', arch: 'x86_64', currentVersion: '1.0.0', bundleType: 'appimage' };
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

(minisign ? describe : describe.skip)(
  `a Tauri v2 client updating from the real server${minisign ? '' : ' — SKIPPED: Debian minisign is not installed (run .ci/system-packages.sh)'}`,
  () => {
    let server: RunningServer;
    let dir: string;
    let keys: KeyPair;
    let original: Buffer;
    let endpoint: string;

    async function updateFor(client: Partial<ClientPlatform>): Promise<Update> {
      const outcome = await checkForUpdate(endpoint, { ...APPIMAGE_CLIENT, ...client });
      if (outcome.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(outcome)}`);
      return outcome.update;
    }

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tauri-client-e2e-'));
      server = await startServer({ env: { REQUEST_LOG: 'on' } }); // npm start's default
      endpoint = `${server.url}/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`;
      keys = await generateKeyPair(dir);

      const json = (body: unknown) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      await expectStatus(await server.admin('/admin/apps', json({ slug: 'my-app', name: 'My App', public_key: keys.publicKey })), 201);
      await expectStatus(await server.admin('/admin/apps/my-app/releases', json({ version: '1.2.3', notes: 'Faster startup.' })), 201);

      original = randomBytes(384 * 1024);
      const file = join(dir, FILE_NAME);
      await writeFile(file, original);
      const form = new FormData();
      form.append('platform', 'linux-x86_64');
      form.append('bundle', 'appimage');
      form.append('signature', await sign(file, keys, '1.2.3'));
      form.append('file', new Blob([new Uint8Array(original)]), FILE_NAME);
      await expectStatus(await server.admin('/admin/apps/my-app/releases/1.2.3/artifacts', { method: 'POST', body: form }), 201);
      await expectStatus(await server.admin('/admin/apps/my-app/releases/1.2.3/publish', { method: 'POST' }), 200);
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('a linux/x86_64 AppImage client on 1.0.0 is offered 1.2.3, downloads it, and minisign verifies it', async () => {
      const update = await updateFor({});
      expect(update.endpoint).toBe(`${server.url}/update/my-app/linux/x86_64/1.0.0?bundle_type=appimage`);
      expect(update).toMatchObject({ version: '1.2.3', currentVersion: '1.0.0', notes: 'Faster startup.' });
      expect(update.pubDate).not.toBeNull();

      const { bytes, verdict } = await downloadAndVerify(update, keys.publicKey);
      expect(sha256(bytes)).toBe(sha256(original));
      expect(verdict).toMatchObject({ ok: true, signedVersion: '1.2.3' });
      if (verdict.ok) expect(verdict.trustedComment).toContain(`file:${FILE_NAME}`);
    });

    it('a client already on 1.2.3 gets 204 No Content', async () => {
      const outcome = await checkForUpdate(endpoint, { ...APPIMAGE_CLIENT, currentVersion: '1.2.3' });
      expect(outcome).toMatchObject({ kind: 'no-update', reason: 'no-content', attempts: [{ status: 204 }] });
      // npm start's terminal shows the check as one line, answered on the node:http path like any other.
      for (let i = 0; i < 50 && !server.output().includes('/1.2.3 204'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(server.output()).toMatch(/\d\d:\d\d:\d\d GET \/update\/my-app\/linux\/x86_64\/1\.2\.3 204 \d+\.\d ms/);
    });

    it('a deb client gets 204: the release has no deb artifact', async () => {
      const outcome = await checkForUpdate(endpoint, { ...APPIMAGE_CLIENT, bundleType: 'deb' });
      expect(outcome).toMatchObject({ kind: 'no-update', reason: 'no-content', attempts: [{ status: 204 }] });
    });

    it('a download with one flipped byte fails minisign', async () => {
      const update = await updateFor({});
      const tampered = Buffer.from(await download(update));
      tampered[tampered.length >> 1] = tampered[tampered.length >> 1]! ^ 0x80;
      const verdict = await verifySignature(tampered, update.signature, keys.publicKey, update.version);
      expect(verdict).toMatchObject({ ok: false, reason: 'InvalidSignature' });
      if (!verdict.ok) expect(verdict.minisign).toMatch(/verification failed/i);
    });

    it('a client on 1.2.3-beta.1 is offered 1.2.3 (a pre-release sorts below its release)', async () => {
      const update = await updateFor({ currentVersion: '1.2.3-beta.1' });
      expect(update.endpoint).toBe(`${server.url}/update/my-app/linux/x86_64/1.2.3-beta.1?bundle_type=appimage`);
      expect(update.version).toBe('1.2.3');
      expect((await downloadAndVerify(update, keys.publicKey)).verdict.ok).toBe(true);
    });

    it('a client of an unknown app ends with the plugin\'s ReleaseNotFound, as every endpoint is non-2xx', async () => {
      const url = buildCheckUrl(endpoint.replace('/my-app/', '/no-such-app/'), APPIMAGE_CLIENT);
      await expect(checkForUpdate(url, APPIMAGE_CLIENT)).rejects.toThrow(/Could not fetch a valid release JSON/);
    });
  },
);
