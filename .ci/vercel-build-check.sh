#!/usr/bin/env bash
# Builds the repository the way Vercel does (`vercel build`, offline) and fails unless the result is EXACTLY ONE
# function, on Node.js 24 with response streaming, that every path routes to.
#
#   .ci/vercel-build-check.sh [repo-dir]        (default: the repository holding this script)
#
# Why: Vercel's zero-config turns every api/**/*.{js,mjs,ts,tsx} outside `_`/`.` segments into a function of its
# own, next to the one our build command (vercel.json → `npm run build:vercel`) writes to .vercel/output.
#
# Offline notes (vercel@58.10.0):
# - The CLI needs .vercel/project.json with `projectId`, `orgId` AND a `settings` object (`{}` is enough; the build
#   and install commands come from vercel.json). Without `settings` it tries to pull them from the API and, when
#   that fails, exits 0 having built nothing; so this script wipes .vercel/output first and checks the output only.
# - A private global config dir whose auth.json holds a placeholder userId stops the CLI from looking the user up
#   on api.vercel.com (four retries, ~7 s, even with telemetry off). The CLI deletes that file whenever it does
#   talk to the API, so it is rewritten on every run.
# - `vercel build` runs vercel.json's installCommand itself (about 1 s when node_modules is current).
set -euo pipefail

VERCEL_VERSION=58.10.0
say() { echo "vercel-build-check: $*"; }
fail() { echo "vercel-build-check: FAIL: $*" >&2; exit 1; }

repo=${1:-"$(dirname "$0")/.."}
cd "$repo" || fail "no such directory: $repo"
repo=$(pwd)
[ -f package.json ] && [ -f vercel.json ] || fail "$repo has no package.json and vercel.json"
start=$SECONDS

# Node 24 on PATH, so that the CLI, the install command and the build command all run under the runtime the
# function is declared for (.ci/node24.mjs fetches it into .cache/ on machines with an older Node).
if [ -f .ci/node24.mjs ]; then
  node_bin=$(node .ci/node24.mjs -p 'require("node:path").dirname(process.execPath)' | tail -n 1) || fail "could not get Node 24"
  export PATH="$node_bin:$PATH"
fi
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 24 ] || say "warning: running under Node $(node -v), not 24"

# The CLI, once per machine (about 30 s, 256 MB), in the user's cache folder, so that each clean clone CI checks out
# reuses it; installed again whenever its version is not VERCEL_VERSION.
cli_dir="${XDG_CACHE_HOME:-${HOME:-$repo}/.cache}/tauri-release/vercel-cli-$VERCEL_VERSION"
cli="$cli_dir/node_modules/vercel/dist/index.js"
installed=$(node -p "try { require('$cli_dir/node_modules/vercel/package.json').version } catch { '' }")
if [ "$installed" != "$VERCEL_VERSION" ]; then
  say "installing vercel@$VERCEL_VERSION into $cli_dir…"
  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix "$cli_dir" \
    "vercel@$VERCEL_VERSION" >/dev/null || fail "npm install vercel@$VERCEL_VERSION failed"
fi
install_secs=$((SECONDS - start))

# The project link `vercel build` needs; a placeholder, since nothing is fetched from Vercel.
mkdir -p .vercel
if [ ! -f .vercel/project.json ]; then
  echo '{"projectId":"prj_local","orgId":"team_local","settings":{}}' > .vercel/project.json
elif ! node -e 'process.exit(typeof require(process.argv[1]).settings === "object" ? 0 : 1)' "$repo/.vercel/project.json"; then
  fail ".vercel/project.json has no \"settings\"; vercel build would try to pull them from the API (run 'vercel pull' or delete the file)"
fi
global_dir="$cli_dir/global"
mkdir -p "$global_dir"
echo '{"userId":"local"}' > "$global_dir/auth.json"

rm -rf .vercel/output
log="$cli_dir/build.log"
build_start=$SECONDS
set +e
VERCEL_TELEMETRY_DISABLED=1 NO_UPDATE_NOTIFIER=1 node "$cli" build --yes --global-config "$global_dir" </dev/null 2>&1 \
  | tee "$log" | grep -v -E '^npm warn (EBADENGINE|install-scripts)'
status=${PIPESTATUS[0]}
set -e
build_secs=$((SECONDS - build_start))
[ "$status" -eq 0 ] || fail "vercel build exited $status (log: $log)"

# The checks, on the CLI's final .vercel/output (it rewrites config.json after the build command has run).
verdict=$(node - "$repo/.vercel/output" <<'JS'
const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');
const out = process.argv[2];
const bad = (why) => { console.log(`FAIL: ${why}`); process.exit(1); };
const readJson = (file) => { try { return JSON.parse(readFileSync(file, 'utf8')); } catch (e) { bad(`${relative(out, file) || file}: ${e.message}`); } };
if (!existsSync(join(out, 'config.json'))) bad('vercel build wrote no .vercel/output/config.json (nothing was built)');

const funcs = [];
const walk = (dir) => {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (entry.name.endsWith('.func')) funcs.push(path);
    walk(path);
  }
};
walk(join(out, 'functions'));
const names = funcs.map((f) => relative(join(out, 'functions'), f));
if (funcs.length !== 1) bad(`expected exactly 1 function, found ${funcs.length}: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}`);
const [func] = funcs, [name] = names;

const vc = readJson(join(func, '.vc-config.json'));
if (vc.runtime !== 'nodejs24.x') bad(`${name}: runtime is ${JSON.stringify(vc.runtime)}, not "nodejs24.x"`);
if (vc.supportsResponseStreaming !== true) bad(`${name}: supportsResponseStreaming is ${JSON.stringify(vc.supportsResponseStreaming)}, not true`);
if (!vc.handler || !statSync(join(func, vc.handler), { throwIfNoEntry: false })?.isFile()) bad(`${name}: handler ${JSON.stringify(vc.handler)} is not a file in the function`);

// Routing: the first route that decides anything must send every path to the function. Routes after a
// `handle` phase marker (the CLI appends `handle: error` + a 404 page) never see a request it matched.
const config = readJson(join(out, 'config.json'));
if (config.version !== 3) bad(`config.json version is ${JSON.stringify(config.version)}, not 3`);
const dest = '/' + name.replace(/\.func$/, '');
const routes = Array.isArray(config.routes) ? config.routes : [];
const first = routes.find((r) => !(r.continue && r.dest === undefined && r.status === undefined && !r.handle));
if (!first || first.handle) bad(`config.json: no route before ${first ? `"handle": "${first.handle}"` : 'the end'} sends paths to ${dest}`);
const re = new RegExp(`^(?:${first.src.replace(/^\^/, '').replace(/\$$/, '')})$`);
const samples = ['/', '/api/v1/x', '/update/app/darwin-aarch64/1.0.0', '/a/b.css', '/_x/.y', '/index'];
const missed = samples.filter((p) => !re.test(p));
if (missed.length || first.dest !== dest || first.status !== undefined || first.continue) {
  bad(`config.json: first route ${JSON.stringify(first)} does not send every path to ${dest}${missed.length ? ` (misses ${missed.join(' ')})` : ''}`);
}
console.log(`OK: 1 function (${name}, ${vc.runtime}, supportsResponseStreaming), all paths → ${dest}`);
JS
) || fail "${verdict#FAIL: }"
say "$verdict [vercel@$VERCEL_VERSION; CLI install ${install_secs}s, build ${build_secs}s]"
