#!/usr/bin/env bash
# The main job from a fresh clone: installs, provisions RabbitMQ and the MongoDB-wire server,
# builds, then runs the API and every worker role in one process (Ctrl-C stops it gracefully).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -f "$ROOT/.env" ]; then set -a; . "$ROOT/.env"; set +a; fi
bash "$ROOT/scripts/with-infra.sh" bash -c '
  set -euo pipefail
  tsc -p tsconfig.json
  exec node dist/src/cli/disparo.js start
'
