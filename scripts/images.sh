#!/usr/bin/env bash
# Builds the two product images from the repository's Dockerfiles with buildah (their `prebuilt`
# stage: FROM scratch plus the static musl release binaries built here; the Rust image of the
# `build` stage is never needed, nothing is pulled) and saves them as OCI archives that a real node
# imports. Prints `export` lines:
#
#     eval "$(scripts/images.sh)"
#
# Exports SPOTIFY_MCP_SERVER_IMAGE / SPOTIFY_MCP_OPERATOR_IMAGE (names, tag `test`) and
# SPOTIFY_MCP_SERVER_IMAGE_TAR / SPOTIFY_MCP_OPERATOR_IMAGE_TAR (archives under target/images/).
# Buildah uses a private storage root under target/, so the system's image store is not touched.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${SPOTIFY_MCP_MUSL_TARGET:-x86_64-unknown-linux-musl}"
OUT="$ROOT/target/images"
SERVER_IMAGE=localhost/spotify-mcp/spotify-mcp-server:test
OPERATOR_IMAGE=localhost/spotify-mcp/spotify-mcp-operator:test
log() { printf '[images] %s\n' "$*" >&2; }
mkdir -p "$OUT"
start=$(date +%s)
# The same two cargo invocations (and build directory) as tests/python/test_monitoring_image.py and
# charts/tests/operator_image.sh, so that after them these builds are fresh: one invocation for both
# packages would unify their dependencies' features and relink everything (minutes of fat LTO).
export CARGO_BUILD_BUILD_DIR="${CARGO_BUILD_BUILD_DIR:-/work/.cargo-build}"
[ -d "$(dirname "$CARGO_BUILD_BUILD_DIR")" ] || unset CARGO_BUILD_BUILD_DIR
log "cargo build --profile dist --target $TARGET (server, then operator)"
(unset CARGO_BUILD_BUILD_DIR; cargo build --profile dist --locked --target "$TARGET" -p spotify-mcp-server >&2)
cargo build --profile dist --locked --target "$TARGET" -p spotify-mcp-operator --bin spotify-mcp-operator >&2
store="$OUT/.buildah"
ba=(buildah --root "$store/root" --runroot "$store/run" --storage-driver vfs)
build() { # <image> <dockerfile> <binary> <archive>
  # --squash: one layer (buildah commits the metadata-only `runtime` stage as an empty layer)
  "${ba[@]}" bud --quiet --format docker --pull=never --squash --target prebuilt \
    --ignorefile prebuilt.dockerignore --build-arg "BINARY=$3" -f "$2" -t "$1" . >/dev/null
  rm -f "$4.tmp"
  "${ba[@]}" push --quiet "$1" "oci-archive:$4.tmp:$1" >&2
  mv "$4.tmp" "$4"
}
build "$SERVER_IMAGE" Dockerfile "target/$TARGET/dist/spotify-mcp-server" "$OUT/spotify-mcp-server.tar"
build "$OPERATOR_IMAGE" operator/Dockerfile "target/$TARGET/dist/spotify-mcp-operator" "$OUT/spotify-mcp-operator.tar"
"${ba[@]}" rmi --all --force >/dev/null 2>&1 || true
rm -rf "$store"
log "images built in $(($(date +%s) - start)) s"
echo "export SPOTIFY_MCP_SERVER_IMAGE=$SERVER_IMAGE"
echo "export SPOTIFY_MCP_OPERATOR_IMAGE=$OPERATOR_IMAGE"
echo "export SPOTIFY_MCP_SERVER_IMAGE_TAR=$OUT/spotify-mcp-server.tar"
echo "export SPOTIFY_MCP_OPERATOR_IMAGE_TAR=$OUT/spotify-mcp-operator.tar"
