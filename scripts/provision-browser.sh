#!/usr/bin/env bash
# Makes a headless Chromium available for the browser tests (the progress page): Debian's
# `chromium` package, installed when missing. Prints the executable's path. Idempotent.
# CHROMIUM_PATH in the environment (an existing browser) always wins.
set -euo pipefail

log() { printf '[browser] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] || { log "error: CHROMIUM_PATH=$CHROMIUM_PATH is not executable"; exit 1; }
  echo "$CHROMIUM_PATH"
  exit 0
fi
if ! command -v chromium >/dev/null; then
  log "installing Debian's chromium (headless browser for the progress page tests)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
command -v chromium
