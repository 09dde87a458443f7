import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serve, type ServerType } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type KeyPair } from '../../../test/support/tauri.ts';
import type { CiUploadResponse } from '../protocol/ci.ts';
import { type CiHarness, createCiHarness, declare, insertApp, releasesPath, runLeg, signedArtifact } from './testing.ts';

const MIB = 1024 * 1024;

/** The filesystem upload target over real HTTP: what `npm start` offers CI when there is no bucket. */
describe('CI uploads with filesystem storage, over HTTP', () => {
  let server: ServerType;
  let h: CiHarness;
  let dir: string;
  let key: KeyPair;
  let url: string;

  beforeAll(async () => {
    let app: CiHarness['app'] | undefined;
    server = serve({ fetch: (request) => app!.fetch(request), port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h = await createCiHarness({ env: { PUBLIC_URL: url } });
    app = h.app;
    dir = await mkdtemp(join(tmpdir(), 'ci-fs-http-'));
    key = await generateKeyPair(dir);
    await insertApp(h, 'local-app', key.publicKey);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a leg with the PUT sent to this server by fetch, then serves the update', async () => {
    const file = await signedArtifact(dir, key, 'local_1.0.0_amd64.AppImage', randomBytes(64 * 1024), '1.0.0');
    const leg = await runLeg(h, h.ctx.adminAuth, 'local-app', '1.0.0', 'linux-x86_64', file);
    expect(leg.statuses).toEqual([201, 201, 200, 200]);
    expect((await h.call('POST', `${releasesPath('local-app', '1.0.0')}/publish`)).status).toBe(200);
    const check = await fetch(`${url}/update/local-app/linux/x86_64/0.1.0`);
    const manifest = (await check.json()) as { url: string };
    expect(manifest.url).toBe(`${url}/download/local-app/1.0.0/local_1.0.0_amd64.AppImage`);
    expect(Buffer.from(await (await fetch(manifest.url)).arrayBuffer())).toEqual(Buffer.from(file.bytes));
  });

  it('streams the body into storage as it arrives, without waiting for the end', async () => {
    const file = await signedArtifact(dir, key, 'local_1.1.0_amd64.deb', randomBytes(4 * MIB), '1.1.0');
    expect((await h.call('POST', releasesPath('local-app'), { body: { version: '1.1.0' } })).status).toBe(201);
    const requested = await h.call<CiUploadResponse>('POST', `${releasesPath('local-app', '1.1.0')}/uploads`, { body: declare('linux-x86_64', file) });
    const target = requested.body.target as { url: string };
    expect(target.url.startsWith(`${url}/ci/uploads/`)).toBe(true);

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(file.bytes.slice(0, 2 * MIB));
        await gate; // the second half waits until the first is seen on disk
        controller.enqueue(file.bytes.slice(2 * MIB));
        controller.close();
      },
    });
    const put = fetch(target.url, { method: 'PUT', body, duplex: 'half' } as RequestInit);

    const folder = join(h.ctx.dataDir, 'objects', 'local-app', 'releases', '1.1.0', 'uploads', requested.body.upload_id);
    const partial = async () => {
      const names = await readdir(folder).catch(() => [] as string[]);
      const temporary = names.find((name) => name.startsWith('.upload-'));
      return temporary ? (await stat(join(folder, temporary))).size : 0;
    };
    const deadline = Date.now() + 10_000;
    let seen = 0;
    while ((seen = await partial()) < MIB && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toBeGreaterThanOrEqual(MIB);
    release();

    const res = await put;
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    const done = await h.call('POST', `${releasesPath('local-app', '1.1.0')}/uploads/${requested.body.upload_id}/complete`);
    expect(done).toMatchObject({ status: 200, body: { bundle: 'deb', state: 'ready', size: 4 * MIB } });
  });

  it('refuses a body longer than declared as it streams (413), leaving no folder of the upload\'s own', async () => {
    const file = await signedArtifact(dir, key, 'local_1.2.0_amd64.deb', randomBytes(64 * 1024), '1.2.0');
    expect((await h.call('POST', releasesPath('local-app'), { body: { version: '1.2.0' } })).status).toBe(201);
    const requested = await h.call<CiUploadResponse>('POST', `${releasesPath('local-app', '1.2.0')}/uploads`, { body: declare('linux-x86_64', file) });
    // A stream has no Content-Length, so the refusal comes from the bytes, once storage has started writing them.
    const body = new Blob([new Uint8Array(file.bytes), new Uint8Array(randomBytes(64 * 1024))]).stream();
    const res = await fetch((requested.body.target as { url: string }).url, { method: 'PUT', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^the body has [0-9]+ bytes or more but the upload declared 65536/);
    const uploads = join(h.ctx.dataDir, 'objects', 'local-app', 'releases', '1.2.0', 'uploads');
    expect(await readdir(uploads)).toEqual([]);
  });

  const stagedFolder = (version: string, uploadId: string) => join(h.ctx.dataDir, 'objects', 'local-app', 'releases', version, 'uploads', uploadId);

  /** A PUT whose second half waits for `open()`; `writing` resolves once storage holds a MiB of the first (the server's checks have passed). */
  function gatedPut(targetUrl: string, bytes: Uint8Array, folder: string) {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(bytes.slice(0, 2 * MIB));
        await gate;
        controller.enqueue(bytes.slice(2 * MIB));
        controller.close();
      },
    });
    const answer = fetch(targetUrl, { method: 'PUT', body, duplex: 'half' } as RequestInit);
    const writing = (async () => {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const names = await readdir(folder).catch(() => [] as string[]);
        const temporary = names.find((name) => name.startsWith('.upload-'));
        if (temporary && (await stat(join(folder, temporary))).size >= MIB) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no partial upload in ${folder}`);
    })();
    return { writing, open, answer };
  }

  it('keeps no bytes of a PUT whose release was deleted while they streamed in (409)', async () => {
    const file = await signedArtifact(dir, key, 'local_1.3.0_amd64.deb', randomBytes(4 * MIB), '1.3.0');
    expect((await h.call('POST', releasesPath('local-app'), { body: { version: '1.3.0' } })).status).toBe(201);
    const requested = await h.call<CiUploadResponse>('POST', `${releasesPath('local-app', '1.3.0')}/uploads`, { body: declare('linux-x86_64', file) });
    const put = gatedPut((requested.body.target as { url: string }).url, file.bytes, stagedFolder('1.3.0', requested.body.upload_id));
    await put.writing;
    expect((await h.call('DELETE', '/admin/apps/local-app/releases/1.3.0')).status).toBe(204);
    put.open();
    const res = await put.answer;
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^release \(deleted\) was deleted while the bytes were sent; nothing was kept/);
    expect(await readdir(stagedFolder('1.3.0', requested.body.upload_id)).catch(() => [])).toEqual([]);
  });

  it('keeps no bytes of an upload whose release a re-run published before it was completed', async () => {
    const first = await signedArtifact(dir, key, 'local_1.4.0_amd64.deb', randomBytes(64 * 1024), '1.4.0');
    const rerun = await signedArtifact(dir, key, 'local_1.4.0_amd64.deb', randomBytes(64 * 1024), '1.4.0');
    expect((await h.call('POST', releasesPath('local-app'), { body: { version: '1.4.0' } })).status).toBe(201);
    const requested = await h.call<CiUploadResponse>('POST', `${releasesPath('local-app', '1.4.0')}/uploads`, { body: declare('linux-x86_64', first) });
    expect((await fetch((requested.body.target as { url: string }).url, { method: 'PUT', body: new Uint8Array(first.bytes) })).status).toBe(200);
    // The re-run of the job uploads other bytes for the same slot, completes and publishes first.
    expect((await runLeg(h, h.ctx.adminAuth, 'local-app', '1.4.0', 'linux-x86_64', rerun)).statuses).toEqual([200, 201, 200, 200]);
    expect((await h.call('POST', `${releasesPath('local-app', '1.4.0')}/publish`)).status).toBe(200);
    const late = await h.call('POST', `${releasesPath('local-app', '1.4.0')}/uploads/${requested.body.upload_id}/complete`);
    expect(late.status).toBe(409);
    expect(await readdir(stagedFolder('1.4.0', requested.body.upload_id)).catch(() => [])).toEqual([]);
  });

  it('deleting a draft removes the bytes of every upload into it, also one a re-run superseded before completing it', async () => {
    const first = await signedArtifact(dir, key, 'local_1.5.0_amd64.deb', randomBytes(64 * 1024), '1.5.0');
    const rerun = await signedArtifact(dir, key, 'local_1.5.0_amd64.deb', randomBytes(64 * 1024), '1.5.0');
    expect((await h.call('POST', releasesPath('local-app'), { body: { version: '1.5.0' } })).status).toBe(201);
    const uploadIds = [];
    for (const file of [first, rerun]) {
      const requested = await h.call<CiUploadResponse>('POST', `${releasesPath('local-app', '1.5.0')}/uploads`, { body: declare('linux-x86_64', file) });
      expect((await fetch((requested.body.target as { url: string }).url, { method: 'PUT', body: new Uint8Array(file.bytes) })).status).toBe(200);
      uploadIds.push(requested.body.upload_id);
    }
    expect((await h.call('DELETE', '/admin/apps/local-app/releases/1.5.0')).status).toBe(204);
    for (const id of uploadIds) expect(await readdir(stagedFolder('1.5.0', id)).catch(() => [])).toEqual([]);
  });
});
