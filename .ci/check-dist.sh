#!/usr/bin/env bash
# Fails when a committed actions/*/dist/ differs from what its source builds to.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build:actions
if ! git diff --quiet --ignore-space-at-eol -- ':(glob)actions/*/dist/**'; then
  echo "check-dist: these actions/*/dist files are stale; run 'npm run build:actions' and commit:" >&2
  git diff --stat --ignore-space-at-eol -- ':(glob)actions/*/dist/**' >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- ':(glob)actions/*/dist/**')
if [ -n "$untracked" ]; then
  echo "check-dist: these built files are not committed:" >&2
  echo "$untracked" >&2
  exit 1
fi
echo "check-dist: every actions/*/dist is fresh"
