#!/usr/bin/env node
// The `tauri-release` command (package.json "bin"). The CLI is TypeScript, which Node ≥ 24 runs as it is (type
// stripping); under an older Node this re-runs it through .ci/node24.mjs, as `npm start` does, which fetches Node 24
// from the npm registry once and installs the locked dependencies on first use. Only Node built-ins here.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('./run.ts', import.meta.url));
if (Number(process.versions.node.split('.')[0]) >= 24) {
  await import(entry);
} else {
  const launcher = fileURLToPath(new URL('../../../.ci/node24.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [launcher, entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.error) {
    console.error(`error: internal: could not start ${launcher}: ${result.error.message}`);
    process.exit(70);
  }
  process.exit(result.status ?? 1);
}
