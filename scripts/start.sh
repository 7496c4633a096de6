#!/usr/bin/env bash
# The main job from a fresh clone: installs, provisions RabbitMQ and the MongoDB-wire server,
# builds, then runs the API and every worker role in one process with a demo campaign on the
# sandbox WhatsApp gateway (Ctrl-C stops it gracefully). DEMO=false skips the demo.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -f "$ROOT/.env" ]; then set -a; . "$ROOT/.env"; set +a; fi
export DEMO="${DEMO:-true}"
export ADMIN_API_KEY="${ADMIN_API_KEY:-admin-$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)}"
bash "$ROOT/scripts/with-infra.sh" bash -c '
  set -euo pipefail
  npm run -s build
  exec node dist/src/cli/disparo.js start
'
