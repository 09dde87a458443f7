/**
 * `npm run build:actions [name…]`: bundles each JavaScript action (`actions/<name>/src/index.ts`, plus
 * `src/post.ts` when the action has a post step) into its committed `dist/` with ncc. The output is
 * deterministic, so `.ci/check-dist.sh` can rebuild and diff it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const actionsDir = resolve(import.meta.dirname);
const ncc = join(actionsDir, '..', 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');

const run = promisify(execFile);

async function bundle(entry: string, outDir: string): Promise<void> {
  try {
    await run(process.execPath, [ncc, 'build', entry, '-o', outDir, '--minify', '--target', 'es2023', '--quiet', '--license', 'licenses.txt'], { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    process.stderr.write(`${stdout}${stderr}`);
    throw error;
  }
}

const requested = process.argv.slice(2);
const actions = readdirSync(actionsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(actionsDir, entry.name, 'src', 'index.ts')))
  .map((entry) => entry.name)
  .filter((name) => requested.length === 0 || requested.includes(name));

async function build(name: string): Promise<boolean> {
  const dist = join(actionsDir, name, 'dist');
  rmSync(dist, { recursive: true, force: true });
  try {
    await bundle(join(actionsDir, name, 'src', 'index.ts'), dist);
    const post = join(actionsDir, name, 'src', 'post.ts');
    if (existsSync(post)) {
      const postOut = join(dist, 'post');
      await bundle(post, postOut);
      renameSync(join(postOut, 'index.js'), join(dist, 'post.js'));
      rmSync(postOut, { recursive: true, force: true });
    }
    console.log(`built actions/${name}/dist`);
    return true;
  } catch {
    console.error(`build:actions: bundling actions/${name} failed; see the compiler output above.`);
    return false;
  }
}

// One ncc per core: each bundle is single-threaded, and CI rebuilds them all to check dist/ is fresh.
const queue = [...actions];
const results = await Promise.all(
  Array.from({ length: Math.min(availableParallelism(), queue.length) }, async () => {
    let ok = true;
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) ok = (await build(name)) && ok;
    return ok;
  }),
);
if (results.includes(false)) process.exit(1);
