#!/usr/bin/env bash
# Makes SecantusDB (PyPI `secantusdb`, a WiredTiger-based MongoDB-wire server) available for
# `npm run test:compat`: a Python virtual environment in ~/.cache/disparo/secantus-venv with the
# pinned version installed, created once. Installs Debian's python3 and python3-venv when the machine
# lacks them (a fresh Debian has python3 without the venv module). Prints the server's executable.
# SECANTUS_VERSION picks another release (a pre-release: the package has no final one yet).
set -euo pipefail
STATE_DIR="${DISPARO_STATE_DIR:-$HOME/.cache/disparo}"
VERSION="${SECANTUS_VERSION:-0.7.0b3}"
VENV="$STATE_DIR/secantus-venv"

log() { printf '[secantus] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

installed() { "$VENV/bin/pip" show secantusdb 2>/dev/null | sed -n 's/^Version: //p'; }

if [ -x "$VENV/bin/secantusd-py" ] && [ "$(installed)" = "$VERSION" ]; then
  echo "$VENV/bin/secantusd-py"
  exit 0
fi
# `venv` needs ensurepip, which Debian ships apart from python3 (python3-venv).
if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  log "installing Debian's python3 and python3-venv"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
fi
log "installing SecantusDB $VERSION into $VENV"
[ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "secantusdb==$VERSION" >&2
echo "$VENV/bin/secantusd-py"
