/**
 * @module pglite-template
 * Databases the tests would otherwise initialize again and again, made once per jest run (`global-setup.ts` names
 * the folder in TEST_PGLITE_TEMPLATE_DIR), each by the first test that needs it, in a child process; tests in other
 * workers wait for it. Outside jest, or if making one failed, everything initializes its own database as before.
 *
 * - `migrated`: a first start of the server (`npm start` on an empty DATA_DIR) spends most of its time in PGlite's
 *   `initdb` and in every migration, ~10 s of CPU and far more on a busy 2-core machine, in each of the ~30 servers a
 *   run starts. Fresh servers start from a copy of one database opened and migrated as the server would (a copy of a
 *   closed PGlite folder is an independent database); servers on a DATA_DIR or DATABASE_URL of the test's own
 *   choosing never get one.
 * - `fresh`: an in-memory `openPGlite()` runs `initdb` each time; `openTestPGlite()` loads a dump of a new database
 *   made with the same start parameters instead (not migrated: tests migrate it themselves, as before).
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DatabaseHandle, openPGlite } from '../../db/connect.ts';
import { childNodeEnv } from './child-env.ts';

export const PGLITE_TEMPLATE_ENV = 'TEST_PGLITE_TEMPLATE_DIR';
const BUILD_SCRIPT = fileURLToPath(new URL('./pglite-template-child.ts', import.meta.url));
const WAIT_MS = 240_000;
type Kind = 'migrated' | 'fresh';

const exists = (path: string) => stat(path).then(() => true, () => false);

/**
 * The path of the `kind` template, made by the first caller of the run (any worker: `mkdir` is the lock); the others
 * wait for its `.ready` or `.failed` marker. Undefined outside jest or when making it failed (said once per caller).
 */
async function template(kind: Kind): Promise<string | undefined> {
  const root = process.env[PGLITE_TEMPLATE_ENV];
  if (!root) return undefined;
  const path = join(root, kind);
  try {
    await mkdir(`${path}.building`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      if (await exists(`${path}.ready`)) return path;
      if (await exists(`${path}.failed`)) {
        console.warn(`no ${kind} PGlite template: ${await readFile(`${path}.failed`, 'utf8')}`);
        return undefined;
      }
    }
    return undefined;
  }
  const failure = await new Promise<string | undefined>((resolve) => {
    const child = spawn(process.execPath, ['--liftoff-only', BUILD_SCRIPT, kind, `${path}.tmp`], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...childNodeEnv() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-4_096); });
    child.once('error', (error) => resolve(error.message));
    child.once('exit', (code) => resolve(code === 0 ? undefined : `exit ${code}: ${stderr.trim()}`));
  });
  if (failure !== undefined) {
    await writeFile(`${path}.failed`, failure);
    console.warn(`no ${kind} PGlite template: ${failure}`);
    return undefined;
  }
  await rename(`${path}.tmp`, path);
  await writeFile(`${path}.ready`, '');
  return path;
}

/**
 * Gives `dataDir` (a new, empty DATA_DIR) a copy of the migrated template database when jest provides one.
 * Returns whether it did; when not, the server initializes and migrates its database itself.
 */
export async function seedFromTemplate(dataDir: string): Promise<boolean> {
  const migrated = await template('migrated');
  if (!migrated) return false;
  await cp(join(migrated, 'pglite'), join(dataDir, 'pglite'), { recursive: true });
  return true;
}

/** `openPGlite()`: a new, empty in-memory database, loaded from the run's dump of one when there is one. */
export async function openTestPGlite(): Promise<DatabaseHandle> {
  const fresh = await template('fresh');
  return fresh ? openPGlite({ loadDataDir: new Blob([await readFile(fresh)]) }) : openPGlite();
}
