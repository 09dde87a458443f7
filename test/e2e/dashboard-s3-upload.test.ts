/**
 * The dashboard's presigned upload path, in Chromium against the server running with STORAGE_DRIVER=s3 and a real
 * S3 server (s3rver, which checks SigV4 signatures and applies the bucket's CORS rule): the browser hashes the file,
 * asks the CI API for upload URLs with its session cookie, PUTs the bytes straight to the bucket (one PUT for a small
 * file; parts with their ETags above the 64 MiB multipart threshold), and completes; the server then verifies the
 * Tauri signature from the stored object. The only hosts the page talks to are the server and the bucket.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { MULTIPART_THRESHOLD_BYTES } from '../../api/_src/protocol/ci.ts';
import { describeInChromium, openWatchedPage, startServerAndBrowser, stopServerAndBrowser, type WatchedPage } from '../support/browser.ts';
import { type RunningS3rver, s3rverStorageEnv, startS3rver } from '../support/s3rver.ts';
import { expectStatus, type RunningServer } from '../support/server.ts';
import { checkForUpdate, download, generateKeyPair, type KeyPair, sign } from '../support/tauri.ts';

const APP = 's3-desk';
const VERSION = '2.0.0';
const SMALL_FILE = `S3-Desk_${VERSION}_amd64.AppImage`;
const LARGE_FILE = `S3-Desk_${VERSION}_x64-setup.exe`;

describeInChromium(
  'dashboard uploads straight to an S3 bucket',
  () => {
    let s3: RunningS3rver;
    let server: RunningServer;
    let browser: Browser;
    let dir: string;
    let keys: KeyPair;
    let watched: WatchedPage;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tauri-release-s3-ui-'));
      // Any port of the loopback origin: the server's port is picked when it starts.
      s3 = await startS3rver({ corsOrigin: 'http://127.0.0.1:*' });
      [{ server, browser }, keys] = await Promise.all([
        startServerAndBrowser({ env: s3rverStorageEnv(s3) }),
        generateKeyPair(dir),
      ]);
      await expectStatus(await server.admin('/admin/apps', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ slug: APP, name: 'S3 Desk', public_key: keys.publicKey.trim() }),
      }), 201);
      await expectStatus(await server.admin(`/admin/apps/${APP}/releases`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ version: VERSION }),
      }), 201);
    });

    afterAll(async () => {
      await watched?.close().catch(() => undefined);
      await stopServerAndBrowser({ server, browser });
      await s3?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('hashes, PUTs to presigned URLs (single and multipart), completes, and the server verifies the signature', async () => {
      const small = join(dir, SMALL_FILE);
      const large = join(dir, LARGE_FILE);
      await writeFile(small, randomBytes(300 * 1024));
      // Just over the threshold: five 16 MiB parts, each PUT by the browser with its ETag read through CORS.
      await writeFile(large, randomBytes(MULTIPART_THRESHOLD_BYTES + 1024 * 1024));
      for (const file of [small, large]) await writeFile(`${file}.sig`, await sign(file, keys, VERSION));

      watched = await openWatchedPage(browser, server.url, { allow: [] });
      const { page, context } = watched;
      const bucketRequests: string[] = [];
      context.on('request', (request) => {
        if (request.url().startsWith(s3.endpoint)) bucketRequests.push(`${request.method()} ${new URL(request.url()).pathname}`);
      });

      await page.goto(`${server.url}/ui/apps/${APP}/releases/${VERSION}`);
      await page.getByLabel('Admin API key').fill(server.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const panel = page.getByRole('region', { name: 'Artifacts' });
      await panel.getByLabel('Choose files').setInputFiles([small, `${small}.sig`, large, `${large}.sig`]);
      await panel.getByRole('button', { name: 'Upload', exact: true }).click();
      for (const name of [SMALL_FILE, LARGE_FILE]) {
        await expect(panel.getByRole('row').filter({ hasText: name }).getByText(/Verified/).first().waitFor({ timeout: 90_000 })).resolves.toBeUndefined();
      }

      // The bytes went to the bucket, not through the server: one PUT for the small file, parts for the large one.
      const puts = bucketRequests.filter((line) => line.startsWith('PUT '));
      expect(puts.filter((line) => line.includes(SMALL_FILE))).toHaveLength(1);
      expect(puts.filter((line) => line.includes(LARGE_FILE)).length).toBeGreaterThanOrEqual(5);

      // Every request the page made went to the server or the bucket, and nothing was logged as an error.
      const foreign = watched.problems().filter((line) => line.startsWith('foreign:') && !line.includes(s3.endpoint));
      expect(foreign).toEqual([]);
      expect(watched.problems().filter((line) => !line.startsWith('foreign:'))).toEqual([]);

      // Published, the large file is what a Windows client downloads, byte for byte.
      await expectStatus(await server.admin(`/admin/apps/${APP}/releases/${VERSION}/publish`, { method: 'POST' }), 200);
      const outcome = await checkForUpdate(`${server.url}/update/${APP}/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`, {
        target: 'windows', arch: 'x86_64', currentVersion: '1.0.0', bundleType: 'nsis',
      });
      expect(outcome.kind).toBe('update');
      if (outcome.kind !== 'update') return;
      expect(outcome.update.version).toBe(VERSION);
      const bytes = await download(outcome.update);
      const sha = (buffer: Buffer) => createHash('sha256').update(buffer).digest('hex');
      expect(sha(bytes)).toBe(sha(await readFile(large)));
    }, 240_000);
  },
);
