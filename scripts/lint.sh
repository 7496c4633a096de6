#!/usr/bin/env bash
# npm run lint: format and lint (Biome), then import boundaries (dependency-cruiser, which needs
# Node 22+: ensure-node.sh provides it when the machine's node is older).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PATH="$(bash "$ROOT/scripts/ensure-node.sh"):$PATH"
cd "$ROOT"
npx biome check .
npx depcruise src consumers publishers --config .dependency-cruiser.cjs
