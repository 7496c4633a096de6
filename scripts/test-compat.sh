#!/usr/bin/env bash
# The integration and end-to-end suites against a second MongoDB-wire implementation, SecantusDB
# (PyPI `secantusdb`, WiredTiger-based), so Disparo keeps to what MongoDB-compatible servers share
# and not to the embedded server's quirks. Production guidance stays MongoDB itself.
#
# Installs SecantusDB into a virtual environment (scripts/provision-secantus.sh, once), starts it on
# a free port with a temporary storage directory, removes test vhosts interrupted runs left behind
# (older than 30 min, as `npm test` does), runs the suites with MONGO_URL pointing at it (RabbitMQ as
# usual), then stops it, removes its data and puts back the `.infra.env` it found (provisioning
# writes SecantusDB's URL there, which the command line would read after the server is gone). The
# tests that start wire servers of their own (the embedded server's index tests) still use the
# embedded server. Not in `npm test` / CI yet: SecantusDB hung twice in five full runs (see
# docs/infrastructure.md); `npm run test:compat -- test/e2e/foo.test.ts` runs only the files given.
#
# TEST_COMPAT_PER_FILE=1 gives every test file a SecantusDB of its own (this script runs once per
# file), to tell whether the hangs come from a server's long run; the whole run stays bounded by
# TEST_COMPAT_TIMEOUT_S.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${SECANTUS_PORT:-}"

log() { printf '[compat] %s\n' "$*" >&2; }

if [ "${TEST_COMPAT_PER_FILE:-0}" = 1 ]; then
  [ $# -gt 0 ] || set -- test/integration test/e2e
  files=()
  for dir in "$@"; do
    while IFS= read -r file; do files+=("$file"); done < <(find "$dir" -name '*.test.ts' | sort)
  done
  deadline=$((SECONDS + ${TEST_COMPAT_TIMEOUT_S:-1500}))
  failed=()
  for file in "${files[@]}"; do
    left=$((deadline - SECONDS))
    if [ "$left" -le 0 ]; then
      failed+=("$file (not run: the time bound was reached)")
      continue
    fi
    log "$file on a SecantusDB of its own"
    TEST_COMPAT_PER_FILE=0 TEST_COMPAT_TIMEOUT_S="$left" bash "$0" "$file" || failed+=("$file")
  done
  log "${#files[@]} files, ${#failed[@]} failed"
  for each in "${failed[@]}"; do log "failed: $each"; done
  [ ${#failed[@]} -eq 0 ]
  exit
fi

SECANTUSD="$(bash "$ROOT/scripts/provision-secantus.sh")"
VENV="$(dirname "$(dirname "$SECANTUSD")")"
if [ -z "$PORT" ]; then
  PORT="$("$VENV/bin/python3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
fi
DATA="$(mktemp -d "${TMPDIR:-/tmp}/disparo-secantus-XXXXXX")"
INFRA_ENV="$ROOT/.infra.env"
if [ -f "$INFRA_ENV" ]; then cp -p "$INFRA_ENV" "$DATA.infra.env"; fi
"$SECANTUSD" --host 127.0.0.1 --port "$PORT" --storage-path "$DATA" --log-level WARNING >"$DATA.log" 2>&1 &
SERVER=$!
# A SecantusDB hung inside WiredTiger with its lock held (seen once: one thread spinning in a
# cursor insert, every other one waiting) ignores SIGTERM; it gets 10 s, then SIGKILL.
stop_server() {
  kill "$SERVER" 2>/dev/null || return 0
  (sleep 10 && kill -9 "$SERVER" 2>/dev/null) &
  local killer=$!
  wait "$SERVER" 2>/dev/null || true
  kill "$killer" 2>/dev/null || true
}
cleanup() {
  stop_server
  rm -rf "$DATA" "$DATA.log"
  if [ -f "$DATA.infra.env" ]; then mv -f "$DATA.infra.env" "$INFRA_ENV"; else rm -f "$INFRA_ENV"; fi
}
trap cleanup EXIT
for ((i = 0; i < 240; i++)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$DATA.log" >&2; log "SecantusDB did not start"; exit 1; }
  sleep 0.25
done
log "SecantusDB $("$VENV/bin/pip" show secantusdb 2>/dev/null | sed -n 's/^Version: //p') on 127.0.0.1:$PORT"
# Without retryable writes: SecantusDB 0.7.0b3 keeps a record of every retryable write for 30 min,
# capped at 10,000, and once full it sorts the whole map on every write (transactions.py,
# `_prune_retryable_locked`), so each write cost ~14 ms instead of ~1 ms after the first 10,000 and
# the suite slowed down 4–5x as it went (docs/infrastructure.md). Disparo does not rely on the
# driver retrying a write once after a network error (the only thing this turns off), and no test
# in these suites restarts the database.
# TEST_COMPAT_RETRY_WRITES=1 keeps the driver's default (with TEST_COMPAT_PER_FILE=1, a server of a
# file's own rarely reaches the 10,000 records; the hangs were seen only with retryable writes off).
if [ "${TEST_COMPAT_RETRY_WRITES:-0}" = 1 ]; then
  export MONGO_URL="mongodb://127.0.0.1:$PORT/disparo"
else
  export MONGO_URL="mongodb://127.0.0.1:$PORT/disparo?retryWrites=false"
fi
cd "$ROOT"
# The whole run is bounded apart from the main suite's (both together stay well under 90 min).
export TEST_RUN_TIMEOUT_S="${TEST_COMPAT_TIMEOUT_S:-1500}"
[ $# -gt 0 ] || set -- test/integration test/e2e
bash scripts/with-infra.sh bash -c '
  set -euo pipefail
  tsx test/support/cleanup-vhosts.ts
  CHROMIUM_PATH="$(bash scripts/provision-browser.sh)"; export CHROMIUM_PATH
  echo "[compat] $* on SecantusDB ($MONGO_URL)"
  bash scripts/run-tests.sh "$@"
' compat "$@"
