#!/usr/bin/env bash
# Installs what the test suite needs, idempotently, into a versioned cache, and prints
# `export` lines for the tools it provisioned (eval "$(scripts/test-env.sh)").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
mkdir -p "$CACHE_ROOT"
log() { printf '[test-env] %s\n' "$*" >&2; }

# Python venv with the official MCP SDK and OpenAPI validators (pinned in requirements-test.txt).
req="$here/requirements-test.txt"
hash=$(sha256sum "$req" | cut -c1-12)
VENV="$CACHE_ROOT/venv-$hash"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$VENV/.done" ]; then
  log "creating Python venv $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip >&2
  "$VENV/bin/pip" install --quiet -r "$req" >&2
  touch "$VENV/.done"
fi
echo "export SPOTIFY_MCP_TEST_PYTHON=$VENV/bin/python"
