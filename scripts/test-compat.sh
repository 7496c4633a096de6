#!/usr/bin/env bash
# The integration and end-to-end suites against a second MongoDB-wire implementation, SecantusDB
# (PyPI `secantusdb`, WiredTiger-based), so Disparo keeps to what MongoDB-compatible servers share
# and not to the embedded server's quirks. Production guidance stays MongoDB itself.
#
# The last part of `npm test` (so of `.ci/run`), after the main suite. Installs SecantusDB into a virtual
# environment (scripts/provision-secantus.sh, once) and runs each test file on a SecantusDB of its
# own (a free port, a temporary storage directory; this script runs itself once per file): one
# server for the whole run hung twice in five full runs, inside WiredTiger, and slowed down as its
# retryable-write records piled up (docs/infrastructure.md). Removes test vhosts interrupted runs
# left behind (older than 30 min, as `npm test` does), runs the file with MONGO_URL pointing at the
# server (RabbitMQ as usual), then stops it and removes its data. Provisioning runs once, before
# any MONGO_URL points at SecantusDB, so `.infra.env` keeps the embedded server's URL. The tests
# that start wire servers of their own (the embedded server's index tests) still use the embedded
# server. `npm run test:compat -- test/e2e/foo.test.ts` runs only the files given; the whole run is
# bounded by TEST_COMPAT_TIMEOUT_S (1800 s), each file by TEST_COMPAT_FILE_TIMEOUT_S (600 s).
#
# A watchdog (test/support/compat-watchdog.ts) writes and reads on the server every 5 s; one that
# answers nothing for 60 s has hung (SecantusDB's defect, not a test's failure): it is killed and the
# file runs once more on a new server, and the summary says how many times that happened. A test
# that fails is never run again.
#
# TEST_COMPAT_PER_FILE=0 runs every file on one server; TEST_COMPAT_RETRY_WRITES=0 turns the
# driver's retryable writes off (the cure for the one server's slowdown, below).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SELF="$ROOT/scripts/$(basename "$0")"
cd "$ROOT"
# How one file's run says its SecantusDB hung (test/support/compat-watchdog.ts killed it).
HUNG_EXIT=75

log() { printf '[compat] %s\n' "$*" >&2; }

# Once for the whole run: Node 22, the packages, RabbitMQ (and the embedded server, which the tests
# that start wire servers of their own use) provisioned, their URLs exported; SecantusDB installed;
# old test vhosts removed; the browser found. Then each file needs only its own server.
if [ -z "${DISPARO_COMPAT_READY:-}" ]; then
  exec bash scripts/with-infra.sh bash -c '
    set -euo pipefail
    tsx test/support/cleanup-vhosts.ts
    CHROMIUM_PATH="$(bash scripts/provision-browser.sh)"; export CHROMIUM_PATH
    SECANTUSD="$(bash scripts/provision-secantus.sh)"; export SECANTUSD
    DISPARO_COMPAT_READY=1 exec bash "$0" "$@"
  ' "$SELF" "$@"
fi
VENV="$(dirname "$(dirname "$SECANTUSD")")"

