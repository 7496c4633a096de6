#!/usr/bin/env bash
# Runs the test files under the given folders with node's test runner (one file at a time: the
# timing tests measure the broker, and this machine has 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
files=()
for dir in "$@"; do
  while IFS= read -r file; do files+=("$file"); done < <(find "$dir" -name '*.test.ts' | sort)
done
[ ${#files[@]} -gt 0 ] || { echo "no test files under: $*" >&2; exit 1; }
# No --test-force-exit: it can end a file's process before all its results reach the runner (seen:
# 26 passing results dropped from one run). A worker a failed test left behind is killed by the
# test helpers instead, and the whole run is bounded so a hang fails CI in time rather than silently.
exec timeout --kill-after=30 "${TEST_RUN_TIMEOUT_S:-3600}" \
  node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
