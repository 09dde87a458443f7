#!/usr/bin/env bash
# The layout's two rules that a reader should not have to police by hand:
# - dependency-cruiser (.dependency-cruiser.cjs): no import cycles, type imports included, and the arrows between
#   folders point one way;
# - no source file over 400 lines, tests, test support, generated bundles and db/schema.ts aside.
set -euo pipefail
cd "$(dirname "$0")/.."

node .ci/node24.mjs node_modules/dependency-cruiser/bin/dependency-cruiser.mjs --config .dependency-cruiser.cjs \
  --output-type err api db actions test

limit=400
long=$(git ls-files -- 'api/*.ts' 'api/*.tsx' 'api/*.mjs' 'db/*.ts' 'actions/*.ts' '.ci/*.ts' \
  | grep -v -E '\.test\.tsx?$|(^|/|-)testing\.ts$|/dist/|^db/schema\.ts$' \
  | xargs wc -l | awk -v limit="$limit" '$2 != "total" && $1 > limit { print "  " $2 ": " $1 " lines" }')
if [ -n "$long" ]; then
  echo "check-layout: these source files are over $limit lines; split them by concern:" >&2
  echo "$long" >&2
  exit 1
fi
echo "check-layout: no source file over $limit lines"