if [ "${TEST_COMPAT_PER_FILE:-1}" = 1 ] && [ -z "${DISPARO_COMPAT_ONE_FILE:-}" ]; then
  [ $# -gt 0 ] || set -- test/integration test/e2e
  files=()
  for dir in "$@"; do
    while IFS= read -r file; do files+=("$file"); done < <(find "$dir" -name '*.test.ts' | sort)
  done
  log "SecantusDB $("$VENV/bin/pip" show secantusdb 2>/dev/null | sed -n 's/^Version: //p'): ${#files[@]} test files, each on a server of its own"
  deadline=$((SECONDS + ${TEST_COMPAT_TIMEOUT_S:-1800}))
  failed=()
  hangs=0
  for file in "${files[@]}"; do
    for attempt in 1 2; do
      left=$((deadline - SECONDS))
      if [ "$left" -le 0 ]; then
        failed+=("$file (not run: the time bound was reached)")
        break
      fi
      # One file is bounded too (TEST_COMPAT_FILE_TIMEOUT_S, 600 s: the longest takes ~65 s), so a
      # file whose process never ends fails alone and the files after it still run.
      bound=$((left < ${TEST_COMPAT_FILE_TIMEOUT_S:-600} ? left : ${TEST_COMPAT_FILE_TIMEOUT_S:-600}))
      rc=0
      DISPARO_COMPAT_ONE_FILE=1 TEST_COMPAT_TIMEOUT_S="$bound" bash "$SELF" "$file" || rc=$?
      [ "$rc" -eq 0 ] && break
      # A server that hung (the watchdog's exit code) gets the file once more on a new one; a
      # failed test never does.
      if [ "$rc" -eq "$HUNG_EXIT" ] && [ "$attempt" -eq 1 ]; then
        hangs=$((hangs + 1))
        log "SecantusDB hung during $file (not a test failure): running it once more on a new server"
        continue
      fi
      # (Not `failed+=("$file$(…)")`: under `set -e` an assignment takes its command substitution's
      # status, and a false test there ended the whole run at its first failed file, unreported.)
      note=''
      if [ "$rc" -eq "$HUNG_EXIT" ]; then note=' (SecantusDB hung twice)'; fi
      failed+=("$file$note")
      break
    done
  done
  log "${#files[@]} files, ${#failed[@]} failed, SecantusDB hung $hangs times"
  for each in "${failed[@]}"; do log "failed: $each"; done
  [ ${#failed[@]} -eq 0 ]
  exit
fi

# One server for the files given (one file, from the loop above; or all, TEST_COMPAT_PER_FILE=0).
PORT="${SECANTUS_PORT:-$("$VENV/bin/python3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')}"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/disparo-secantus-XXXXXX")"
"$SECANTUSD" --host 127.0.0.1 --port "$PORT" --storage-path "$DATA" --log-level WARNING >"$DATA.log" 2>&1 &
SERVER=$!
# A SecantusDB hung inside WiredTiger with its lock held (one thread spinning in a cursor insert,
# every other one waiting) ignores SIGTERM; it gets 10 s, then SIGKILL.
stop_server() {
  kill "$SERVER" 2>/dev/null || return 0
  (sleep 10 && kill -9 "$SERVER" 2>/dev/null) &
  local killer=$!
  wait "$SERVER" 2>/dev/null || true
  kill "$killer" 2>/dev/null || true
}
cleanup() {
  stop_server
  rm -rf "$DATA" "$DATA.log" "$DATA.hung" "$DATA.hung.ready"
}
trap cleanup EXIT
for ((i = 0; i < 240; i++)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$DATA.log" >&2; log "SecantusDB did not start"; exit 1; }
  sleep 0.25
done
# Retryable writes stay on (the driver's default, as in production): a server of one file's own
# rarely reaches the 10,000 records that slowed one server for the whole run down. SecantusDB
# 0.7.0b3 keeps a record of every retryable write for 30 min, capped at 10,000, and once full it
# sorts the whole map on every write (transactions.py, `_prune_retryable_locked`): ~14 ms a write
# instead of ~1 ms, the suite 4–5x slower as it went (docs/infrastructure.md).
# TEST_COMPAT_RETRY_WRITES=0 turns them off (Disparo does not rely on the driver retrying a write
# once after a network error, the only thing that changes).
if [ "${TEST_COMPAT_RETRY_WRITES:-1}" = 1 ]; then
  export MONGO_URL="mongodb://127.0.0.1:$PORT/disparo"
else
  export MONGO_URL="mongodb://127.0.0.1:$PORT/disparo?retryWrites=false"
fi
# The whole run is bounded apart from the main suite's (both together stay under 90 min).
export TEST_RUN_TIMEOUT_S="${TEST_COMPAT_TIMEOUT_S:-1800}"
[ $# -gt 0 ] || set -- test/integration test/e2e
log "$* on SecantusDB ($MONGO_URL)"
tsx test/support/compat-watchdog.ts "$MONGO_URL" "$SERVER" "$DATA.hung" &
WATCHDOG=$!
# The tests start once the watchdog has had its first answer (its start-up no longer overlaps theirs;
# the server has answered once). Not waited for longer than 60 s: the watchdog then judges the server.
for ((i = 0; i < 300; i++)); do
  [ -f "$DATA.hung.ready" ] && break
  kill -0 "$WATCHDOG" 2>/dev/null || break
  sleep 0.2
done
rc=0
bash scripts/run-tests.sh "$@" || rc=$?
stop_server
wait "$WATCHDOG" 2>/dev/null || true
if [ -f "$DATA.hung" ]; then
  log "$(cat "$DATA.hung")"
  exit "$HUNG_EXIT"
fi
exit "$rc"
