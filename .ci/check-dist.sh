#!/usr/bin/env bash
# Fails when a committed build output differs from what its source builds to: every actions/*/dist/ (npm run
# build:actions) and the dashboard bundle api/_src/ui/dist/ (npm run build:ui).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build:actions
npm run --silent build:ui
built=(':(glob)actions/*/dist/**' 'api/_src/ui/dist')
if ! git diff --quiet --ignore-space-at-eol -- "${built[@]}"; then
  echo "check-dist: these built files are stale; run 'npm run build:actions' / 'npm run build:ui' and commit:" >&2
  git diff --stat --ignore-space-at-eol -- "${built[@]}" >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- "${built[@]}")
if [ -n "$untracked" ]; then
  echo "check-dist: these built files are not committed:" >&2
  echo "$untracked" >&2
  exit 1
fi
echo "check-dist: every actions/*/dist and api/_src/ui/dist is fresh"
