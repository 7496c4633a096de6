#!/usr/bin/env bash
# Runs a command with the npm packages installed, RabbitMQ and the MongoDB-wire server running,
# and their URLs exported (RABBITMQ_URL, RABBITMQ_MANAGEMENT_URL, MONGO_URL), on Node.js 22.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NODE_BIN="$(bash "$ROOT/scripts/ensure-node.sh")"
export PATH="$NODE_BIN:$PATH"
bash "$ROOT/scripts/ensure-deps.sh"
bash "$ROOT/scripts/provision.sh"
set -a
# shellcheck disable=SC1091
. "$ROOT/.infra.env"
set +a
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"
exec "$@"
