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
# --test-force-exit: a file whose tests are done exits even if a failed test left a child process or
# a socket open, so a failure is reported instead of the run hanging until CI's time runs out.
exec node --import tsx --test --test-concurrency=1 --test-force-exit --test-reporter=spec "${files[@]}"
