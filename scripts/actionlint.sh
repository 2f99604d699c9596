#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow checker) from the Go module proxy into a versioned
# cache directory, idempotently (a finished build is reused), and prints an `export` line:
#
#     eval "$(scripts/actionlint.sh)"
#
# Exports SPOTIFY_MCP_ACTIONLINT (the binary), used by tests/python/test_release_workflow.py.
# The first run builds it (CPU-bound, about a minute on two cores); later runs only print the line.
set -euo pipefail
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
OUT="$CACHE_ROOT/actionlint-$ACTIONLINT_VERSION"
BIN="$OUT/bin"
log() { printf '[actionlint] %s\n' "$*" >&2; }
if [ ! -f "$OUT/.done" ]; then
  command -v go >/dev/null || { log "go is required"; exit 1; }
  log "building actionlint $ACTIONLINT_VERSION from the Go module proxy"
  rm -rf "$OUT" && mkdir -p "$BIN"
  start=$(date +%s)
  # Private Go caches, dropped after the build (the binary is what is cached).
  export GOCACHE="$OUT/.go/build" GOMODCACHE="$OUT/.go/mod"
  CGO_ENABLED=0 GOFLAGS=-mod=mod GOBIN="$BIN" go install -trimpath -ldflags "-s -w" \
    "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
  go clean -modcache && rm -rf "$OUT/.go"
  "$BIN/actionlint" -version >&2
  echo "$(($(date +%s) - start))" >"$OUT/build-seconds"
  log "built in $(cat "$OUT/build-seconds") s"
  touch "$OUT/.done"
fi
echo "export SPOTIFY_MCP_ACTIONLINT=$BIN/actionlint"
