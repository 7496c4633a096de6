#!/usr/bin/env bash
# Installs the npm packages exactly as locked, unless node_modules already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.disparo-lock-hash
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "[deps] npm ci" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
echo "$want" >"$stamp"
