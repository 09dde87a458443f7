/**
 * The first hour as a new user has it, with `node api/_src/local.ts` (what `npm start` runs) and no ADMIN_TOKEN:
 * the first start finds its port taken and says so in one line, with no stack and no bootstrap key created
 * unseen; once the port is free, the next start shows the bootstrap key, which signs in. The running server also answers a CONNECT request instead of dropping the socket.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RunningServer, startServer } from '../support/server.ts';

const LOCAL = fileURLToPath(new URL('../../api/_src/local.ts', import.meta.url));
const KEY_LINE = /Bootstrap admin key \(shown once; store it now\):\s+(\S+)/;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'first-run-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs local.ts until it exits by itself; its stdout and stderr. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOCAL], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A CONNECT request on a raw socket: what the server answers (or '' when it drops the socket). */
function sendConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => {});
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

it('a port in use is one clear line and leaves no key unseen; the next start shows the key, and it signs in', async () => {
  const port = await freePort();
  const squatter: Server = createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '0.0.0.0', resolve));
  const env = { PORT: String(port), DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}` };
  let failed;
  try {
    failed = await runToExit(env);
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
  expect(failed.code).toBe(1);
  expect(failed.stderr.trim()).toBe(`port ${port} is in use by another program: stop it, or set PORT to a free port`);
  expect(failed.stdout).not.toMatch(KEY_LINE);

  let server: RunningServer | undefined;
  try {
    server = await startServer({ port, env: { DATA_DIR: dataDir, ADMIN_TOKEN: '' }, startTimeoutMs: 150_000 });
    // The key is printed just after the server starts answering.
    const deadline = Date.now() + 10_000;
    while (!KEY_LINE.test(server.output()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const key = KEY_LINE.exec(server.output())?.[1];
    expect(key).toBeDefined();
    const apps = await fetch(`${server.url}/admin/apps`, { headers: { authorization: `Bearer ${key}` } });
    expect(apps.status).toBe(200);

    const answer = await sendConnect(port);
    expect(answer).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: { code: 'invalid_request', message: 'CONNECT is not supported: this server is not a proxy' },
    });
    // The server is still up after it.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  } finally {
    await server?.stop();
  }
}, 300_000);

it('without SECRETS_KEY, the key npm start makes under DATA_DIR signs offline license files too', async () => {
  const server = await startServer({ env: { RATE_LIMITS: 'off' }, startTimeoutMs: 150_000 });
  try {
    const json = (body: unknown, method = 'POST') => ({ method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await server.admin('/admin/apps', json({ slug: 'first-licensed', name: 'First' }))).status).toBe(201);
    expect((await server.admin('/admin/apps/first-licensed/licensing', json({ mode: 'licensed' }, 'PUT'))).status).toBe(200);
    const policy = (await (await server.admin('/admin/apps/first-licensed/licensing/policies', json({ name: 'yearly' }))).json()) as { id: string };
    const license = (await (await server.admin('/admin/apps/first-licensed/licenses', json({ policy_id: policy.id }))).json()) as { key: string };
    const file = await fetch(`${server.url}/license/file`, { headers: { Authorization: `License ${license.key}` } });
    const text = await file.text();
    expect({ status: file.status, body: file.status === 200 ? '' : text }).toEqual({ status: 200, body: '' });
    expect(text).toMatch(/^[\w-]+\.[\w-]+$/);
    const view = (await (await server.admin('/admin/apps/first-licensed')).json()) as { license_file_key: { kid: string } | null };
    expect(view.license_file_key?.kid).toMatch(/^[0-9a-f]{16}$/);
  } finally {
    await server.stop();
  }
}, 300_000);
