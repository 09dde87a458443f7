/**
 * What a hostile or unlucky client must never achieve, against the real server (`npm start`'s code path):
 * reading or writing outside the data folder, reaching app B with a key scoped to app A, leaving a release in a
 * mixed state with conflicting requests in parallel, or leaving a half-registered artifact by killing the
 * server (`kill -9`) in the middle of an upload.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { seedRelease } from '../bench/seed.ts';
import { type RunningServer, startServer } from '../support/server.ts';
import { type KeyPair, sign } from '../support/tauri.ts';

const SECRET = 'sentinel: never served';

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name))).sort();
}

const json = (body: unknown, method = 'POST') => ({ method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

async function uploadForm(file: string, bytes: Uint8Array, fileName: string, signature: string, platform = 'linux-x86_64'): Promise<FormData> {
  await writeFile(file, bytes);
  const form = new FormData();
  form.append('platform', platform);
  form.append('signature', signature);
  form.append('file', new Blob([new Uint8Array(bytes)]), fileName);
  return form;
}

describe('robustness of state', () => {
  let base: string;
  let dataDir: string;
  let server: RunningServer;
  let keys: KeyPair;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'tauri-release-integrity-'));
    dataDir = join(base, 'data');
    await mkdir(join(base, 'work'));
    // Beside the data folder: a file a traversal would reach, and a folder it would write into.
    await writeFile(join(base, 'sentinel.AppImage'), SECRET);
    await mkdir(join(base, 'outside'));
    server = await startServer({ env: { DATA_DIR: dataDir, RATE_LIMITS: 'off' } });
    keys = await seedRelease(server, join(base, 'work'), {
      slug: 'app-a', version: '1.0.0', notes: 'A', artifactBytes: 2048,
      artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', fileName: 'app-a_1.0.0_amd64.AppImage' }],
    });
    await mkdir(join(base, 'work-b'));
    await seedRelease(server, join(base, 'work-b'), {
      slug: 'app-b', version: '1.0.0', notes: 'B', artifactBytes: 2048,
      artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', fileName: 'app-b_1.0.0_amd64.AppImage' }],
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await rm(base, { recursive: true, force: true });
  });

  it('never reads or writes outside the data folder, whatever the artifact name or download path', async () => {
    const outsideBefore = await listFiles(base);
    const traversals = ['..%2F..%2Fsentinel.AppImage', '..%2F..%2F..%2Fsentinel.AppImage', '%2e%2e%2f%2e%2e%2fsentinel.AppImage', '..%5C..%5Csentinel.AppImage',
      encodeURIComponent(join(base, 'sentinel.AppImage')), '%2F..%2F..%2Fsentinel.AppImage', 'sentinel.AppImage%00.txt', '....%2F%2F....%2F%2Fsentinel.AppImage'];
    for (const path of traversals) {
      for (const prefix of ['/download/app-a/1.0.0/', '/download/app-a/..%2F..%2F/', '/download/..%2F..%2F/1.0.0/']) {
        const res = await fetch(`${server.url}${prefix}${path}`, { redirect: 'manual' });
        const text = await res.text();
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(text).not.toContain(SECRET);
      }
    }
    // Raw dot segments too (fetch would normalise them away).
    for (const path of ['/download/app-a/1.0.0/../../../sentinel.AppImage', '/download/../../sentinel.AppImage']) {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET' }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject).end();
      });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.body).not.toContain(SECRET);
    }

    // Uploads whose file name tries to climb out are refused or kept inside.
    const releases = '/admin/apps/app-a/releases';
    expect((await server.admin(releases, json({ version: '1.5.0' }))).status).toBe(201);
    for (const [index, name] of ['../../outside/escape.AppImage', '..\\..\\outside\\escape.AppImage', '/tmp/escape.AppImage', 'x/../../../outside/e.AppImage', 'a\u0000.AppImage', '..'].entries()) {
      const file = join(base, 'work', `escape-${index}`);
      await writeFile(file, randomBytes(100));
      const form = await uploadForm(file, await readFile(file), name, await sign(file, keys, '1.5.0'));
      const res = await server.admin(`${releases}/1.5.0/artifacts`, { method: 'POST', body: form });
      expect(res.status).toBeLessThan(500);
      if (res.status < 300) {
        const artifact = (await res.json()) as { file_name: string };
        expect(artifact.file_name).not.toMatch(/[/\\]|\.\./);
      } else {
        await res.text();
      }
    }
    const outsideAfter = (await listFiles(base)).filter((file) => !file.startsWith('data/') && !file.startsWith('work'));
    expect(outsideAfter).toEqual(outsideBefore.filter((file) => !file.startsWith('data/') && !file.startsWith('work')));
    expect(await readFile(join(base, 'sentinel.AppImage'), 'utf8')).toBe(SECRET);
  });

  it("refuses a key scoped to app A on every route of app B, and leaves B as it was", async () => {
    const created = await server.admin('/admin/keys', json({ name: 'only a', scope: 'admin', app: 'app-a' }));
    expect(created.status).toBe(201);
    const scopedKey = ((await created.json()) as { key: string }).key;
    const before = await (await server.admin('/admin/apps/app-b/releases/1.0.0')).text();
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/admin/apps/{app}') || path.startsWith('/ci/apps/{app}'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
    expect(routes.length).toBeGreaterThan(20);
    const params: Record<string, string> = { app: 'app-b', release: '1.0.0', version: '1.0.0', artifact: '00000000-0000-0000-0000-000000000000', id: '00000000-0000-0000-0000-000000000000', upload: '00000000-0000-0000-0000-000000000000' };
    for (const { method, path } of routes) {
      const url = path.replace(/\{([^}]+)\}/g, (_, name: string) => params[name] ?? 'x');
      const res = await fetch(`${server.url}${url}`, {
        method,
        headers: { authorization: `Bearer ${scopedKey}`, 'content-type': 'application/json' },
        body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
      });
      const text = await res.text();
      expect({ route: `${method} ${path}`, status: [403, 404].includes(res.status) ? 'refused' : res.status, text: [403, 404].includes(res.status) ? '' : text })
        .toEqual({ route: `${method} ${path}`, status: 'refused', text: '' });
      // Not even a hint of B's data.
      expect(text).not.toContain('app-b_1.0.0');
    }
    // The same key does reach its own app, so the refusals above are about scope, not a broken key.
    expect((await fetch(`${server.url}/admin/apps/app-a`, { headers: { authorization: `Bearer ${scopedKey}` } })).status).toBe(200);
    expect(await (await server.admin('/admin/apps/app-b/releases/1.0.0')).text()).toBe(before);
  });

  it('ends 20 parallel conflicting publishes, deletes and uploads of one release in one consistent state', async () => {
    const releases = '/admin/apps/app-a/releases';
    expect((await server.admin(releases, json({ version: '2.0.0', notes: 'race' }))).status).toBe(201);
    const files = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const file = join(base, 'work', `race-${i}.AppImage`);
        const bytes = randomBytes(50_000 + i);
        await writeFile(file, bytes);
        return { bytes, signature: await sign(file, keys, '2.0.0'), sha256: createHash('sha256').update(bytes).digest('hex') };
      }),
    );
    const first = await server.admin(`${releases}/2.0.0/artifacts`, { method: 'POST', body: await uploadForm(join(base, 'work', 'first'), files[0]!.bytes, 'app-a_2.0.0_amd64.AppImage', files[0]!.signature) });
    expect(first.status).toBe(201);
    const firstId = ((await first.json()) as { id: string }).id;

    const uploads = files.map(async (f, i) =>
      server.admin(`${releases}/2.0.0/artifacts`, { method: 'POST', body: await uploadForm(join(base, 'work', `up-${i}`), f.bytes, 'app-a_2.0.0_amd64.AppImage', f.signature) }));
    const others = [
      ...Array.from({ length: 5 }, () => server.admin(`${releases}/2.0.0/publish`, { method: 'POST' })),
      ...Array.from({ length: 4 }, () => server.admin(`${releases}/2.0.0/artifacts/${firstId}`, { method: 'DELETE' })),
      ...Array.from({ length: 3 }, (_, i) => server.admin(`${releases}/2.0.0`, json({ notes: `race ${i}` }, 'PATCH'))),
    ];
    const answers = await Promise.all([...uploads, ...others]);
    expect(answers).toHaveLength(20);
    for (const res of answers) {
      expect(res.status).toBeLessThan(500);
      await res.text();
    }

    const release = (await (await server.admin(`${releases}/2.0.0`)).json()) as { status: string; artifacts: { id: string; platform: string; bundle: string | null; sha256: string; signature: string; state: string; download_path: string }[] };
    expect(['draft', 'published']).toContain(release.status);
    const slots = release.artifacts.map((a) => `${a.platform}/${a.bundle}`);
    expect(new Set(slots).size).toBe(slots.length);
    for (const artifact of release.artifacts) {
      expect(artifact.state).toBe('ready');
      const uploaded = files.find((f) => f.sha256 === artifact.sha256);
      expect(uploaded).toBeDefined();
      expect(artifact.signature).toBe(uploaded!.signature);
      const download = await server.admin(artifact.download_path);
      if (download.status === 200) expect(createHash('sha256').update(Buffer.from(await download.arrayBuffer())).digest('hex')).toBe(artifact.sha256);
      else await download.text();
    }
    const check = await fetch(`${server.url}/update/app-a/linux/x86_64/1.0.0?bundle_type=appimage`);
    if (release.status === 'published' && release.artifacts.length > 0) {
      expect(check.status).toBe(200);
      const manifest = (await check.json()) as { version: string; signature: string; url: string };
      expect(manifest.version).toBe('2.0.0');
      expect(manifest.signature).toBe(release.artifacts[0]!.signature);
      const bytes = Buffer.from(await (await fetch(manifest.url)).arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(release.artifacts[0]!.sha256);
    } else {
      const text = await check.text();
      expect(text).not.toContain('"2.0.0"');
    }
    // Storage holds the bytes of what the database lists for this release, and no orphan of the race.
    const stored = (await listFiles(join(dataDir, 'objects'))).filter((file) => file.includes('2.0.0'));
    expect(stored.length).toBe(release.artifacts.length);
  });

  it('comes back after kill -9 in the middle of an upload, with no half-registered artifact', async () => {
    const releases = '/admin/apps/app-a/releases';
    expect((await server.admin(releases, json({ version: '3.0.0' }))).status).toBe(201);
    const file = join(base, 'work', 'big.AppImage');
    const bytes = randomBytes(8 * 1024 * 1024);
    await writeFile(file, bytes);
    const signature = await sign(file, keys, '3.0.0');
    const boundary = '----killnine';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="platform"\r\n\r\nlinux-x86_64\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="signature"\r\n\r\n${signature}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="app-a_3.0.0_amd64.AppImage"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    // Send the fields and half the file, then kill the server while it waits for the rest.
    let early = '';
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1', port: server.port, method: 'POST', path: `${releases}/3.0.0/artifacts`,
        headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      });
      req.on('response', (res) => {
        res.setEncoding('utf8').on('data', (chunk) => (early += chunk));
        early = `${res.statusCode} `;
      });
      // The socket hangs up when the server dies: expected; what counts is that nothing answered before.
      req.on('error', () => {});
      req.write(head);
      req.write(bytes.subarray(0, bytes.length / 2), () => {
        setTimeout(() => {
          server.child.kill('SIGKILL');
          server.child.once('exit', () => resolve());
        }, 300);
      });
    });
    expect({ signal: server.child.signalCode, early }).toEqual({ signal: 'SIGKILL', early: '' });

    // The same data folder: the dead process's lock is stale, and the server starts.
    server = await startServer({ env: { DATA_DIR: dataDir, RATE_LIMITS: 'off' } });
    const release = (await (await server.admin(`${releases}/3.0.0`)).json()) as { artifacts: unknown[] };
    expect(release.artifacts).toEqual([]);
    expect((await listFiles(join(dataDir, 'objects'))).filter((name) => name.includes('3.0.0'))).toEqual([]);
    // And the same upload, whole this time, succeeds.
    const res = await server.admin(`${releases}/3.0.0/artifacts`, { method: 'POST', body: await uploadForm(file, bytes, 'app-a_3.0.0_amd64.AppImage', signature) });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { size: number }).size).toBe(bytes.length);
    expect((await stat(dataDir)).isDirectory()).toBe(true);
  }, 120_000);
});
