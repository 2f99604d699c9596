#!/usr/bin/env bash
# Supply-chain policy of deny.toml: installs a pinned cargo-deny into the tool cache (once, about
# 3 minutes on 2 cores) and runs it. Without arguments it checks licenses, bans (duplicate
# versions, wildcards) and sources, offline. The advisories check needs the RustSec database from
# GitHub, which the test machines cannot reach; where it can be fetched run
#   scripts/cargo-deny.sh check advisories
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CARGO_DENY_VERSION="${CARGO_DENY_VERSION:-0.20.2}"
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
OUT="$CACHE_ROOT/cargo-deny-$CARGO_DENY_VERSION"
exec 9>"$CACHE_ROOT/cargo-deny.lock"
flock 9
if [ ! -f "$OUT/.done" ]; then
  start=$(date +%s)
  # The build scratch stays out of the repository's target/ and is dropped afterwards.
  CARGO_TARGET_DIR="$OUT/.build" cargo install --locked --quiet --root "$OUT" \
    cargo-deny --version "$CARGO_DENY_VERSION" >&2
  rm -rf "$OUT/.build"
  echo "$(($(date +%s) - start))" >"$OUT/build-seconds"
  touch "$OUT/.done"
fi
exec 9>&-
cd "$root"
if [ "$#" -eq 0 ]; then
  exec "$OUT/bin/cargo-deny" --offline check bans licenses sources
fi
exec "$OUT/bin/cargo-deny" "$@"
