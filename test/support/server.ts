/**
 * @module server
 * Starts the real control plane (`node api/_src/local.ts`, what `npm start` runs) as a child process on a free loopback
 * port, with a fresh DATA_DIR (embedded PGlite + files), and stops it. For end-to-end tests and benchmarks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childNodeEnv } from './child-env.ts';
import { seedFromTemplate } from './pglite-template.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUTPUT_TAIL_CHARS = 64 * 1024;

export const E2E_ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdefghij';

export interface RunningServer {
  port: number;
  /** `http://127.0.0.1:<port>`, also the server's PUBLIC_URL. */
  url: string;
  adminToken: string;
  /** The server's DATA_DIR: made here and removed by `stop()`, unless the test named its own. */
  dataDir: string;
  child: ChildProcess;
  /** The last 64 KiB of the server's stdout and stderr, for failure messages. */
  output(): string;
  /** `fetch` against the server with the admin bearer token. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export interface StartServerOptions {
  /** Extra environment (the server gets only PATH, HOME, jest's compile cache (child-env.ts) and what is set here). */
  env?: Record<string, string>;
  /** Node flags before the script, e.g. `['--import', probe]`. */
  nodeArgs?: string[];
  /** Open an IPC channel to the child (`child.send` / `process.send`). */
  ipc?: boolean;
  startTimeoutMs?: number;
  /** A port of the caller's choosing (default: a free one, picked again if another process takes it first). */
  port?: number;
}

/** A port the kernel just gave out and released; the caller binds it right away. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Waits until `url` answers 200, the child dies, or the deadline passes. */
async function waitForHealth(url: string, child: ChildProcess, deadline: number, output: () => string): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}) before answering ${url}:\n${output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      await res.body?.cancel();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not answer ${url} with 200 in time:\n${output()}`);
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}

/** Starts `node api/_src/local.ts` with the Node running this code (Node 24 under `npm test` and `npm run bench`). */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  // A folder the test names is the test's to remove; one made here is removed by stop() (or a failed start).
  const ownDataDir = options.env?.DATA_DIR === undefined;
  const dataDir = ownDataDir ? await mkdtemp(join(tmpdir(), 'tauri-release-e2e-')) : options.env!.DATA_DIR!;
  const removeOwnDataDir = () => (ownDataDir ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve());
  // A fresh DATA_DIR on the embedded database starts from a copy of the migrated template (pglite-template.ts).
  if (ownDataDir && options.env?.DATABASE_URL === undefined) await seedFromTemplate(dataDir);
  // The port is picked here and handed over, so a rare race with another process is retried rather than reported.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? dataDir,
      PORT: String(port),
      DATA_DIR: dataDir,
      ADMIN_TOKEN: E2E_ADMIN_TOKEN,
      PUBLIC_URL: url,
      // Request lines would push what tests look for out of the kept tail; test/smoke.test.ts turns them on.
      REQUEST_LOG: 'off',
      ...childNodeEnv(),
      ...options.env,
    };
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), join(REPO_ROOT, 'api', '_src', 'local.ts')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    });
    let tail = '';
    // Always drained: a server that logs while nobody reads its pipe would block once the pipe is full.
    const keep = (chunk: Buffer) => { tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const output = () => tail;
    try {
      await waitForHealth(`${url}/health`, child, Date.now() + (options.startTimeoutMs ?? 60_000), output);
    } catch (error) {
      await stopChild(child, 2_000);
      if (attempt < 3 && options.port === undefined && /EADDRINUSE|is in use/.test(tail)) continue;
      await removeOwnDataDir();
      throw error;
    }
    return {
      port, url, adminToken: E2E_ADMIN_TOKEN, dataDir, child, output,
      admin: (path, init = {}) => {
        const headers = new Headers(init.headers);
        headers.set('Authorization', `Bearer ${E2E_ADMIN_TOKEN}`);
        return fetch(`${url}${path}`, { ...init, headers });
      },
      async stop() {
        await stopChild(child, 6_000);
        await removeOwnDataDir();
      },
    };
  }
}

/** `fetch` options sending `body` as JSON with `method`. */
export const jsonBody = (method: string, body: unknown): RequestInit => ({ method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/** The answer's JSON body (null when empty), or an error naming the URL, the status and the body. */
export async function expectStatus(res: Response, status: number): Promise<any> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${res.url}: expected ${status}, got ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}
