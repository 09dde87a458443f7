/**
 * Runs once before all test files. Makes the run's temporary folder, removed by global-teardown.ts: Node's compile
 * cache for the child processes tests start (child-env.ts; the workers, forked afterwards, use it as well) and the
 * place of the migrated PGlite template fresh servers start from (pglite-template.ts). Then finds the PostgreSQL to
 * test against — TEST_DATABASE_URL, else the machine's own at 127.0.0.1:5432 (trust auth, database `test`) when it
 * answers — and starts the WebSocket proxy the Neon driver needs to reach it. Jest forks its workers after this,
 * so they inherit TEST_DATABASE_URL and NEON_WS_PROXY.
 */
import { sql } from 'kysely';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNeon } from '../../db/connect.ts';
import { PGLITE_TEMPLATE_ENV } from './pglite-template.ts';
import { startWsProxy, type WsProxy } from './ws-proxy.ts';

declare global {
  var __neonWsProxy: WsProxy | undefined;
  var __jestRunDir: string | undefined;
}

/** What `.ci/run` uses; tried when TEST_DATABASE_URL is unset so a plain `npm test` skips nothing on such a machine. */
const MACHINE_POSTGRES = 'postgresql://postgres@127.0.0.1:5432/test';
const PROBE_TIMEOUT_MS = 3_000;

async function answers(url: string, proxy: string): Promise<boolean> {
  const probe = openNeon({ connectionString: url, wsProxy: proxy, max: 1 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS); });
    return await Promise.race([sql`select 1`.execute(probe.db).then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
    // Awaited, so that no socket of the probe is still closing when the proxy closes (the connect timeout bounds it).
    await probe.close().catch(() => {});
  }
}

export default async function globalSetup(): Promise<void> {
  if (!process.env[PGLITE_TEMPLATE_ENV]) {
    const runDir = await mkdtemp(join(tmpdir(), 'tauri-release-jest-'));
    globalThis.__jestRunDir = runDir;
    await mkdir(join(runDir, 'pglite-template'));
    process.env[PGLITE_TEMPLATE_ENV] = join(runDir, 'pglite-template');
    if (!process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = join(runDir, 'compile-cache');
  }
  if (process.env.NEON_WS_PROXY) return;
  const proxy = await startWsProxy();
  if (!process.env.TEST_DATABASE_URL) {
    if (!(await answers(MACHINE_POSTGRES, proxy.address))) {
      await proxy.close();
      return;
    }
    process.env.TEST_DATABASE_URL = MACHINE_POSTGRES;
  }
  globalThis.__neonWsProxy = proxy;
  process.env.NEON_WS_PROXY = proxy.address;
}
