#!/usr/bin/env bash
# Makes a RabbitMQ broker (with the management console) and a MongoDB-wire server answer on
# loopback, then prints their URLs and writes them to .infra.env. Idempotent: what is installed is
# reused, what already runs is left alone. An existing RABBITMQ_URL / MONGO_URL always wins.
#
# RabbitMQ: Debian's rabbitmq-server. MongoDB wire: mongo-java-server with its H2 backend, from
# Maven Central (MongoDB itself cannot be installed on this machine kind, and FerretDB v1 does not
# apply conditional updates atomically; see docs/infrastructure.md).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE_DIR="${DISPARO_STATE_DIR:-$HOME/.cache/disparo}"
MONGO_WIRE_SRC="$ROOT/scripts/mongo-wire"
# The build is cached per content of the sources (the server and its unit test).
MONGO_WIRE_SOURCES=("$MONGO_WIRE_SRC/pom.xml" "$MONGO_WIRE_SRC"/*.java "$MONGO_WIRE_SRC"/test/*.java)
MONGO_WIRE_HOME="$STATE_DIR/mongo-wire-$(cat "${MONGO_WIRE_SOURCES[@]}" | sha256sum | cut -c1-12)"
# One H2 file per database (NAME.mv) in this directory.
MONGO_DATA="$STATE_DIR/mongo-data/dbs"
MONGO_HEAP="${DISPARO_MONGO_HEAP:-3g}"
# JVM options of the wire server (docs/infrastructure.md: garbage collection); empty: the JVM defaults.
MONGO_JAVA_OPTS="${DISPARO_MONGO_JAVA_OPTS-}"
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
    # Disparo's node settings (one quorum queue per number: the quorum-queue tick, file handles;
    # docs/infrastructure.md) unless the machine has its own advanced.config; the open-files limit
    # raised to the hard one to match. A broker already running is left as it is.
    if [ ! -e /etc/rabbitmq/advanced.config ]; then
      as_root install -m 644 "$ROOT/scripts/rabbitmq/advanced.config" /etc/rabbitmq/advanced.config
    fi
    log "starting rabbitmq-server"
    as_root sh -c 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec rabbitmq-server -detached'
  fi
  # A freshly launched node is not reachable at once, and recovering many quorum queues takes a
  # while: keep asking until it answers (up to 3 minutes).
  local i
  for ((i = 0; i < 90; i++)); do
    as_root rabbitmqctl await_startup --timeout 10 >/dev/null 2>&1 && break
    sleep 2
  done
  as_root rabbitmqctl await_startup --timeout 5 >/dev/null 2>&1 ||
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

build_mongo_wire() {
  command -v javac >/dev/null || apt_install default-jdk-headless
  command -v mvn >/dev/null || apt_install maven
  log "building the MongoDB-wire server (mongo-java-server; first time only)"
  local build
  build="$(mktemp -d)"
  mvn -q -B -f "$MONGO_WIRE_SRC/pom.xml" dependency:copy-dependencies -DoutputDirectory="$build/lib" >&2
  javac -nowarn -cp "$build/lib/*" -d "$build/classes" "$MONGO_WIRE_SRC"/*.java "$MONGO_WIRE_SRC"/test/*.java
  rm -rf "$MONGO_WIRE_HOME"
  mv "$build" "$MONGO_WIRE_HOME"
}

ensure_mongo() {
  if [ -n "${MONGO_URL:-}" ]; then
    log "using MONGO_URL from the environment"
    return
  fi
  if ! port_open "$MONGO_PORT"; then
    mkdir -p "$MONGO_DATA"
    log "starting the MongoDB-wire server on 127.0.0.1:$MONGO_PORT (H2 files in $MONGO_DATA)"
    # shellcheck disable=SC2086 # the options are words
    nohup java -Xmx"$MONGO_HEAP" $MONGO_JAVA_OPTS -cp "$MONGO_WIRE_HOME/classes:$MONGO_WIRE_HOME/lib/*" MongoWire \
      127.0.0.1 "$MONGO_PORT" "$MONGO_DATA" >"$STATE_DIR/mongo-wire.log" 2>&1 &
    echo $! >"$STATE_DIR/mongo-wire.pid"
  fi
  # It compacts its files and builds its in-memory indexes before it listens: large data takes a while.
  wait_for_port "$MONGO_PORT" "the MongoDB-wire server" 600
  MONGO_URL="mongodb://127.0.0.1:$MONGO_PORT/disparo"
}

mkdir -p "$STATE_DIR"
ensure_rabbitmq
# The build is needed even when a server already answers: tests start servers of their own.
if [ -z "${MONGO_URL:-}" ] || command -v javac >/dev/null; then
  [ -d "$MONGO_WIRE_HOME/classes" ] || build_mongo_wire
fi
ensure_mongo

cat >"$ROOT/.infra.env" <<ENV
RABBITMQ_URL=$RABBITMQ_URL
RABBITMQ_MANAGEMENT_URL=${RABBITMQ_MANAGEMENT_URL:-}
MONGO_URL=$MONGO_URL
MONGO_WIRE_HOME=$MONGO_WIRE_HOME
MONGO_JAVA_OPTS="$MONGO_JAVA_OPTS"
ENV
log "RabbitMQ:            $RABBITMQ_URL"
log "RabbitMQ console:    ${RABBITMQ_MANAGEMENT_URL:-(not provisioned here)}"
log "MongoDB wire:        $MONGO_URL"
