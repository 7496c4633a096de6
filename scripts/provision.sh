#!/usr/bin/env bash
# Makes a RabbitMQ broker (with the management console) and a MongoDB-wire server answer on
# loopback, then prints their URLs and writes them to .infra.env. Idempotent: what is installed is
# reused, what already runs is left alone. An existing RABBITMQ_URL / MONGO_URL always wins.
#
# RabbitMQ: Debian's rabbitmq-server. MongoDB wire: FerretDB v1 on SQLite, built from the Go module
# proxy (MongoDB itself cannot be installed on this machine kind; see docs/infrastructure.md).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE_DIR="${DISPARO_STATE_DIR:-$HOME/.cache/disparo}"
FERRETDB_VERSION="v1.24.2"
FERRETDB_BIN="$STATE_DIR/bin/ferretdb-$FERRETDB_VERSION"
FERRETDB_DATA="$STATE_DIR/ferretdb-data"
MONGO_PORT="${DISPARO_MONGO_PORT:-27017}"
AMQP_PORT=5672
MANAGEMENT_PORT=15672

log() { printf '[provision] %s\n' "$*" >&2; }
die() { printf '[provision] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() { # port, what, seconds
  local i
  for ((i = 0; i < $3 * 4; i++)); do
    port_open "$1" && return 0
    sleep 0.25
  done
  die "$2 did not answer on 127.0.0.1:$1 within $3 s"
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  log "installing Debian packages: $*"
  if [ ! -f "$STATE_DIR/.apt-updated" ]; then
    as_root apt-get update -qq
    mkdir -p "$STATE_DIR" && touch "$STATE_DIR/.apt-updated"
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_rabbitmq() {
  if [ -n "${RABBITMQ_URL:-}" ]; then
    log "using RABBITMQ_URL from the environment"
    return
  fi
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  if ! port_open "$AMQP_PORT"; then
    as_root rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
    log "starting rabbitmq-server"
    as_root rabbitmq-server -detached
  fi
  as_root rabbitmqctl await_startup --timeout 120 >/dev/null 2>&1 ||
    die "rabbitmq-server did not start; see /var/log/rabbitmq/"
  # Quorum delay queues dead-letter at-least-once, which needs the stream_queue feature flag.
  as_root rabbitmqctl enable_feature_flag all >/dev/null 2>&1 || true
  if ! port_open "$MANAGEMENT_PORT"; then
    as_root rabbitmq-plugins enable rabbitmq_management >/dev/null
  fi
  wait_for_port "$MANAGEMENT_PORT" "the RabbitMQ management console" 60
  RABBITMQ_URL="amqp://guest:guest@127.0.0.1:$AMQP_PORT"
  RABBITMQ_MANAGEMENT_URL="${RABBITMQ_MANAGEMENT_URL:-http://guest:guest@127.0.0.1:$MANAGEMENT_PORT}"
}

build_ferretdb() {
  command -v go >/dev/null || apt_install golang-go
  log "building FerretDB $FERRETDB_VERSION (first time only, about a minute)"
  local gomodcache src
  go mod download "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" >/dev/null 2>&1 ||
    (cd "$(mktemp -d)" && go mod init tmp >/dev/null 2>&1 &&
      go mod download "github.com/FerretDB/FerretDB@$FERRETDB_VERSION")
  gomodcache="$(go env GOMODCACHE)"
  src="$(mktemp -d)"
  cp -r "$gomodcache/github.com/!ferret!d!b/!ferret!d!b@$FERRETDB_VERSION/." "$src/"
  chmod -R u+w "$src"
  # The module zip lacks the generated version file that FerretDB's own build writes.
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  mkdir -p "$(dirname "$FERRETDB_BIN")"
  (cd "$src" && go build -o "$FERRETDB_BIN" ./cmd/ferretdb)
  rm -rf "$src"
}

ensure_mongo() {
  if [ -n "${MONGO_URL:-}" ]; then
    log "using MONGO_URL from the environment"
    return
  fi
  if ! port_open "$MONGO_PORT"; then
    [ -x "$FERRETDB_BIN" ] || build_ferretdb
    mkdir -p "$FERRETDB_DATA"
    log "starting FerretDB on 127.0.0.1:$MONGO_PORT (SQLite in $FERRETDB_DATA)"
    nohup "$FERRETDB_BIN" --handler=sqlite --sqlite-url="file:$FERRETDB_DATA/" \
      --listen-addr="127.0.0.1:$MONGO_PORT" --debug-addr=127.0.0.1:0 \
      --telemetry=disable --log-level=warn >"$STATE_DIR/ferretdb.log" 2>&1 &
    echo $! >"$STATE_DIR/ferretdb.pid"
  fi
  wait_for_port "$MONGO_PORT" "the MongoDB-wire server" 60
  MONGO_URL="mongodb://127.0.0.1:$MONGO_PORT/disparo"
}

mkdir -p "$STATE_DIR"
ensure_rabbitmq
ensure_mongo

cat >"$ROOT/.infra.env" <<ENV
RABBITMQ_URL=$RABBITMQ_URL
RABBITMQ_MANAGEMENT_URL=${RABBITMQ_MANAGEMENT_URL:-}
MONGO_URL=$MONGO_URL
ENV
log "RabbitMQ:            $RABBITMQ_URL"
log "RabbitMQ console:    ${RABBITMQ_MANAGEMENT_URL:-(not provisioned here)}"
log "MongoDB wire:        $MONGO_URL"
