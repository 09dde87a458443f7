/**
 * @module pglite-template
 * A first start of the server (`npm start` on an empty DATA_DIR) spends most of its time in PGlite's `initdb` and in
 * running every migration: ~10 s of CPU, more on a busy 2-core machine, in each of the ~30 servers a full test run
 * starts. Under jest (`global-setup.ts` names a folder in TEST_PGLITE_TEMPLATE_DIR), the first server that needs a
 * fresh database builds one such migrated database, in a child process that opens and migrates it exactly as the
 * server would; every fresh server after that starts from its own copy (a copy of a closed PGlite folder is an
 * independent database). Outside jest, or if building it failed, servers initialize their database as `npm start`
 * does. Servers started on a DATA_DIR or DATABASE_URL of the test's own choosing never get a copy.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childNodeEnv } from './child-env.ts';

export const PGLITE_TEMPLATE_ENV = 'TEST_PGLITE_TEMPLATE_DIR';
const BUILD_SCRIPT = fileURLToPath(new URL('./pglite-template-child.ts', import.meta.url));
const WAIT_MS = 240_000;

const exists = (path: string) => stat(path).then(() => true, () => false);

/** Builds the template in `root/data` once; the other callers (any worker) wait for its `ready` or `failed` marker. */
async function templateReady(root: string): Promise<boolean> {
  try {
    await mkdir(join(root, 'building'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      if (await exists(join(root, 'ready'))) return true;
      if (await exists(join(root, 'failed'))) return false;
    }
    return false;
  }
  const building = join(root, 'data.tmp');
  const failure = await new Promise<string | undefined>((resolve) => {
    const child = spawn(process.execPath, ['--liftoff-only', BUILD_SCRIPT, building], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...childNodeEnv() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-4_096); });
    child.once('error', (error) => resolve(error.message));
    child.once('exit', (code) => resolve(code === 0 ? undefined : `exit ${code}: ${stderr.trim()}`));
  });
  if (failure !== undefined) {
    await writeFile(join(root, 'failed'), failure);
    return false;
  }
  await rename(building, join(root, 'data'));
  await writeFile(join(root, 'ready'), '');
  return true;
}

/**
 * Gives `dataDir` (a new, empty DATA_DIR) a copy of the migrated template database when jest provides one.
 * Returns whether it did; when not, the server initializes and migrates its database itself.
 */
export async function seedFromTemplate(dataDir: string): Promise<boolean> {
  const root = process.env[PGLITE_TEMPLATE_ENV];
  if (!root || !(await templateReady(root))) {
    if (root && (await exists(join(root, 'failed')))) {
      console.warn(`no PGlite template (servers initialize their own): ${await readFile(join(root, 'failed'), 'utf8')}`);
    }
    return false;
  }
  await cp(join(root, 'data', 'pglite'), join(dataDir, 'pglite'), { recursive: true });
  return true;
}
