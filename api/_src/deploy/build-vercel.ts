/**
 * `npm run build:vercel` (Vercel's build command, see vercel.json): bundles the control plane into one
 * Node.js function with esbuild and writes it in the Build Output API layout (.vercel/output), which Vercel's
 * static-build step adopts as it is. The source lives under api/_src/ because Vercel's zero-config would make a
 * function of every other file under api/; `.ci/vercel-build-check.sh` runs the real `vercel build` and fails
 * unless the result is this one function, with response streaming on.
 *
 * esbuild rather than ncc (which packs the actions): the function is ES modules split into chunks, so what a cold
 * start does not need (the Hono app and its routes, the AWS SDK, the dashboard) is a separate file loaded on first
 * use, and every chunk is tree-shaken and minified; `npm run bench:cold-start` measures the import.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '../../..');
const output = join(root, '.vercel', 'output');
const functionDir = join(output, 'functions', 'index.func');

// Only what this script writes: under `vercel build` the CLI has already put its builds.json beside them.
rmSync(join(output, 'functions'), { recursive: true, force: true });
rmSync(join(output, 'config.json'), { force: true });
mkdirSync(functionDir, { recursive: true });
try {
  await build({
    entryPoints: { index: join(root, 'api/_src/deploy/vercel-function.ts') },
    outdir: functionDir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    minify: true,
    logLevel: 'warning',
    // CommonJS dependencies bundled into ES modules still call require() for Node's own modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
} catch {
  console.error('build:vercel: bundling the function failed; see the errors above.');
  process.exit(1);
}

writeFileSync(join(functionDir, 'package.json'), JSON.stringify({ type: 'module' }));
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
