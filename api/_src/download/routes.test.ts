import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createApp } from '../app.ts';
import { createDeps } from '../create-deps.ts';
import { FileSystemStorage } from '../storage/fs.ts';
import { type ObjectInfo, StorageUnavailableError } from '../storage/storage.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { parseRange } from './routes.ts';

const BYTES = new Uint8Array(Array.from({ length: 1000 }, (_, i) => i % 251));
const FILE = 'My App_1.0.0_amd64.AppImage';
const PATH = `/download/files/1.0.0/${encodeURIComponent(FILE)}`;

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
  const appId = await insertApp(ctx.database.db, 'files');
  await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', file: FILE, content: BYTES }] }, ctx.storage);
  await insertRelease(ctx.database.db, appId, { version: '1.0.0+2', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', file: 'b.AppImage', content: BYTES.slice(0, 10) }] }, ctx.storage);
  await insertRelease(ctx.database.db, appId, { version: '2.0.0', status: 'draft', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', file: 'draft.AppImage', content: BYTES }] }, ctx.storage);
  await insertRelease(ctx.database.db, appId, { version: '0.9.0', status: 'archived', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', file: 'old.AppImage', content: BYTES }] }, ctx.storage);
});
afterAll(async () => {
  await ctx.close();
});

describe('from the filesystem', () => {
  it('streams the whole file with download headers', async () => {
    const res = await ctx.app.request(PATH);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(BYTES);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': 'application/octet-stream',
      'content-length': '1000',
      'content-disposition': `attachment; filename="${FILE}"`,
      'accept-ranges': 'bytes',
      'cache-control': 'public, max-age=31536000, immutable',
      etag: expect.stringMatching(/^".+"$/),
    });
  });

  it('is the URL the manifest points at, build metadata and all', async () => {
    const manifest = await ctx.app.request('/update/files/linux/x86_64/1.0.0');
    const { url } = (await manifest.json()) as { url: string };
    expect(url).toBe('http://updates.test/download/files/1.0.0%2B2/b.AppImage');
    const res = await ctx.app.request(url);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(BYTES.slice(0, 10));
    expect((await ctx.app.request('/download/files/1.0.0+2/b.AppImage')).status).toBe(200);
  });

  it.each([
    ['bytes=0-9', 0, 9],
    ['bytes=990-', 990, 999],
    ['bytes=-5', 995, 999],
    ['bytes=500-5000', 500, 999],
  ])('answers Range %s with 206', async (range, start, end) => {
    const res = await ctx.app.request(PATH, { headers: { range } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/1000`);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(BYTES.slice(start, end + 1));
  });

  it('answers an unsatisfiable range with 416 and the size', async () => {
    for (const range of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0']) {
      const res = await ctx.app.request(PATH, { headers: { range } });
      expect(res.status).toBe(416);
      expect(res.headers.get('content-range')).toBe('bytes */1000');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });

  it('sends the whole file for several ranges, junk, or a stale If-Range', async () => {
    const variants: Record<string, string>[] = [{ range: 'bytes=0-1,5-6' }, { range: 'lines=1-2' }, { range: 'bytes=9-2' }, { range: 'bytes=0-9', 'if-range': '"old"' }];
    for (const headers of variants) {
      const res = await ctx.app.request(PATH, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe('1000');
      await res.arrayBuffer();
    }
  });

  it('honours an If-Range of the Last-Modified date, as of the ETag', async () => {
    const { headers } = await ctx.app.request(PATH, { method: 'HEAD' });
    for (const validator of [headers.get('etag')!, headers.get('last-modified')!]) {
      const res = await ctx.app.request(PATH, { headers: { range: 'bytes=10-19', 'if-range': validator } });
      expect(res.status).toBe(206);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(BYTES.slice(10, 20));
    }
    const older = new Date(Date.parse(headers.get('last-modified')!) - 60_000).toUTCString();
    expect((await ctx.app.request(PATH, { headers: { range: 'bytes=10-19', 'if-range': older } })).status).toBe(200);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await ctx.app.request(PATH, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('etag')).toBeTruthy();
    expect(await res.text()).toBe('');
    const ranged = await ctx.app.request(PATH, { method: 'HEAD', headers: { range: 'bytes=0-9' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-length')).toBe('10');
  });

  it('answers If-None-Match with 304', async () => {
    const { headers } = await ctx.app.request(PATH, { method: 'HEAD' });
    const res = await ctx.app.request(PATH, { headers: { 'if-none-match': headers.get('etag')! } });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe('');
    expect(res.headers.get('etag')).toBe(headers.get('etag'));
  });

  it.each([
    ['a draft release', '/download/files/2.0.0/draft.AppImage'],
    ['an archived release', '/download/files/0.9.0/old.AppImage'],
    ['a file of another version', `/download/files/1.0.0/b.AppImage`],
    ['an unknown file', '/download/files/1.0.0/nope.AppImage'],
    ['an unknown app', `/download/nobody/1.0.0/${encodeURIComponent(FILE)}`],
    ['an encoded traversal', '/download/files/1.0.0/..%2F..%2F..%2Fetc%2Fpasswd'],
    ['a traversal in the version', `/download/files/..%2F1.0.0/${encodeURIComponent(FILE)}`],
    ['a storage-key-shaped name', `/download/files/1.0.0/files%2Freleases%2F1.0.0%2F${encodeURIComponent(FILE)}`],
    ['encoded dot segments', '/download/files/1.0.0/%2E%2E'],
    ['a path too short', '/download/files/1.0.0'],
    ['a path too long', `/download/files/1.0.0/x/${encodeURIComponent(FILE)}`],
  ])('answers 404 for %s', async (_what, path) => {
    const res = await ctx.app.request(path);
    expect(res.status).toBe(404);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('never reaches outside storage with a raw traversal', async () => {
    for (const path of ['/download/files/1.0.0/../../../../etc/passwd', '/download/files/../../etc/passwd']) {
      const res = await ctx.app.request(path);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });

  it('answers 502 artifact_missing when storage lost a published file, and logs it once per object', async () => {
    const appId = await insertApp(ctx.database.db, 'lost');
    await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', file: 'gone.AppImage' }] });
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const method of ['GET', 'HEAD', 'GET']) {
        const res = await ctx.app.request('/download/lost/1.0.0/gone.AppImage', { method });
        expect(res.status).toBe(502);
        expect(res.headers.get('cache-control')).toBe('no-store');
        if (method === 'GET') {
          expect(await res.json()).toMatchObject({
            error: { code: 'artifact_missing', message: expect.stringMatching(/^gone\.AppImage of lost 1\.0\.0 is published, but this server's storage does not have it/) },
          });
        }
      }
      expect(logged).toHaveBeenCalledTimes(1);
      await ctx.deps.analytics.flush();
      expect(await ctx.database.db.selectFrom('download_counts').selectAll().where('app_id', '=', appId).execute()).toEqual([]);
      const line = String(logged.mock.calls[0]?.[0]);
      expect(line).toContain('storage has no object lost/releases/1.0.0/gone.AppImage');
      expect(line).toContain('POST /admin/apps/lost/releases/1.0.0/archive');
      expect(line).not.toMatch(/\n\s+at /);
    } finally {
      logged.mockRestore();
    }
  });

  it('sends a path with a trailing slash, for GET and HEAD, to the same path without it', async () => {
    for (const [path, target] of [
      [`${PATH}/`, PATH],
      ['/download/files/latest/linux-x86_64/?kind=appimage', '/download/files/latest/linux-x86_64?kind=appimage'],
      ['/download/nobody/latest/linux-x86_64//', '/download/nobody/latest/linux-x86_64'],
    ] as const) {
      for (const method of ['GET', 'HEAD']) {
        const res = await ctx.app.request(path, { method });
        expect(res.status).toBe(301);
        expect(res.headers.get('location')).toBe(`http://updates.test${target}`);
      }
    }
  });

  it('answers another method on a download path 405 with Allow, as every other route does', async () => {
    for (const path of [PATH, '/download/files/latest/linux-x86_64']) {
      const res = await ctx.app.request(path, { method: 'POST' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(await res.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
    }
    expect((await ctx.app.request('/download/files', { method: 'DELETE' })).status).toBe(404);
  });

  it('echoes at most 100 characters of a requested name in its 404', async () => {
    const long = 'x'.repeat(8000);
    for (const path of [`/download/files/1.0.0/${long}`, `/download/files/${long}/a.AppImage`, `/download/${long}/1.0.0/a.AppImage`, `/download/${long}/latest/linux-x86_64`]) {
      const res = await ctx.app.request(path);
      expect(res.status).toBe(404);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('not_found');
      expect(error.message).toContain(`"${'x'.repeat(100)}"`);
      expect(error.message.length).toBeLessThan(300);
    }
    const res = await ctx.app.request(`/download/files/1.0.0/a/${long}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message.length).toBeLessThan(400);
  });

  it('answers 503 when storage is unavailable', async () => {
    // A real filesystem driver whose backend "goes away": the fault a remote store raises.
    class Unreachable extends FileSystemStorage {
      override async head(): Promise<ObjectInfo | null> {
        throw new StorageUnavailableError('storage backend unreachable');
      }
    }
    const app = createApp(createDeps(ctx.config, ctx.database.db, new Unreachable(ctx.dataDir)));
    const res = await app.request(PATH);
    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ error: { code: 'unavailable', message: 'storage is unavailable; try again shortly' } });
  });
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', 10, { start: 0, end: 0 }],
    ['bytes=9-', 10, { start: 9, end: 9 }],
    ['bytes=-20', 10, { start: 0, end: 9 }],
    ['bytes=10-', 10, 'unsatisfiable'],
    ['bytes=-1', 0, 'unsatisfiable'],
    ['bytes=-', 10, null],
    ['bytes=a-b', 10, null],
    ['bytes=0-1, 3-4', 10, null],
  ])('%s of %d bytes → %j', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
