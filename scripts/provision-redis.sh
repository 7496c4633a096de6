#!/usr/bin/env bash
# Makes a Redis server answer on loopback for the Bull baseline benchmark (bench/baseline/), then
# prints its URL on stdout (the only line written there). Idempotent: installs Debian's
# redis-server only when missing, starts it only when nothing answers on the port. An existing
# REDIS_URL in the environment wins. Disparo itself does not use Redis.
#
# The server runs on a private port (DISPARO_REDIS_PORT, default 6390), not Debian's 6379, so a
# Redis the machine already runs is left alone. Persistence stays at redis-server's defaults (RDB
# snapshots, no AOF), as a stock install would run it; its files live in the state directory.
set -euo pipefail

STATE_DIR="${DISPARO_STATE_DIR:-$HOME/.cache/disparo}"
REDIS_PORT="${DISPARO_REDIS_PORT:-6390}"
REDIS_DIR="$STATE_DIR/redis-$REDIS_PORT"

log() { printf '[provision-redis] %s\n' "$*" >&2; }
die() { printf '[provision-redis] error: %s\n' "$*" >&2; exit 1; }

if [ -n "${REDIS_URL:-}" ]; then
  log "using REDIS_URL from the environment"
  echo "$REDIS_URL"
  exit 0
fi

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install_redis() {
  log "installing Debian's redis-server"
  if [ ! -f "$STATE_DIR/.apt-updated" ]; then
    as_root apt-get update -qq >&2
    touch "$STATE_DIR/.apt-updated"
  fi
  # Another apt run on the machine holds the lock for a while: wait for it instead of failing.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq redis-server >/dev/null
}

mkdir -p "$STATE_DIR" "$REDIS_DIR"
command -v redis-server >/dev/null || install_redis
command -v redis-server >/dev/null || die "redis-server is not on PATH after installing it"

if ! port_open "$REDIS_PORT"; then
  log "starting redis-server on 127.0.0.1:$REDIS_PORT (data and log in $REDIS_DIR)"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes --daemonize yes \
    --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" >&2
fi

for ((i = 0; i < 120; i++)); do
  if [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; then
    log "Redis: redis://127.0.0.1:$REDIS_PORT"
    echo "redis://127.0.0.1:$REDIS_PORT"
    exit 0
  fi
  sleep 0.25
done
die "redis-server did not answer on 127.0.0.1:$REDIS_PORT within 30 s; see $REDIS_DIR/redis.log"
