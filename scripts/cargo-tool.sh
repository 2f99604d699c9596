#!/usr/bin/env bash
# Installs a pinned cargo tool from crates.io into the test tool cache, once, and prints the
# directory of its binaries: `bin=$(scripts/cargo-tool.sh cargo-deny 0.20.2)`.
# Idempotent and safe to run concurrently (a lock per tool); an interrupted install is redone.
set -euo pipefail
if [ "$#" -ne 2 ]; then
  echo "usage: $0 CRATE VERSION" >&2
  exit 2
fi
crate=$1
version=$2
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
OUT="$CACHE_ROOT/$crate-$version"
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/$crate.lock"
flock 9
if [ ! -f "$OUT/.done" ]; then
  start=$(date +%s)
  printf '[cargo-tool] installing %s %s into %s\n' "$crate" "$version" "$OUT" >&2
  rm -rf "$OUT"
  # The build scratch stays out of the repository's target/ and is dropped afterwards.
  CARGO_TARGET_DIR="$OUT/.build" cargo install --locked --quiet --root "$OUT" \
    "$crate" --version "$version" >&2
  rm -rf "$OUT/.build"
  echo "$(($(date +%s) - start))" >"$OUT/build-seconds"
  touch "$OUT/.done"
fi
echo "$OUT/bin"
