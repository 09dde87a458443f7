/**
 * `npm run build:actions [name…]`: bundles each JavaScript action (`actions/<name>/src/index.ts`, plus
 * `src/post.ts` when the action has a post step) into its committed `dist/` with ncc. The output is
 * deterministic, so `.ci/check-dist.sh` can rebuild and diff it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const actionsDir = resolve(import.meta.dirname);
const ncc = join(actionsDir, '..', 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');

function bundle(entry: string, outDir: string): void {
  execFileSync(process.execPath, [ncc, 'build', entry, '-o', outDir, '--minify', '--target', 'es2023', '--quiet', '--license', 'licenses.txt'], {
    stdio: 'inherit',
  });
}

const requested = process.argv.slice(2);
const actions = readdirSync(actionsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(actionsDir, entry.name, 'src', 'index.ts')))
  .map((entry) => entry.name)
  .filter((name) => requested.length === 0 || requested.includes(name));

let failed = false;
for (const name of actions) {
  const dist = join(actionsDir, name, 'dist');
  rmSync(dist, { recursive: true, force: true });
  try {
    bundle(join(actionsDir, name, 'src', 'index.ts'), dist);
    const post = join(actionsDir, name, 'src', 'post.ts');
    if (existsSync(post)) {
      const postOut = join(dist, 'post');
      bundle(post, postOut);
      renameSync(join(postOut, 'index.js'), join(dist, 'post.js'));
      rmSync(postOut, { recursive: true, force: true });
    }
    console.log(`built actions/${name}/dist`);
  } catch {
    console.error(`build:actions: bundling actions/${name} failed; see the compiler output above.`);
    failed = true;
  }
}
if (failed) process.exit(1);
