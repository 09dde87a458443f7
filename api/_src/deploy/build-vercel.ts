/**
 * `npm run build:vercel` (Vercel's build command, see vercel.json): bundles the control plane into one
 * Node.js function with ncc and writes it in the Build Output API layout (.vercel/output), which Vercel's
 * static-build step adopts as it is. The source lives under api/_src/ because Vercel's zero-config would make a
 * function of every other file under api/; `.ci/vercel-build-check.sh` runs the real `vercel build` and fails
 * unless the result is this one function, with response streaming on.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');
const output = join(root, '.vercel', 'output');
const functionDir = join(output, 'functions', 'index.func');

// Only what this script writes: under `vercel build` the CLI has already put its builds.json beside them.
rmSync(join(output, 'functions'), { recursive: true, force: true });
rmSync(join(output, 'config.json'), { force: true });
mkdirSync(functionDir, { recursive: true });
try {
  execFileSync(process.execPath, [join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'), 'build',
    join(root, 'api/_src/deploy/vercel-function.ts'), '-o', functionDir, '--minify', '--target', 'es2023', '--quiet'],
  { stdio: 'inherit', cwd: root });
} catch {
  console.error('build:vercel: bundling the function failed; see the compiler output above.');
  process.exit(1);
}

writeFileSync(join(functionDir, '.vc-config.json'), JSON.stringify({
  runtime: 'nodejs24.x',
  handler: 'index.js',
  launcherType: 'Nodejs',
  shouldAddHelpers: false,
  supportsResponseStreaming: true,
}, null, 2));
writeFileSync(join(output, 'config.json'), JSON.stringify({
  version: 3,
  routes: [{ src: '/(.*)', dest: '/index' }],
}, null, 2));
console.log(`Vercel build output written to ${output}`);
