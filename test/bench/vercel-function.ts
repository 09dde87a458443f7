/**
 * @module bench/vercel-function
 * The built Vercel function (`npm run build:vercel`'s .vercel/output/functions/index.func/index.js) served as
 * Vercel's Node.js launcher serves it: its default export, a `(req, res)` listener, under `node:http`, in its own
 * process. Configured from the environment like on Vercel (DATABASE_URL, the S3 settings), so it must be given
 * the shared data (shared-data.ts).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/server.ts';
import { type Service, startService, waitForOk } from './process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUILT_FUNCTION_DIR = join(ROOT, '.vercel', 'output', 'functions', 'index.func');

/** Runs `npm run build:vercel` (bounded), so the bench measures the code as it is. */
export function buildVercelFunction(): void {
  execFileSync(process.execPath, [join(ROOT, 'api', '_src', 'deploy', 'build-vercel.ts')], { cwd: ROOT, stdio: 'pipe', timeout: 300_000 });
}

export interface RunningFunction {
  service: Service;
  url: string;
}

/** Serves `dir`'s `index.js` on a free loopback port, waiting until `/health` answers. */
export async function startVercelFunction(name: string, dir: string, env: Record<string, string>): Promise<RunningFunction> {
  const port = await freePort();
  const host = `import http from 'node:http'; const { default: handler } = await import(${JSON.stringify(join(dir, 'index.js'))});
    http.createServer(handler).listen(${port}, '127.0.0.1');`;
  const service = startService(name, process.execPath, ['--input-type=module', '-e', host], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(service, `${url}/health`, 60_000);
  return { service, url };
}
