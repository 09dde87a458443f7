/**
 * The Vercel deployment artifact, tested as Vercel runs it: `npm run build:vercel` bundles the control
 * plane into .vercel/output, and the bundled function — alone, without node_modules — serves requests
 * through Node's (req, res) interface against PostgreSQL (Neon driver) and S3 (s3rver).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openNeon } from '../../db/neon.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type RunningS3rver, s3rverStorageEnv, startS3rver } from '../support/s3rver.ts';
import { freePort } from '../support/server.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUTPUT = join(REPO_ROOT, '.vercel', 'output');
const ADMIN_TOKEN = 'vercel-admin-token-0123456789abcdef';
const withPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;
const UPDATE_CHECKS_PER_MINUTE = 6;

withPostgres('Vercel build output (skipped without TEST_DATABASE_URL)', () => {
  let database: TestDatabase;
  let s3: RunningS3rver;
  let functionDir: string;
  let child: ChildProcess | undefined;
  let base: string;
  let output = '';

  beforeAll(async () => {
    execFileSync(process.execPath, [join(REPO_ROOT, 'api/_src/deploy/build-vercel.ts')], { cwd: REPO_ROOT, stdio: 'pipe' });
    // Copied away from the repository, so nothing can resolve from the project's node_modules.
    functionDir = mkdtempSync(join(tmpdir(), 'vercel-function-'));
    cpSync(join(OUTPUT, 'functions', 'index.func'), functionDir, { recursive: true });

    database = await createTestDatabase();
    const migration = openNeon({ connectionString: database.url, wsProxy: process.env.NEON_WS_PROXY });
    await migrateToLatest(migration.db);
    await migration.close();
    s3 = await startS3rver();

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const host = `import http from 'node:http'; const { default: handler } = await import(${JSON.stringify(join(functionDir, 'index.js'))});
      http.createServer(handler).listen(${port}, '127.0.0.1', () => console.log('listening'));`;
    child = spawn(process.execPath, ['--input-type=module', '-e', host], {
      cwd: functionDir,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: database.url,
        NEON_WS_PROXY: process.env.NEON_WS_PROXY ?? '',
        ...s3rverStorageEnv(s3),
        PUBLIC_URL: base,
        ADMIN_TOKEN,
        RATE_LIMIT_UPDATES_PER_MINUTE: String(UPDATE_CHECKS_PER_MINUTE),
      },
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!output.includes('listening')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the bundled function did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 360_000);

  afterAll(async () => {
    child?.kill();
    await s3?.close();
    await database?.drop();
    if (functionDir) rmSync(functionDir, { recursive: true, force: true });
  });

  it('writes the Build Output API layout with one Node.js function and a catch-all route', () => {
    const config = JSON.parse(readFileSync(join(OUTPUT, 'config.json'), 'utf8'));
    expect(config).toEqual({ version: 3, routes: [{ src: '/(.*)', dest: '/index' }] });
    const vc = JSON.parse(readFileSync(join(OUTPUT, 'functions', 'index.func', '.vc-config.json'), 'utf8'));
    expect(vc).toMatchObject({ runtime: 'nodejs24.x', handler: 'index.js', launcherType: 'Nodejs' });
  });

  it('refuses to start without a public URL, saying so in one line rather than after the minified source', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(join(functionDir, 'index.js'))});`], {
      cwd: functionDir,
      encoding: 'utf8',
      timeout: 30_000,
      // Vercel sets VERCEL_URL on every deployment; it must not be taken as the public URL.
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, STORAGE_DRIVER: 's3', VERCEL_URL: 'tauri-release-abc123.vercel.app' },
    });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^config error: /);
    expect(lines[0]).toContain('PUBLIC_URL is required on Vercel');
    expect(lines[0]).toContain('S3_ENDPOINT is required when STORAGE_DRIVER=s3');
  });

  it('leaves the embedded database out of the bundle', () => {
    const files = readdirSync(functionDir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'));
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) expect(readFileSync(join(functionDir, file), 'utf8')).not.toContain('pglite');
  });

  it('answers through the database and storage it was configured with', async () => {
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);

    const created = await fetch(`${base}/admin/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'vercel-app', name: 'Vercel App' }),
    });
    expect(created.status).toBe(201);

    const check = await fetch(`${base}/update/vercel-app/linux/x86_64/1.0.0`);
    expect(check.status).toBe(204);
    const unknown = await fetch(`${base}/update/no-such-app/linux/x86_64/1.0.0`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('answers update checks alike whether node:http (a plain URL) or Hono (an encoded one) answers, counting each check once', async () => {
    // A client of its own (the function trusts Vercel's header for the address), so the other tests' checks do not count.
    const headers = { 'x-vercel-forwarded-for': '203.0.113.7' };
    // The plain URL is answered by the node:http listener (the snapshot is cached by now); the encoded one by Hono.
    const plain = '/update/vercel-app/linux/x86_64/1.0.0?bundle_type=appimage';
    const encoded = '/update/vercel-app/linux/x86_64/1.0.0?bundle_type=app%69mage';
    // The limit counts per clock minute: start far enough from its end that all the checks fall in one window.
    while (new Date().getSeconds() >= 55) await new Promise((resolve) => setTimeout(resolve, 500));
    const answers = [];
    for (let i = 0; i < UPDATE_CHECKS_PER_MINUTE + 2; i++) {
      const res = await fetch(`${base}${i % 2 ? encoded : plain}`, { headers });
      answers.push({ status: res.status, cacheControl: res.headers.get('cache-control'), etag: res.headers.get('etag') });
    }
    const [first] = answers;
    expect(first).toMatchObject({ status: 204, cacheControl: 'public, max-age=60, s-maxage=60, stale-while-revalidate=60' });
    expect(answers.slice(0, UPDATE_CHECKS_PER_MINUTE)).toEqual(Array(UPDATE_CHECKS_PER_MINUTE).fill(first));
    expect(answers.slice(UPDATE_CHECKS_PER_MINUTE).map((a) => [a.status, a.cacheControl])).toEqual([[429, 'no-store'], [429, 'no-store']]);
  });

  it('serves the dashboard and its sign-in from the same function', async () => {
    const page = await fetch(`${base}/ui/apps/vercel-app`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const script = /<script type="module" src="([^"]+)"/.exec(await page.text())?.[1];
    expect(script).toMatch(/^\/ui\/assets\/app-[0-9a-f]{12}\.js$/);
    const asset = await fetch(`${base}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);

    const signIn = await fetch(`${base}/ui/session`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: ADMIN_TOKEN }),
    });
    expect(signIn.status).toBe(201);
    const cookie = signIn.headers.getSetCookie().find((line) => line.startsWith('tr_session='))!.split(';')[0]!;
    const apps = await fetch(`${base}/admin/apps`, { headers: { cookie } });
    expect(apps.status).toBe(200);
    expect((await apps.json()).apps.map((app: { slug: string }) => app.slug)).toContain('vercel-app');
  });
});
