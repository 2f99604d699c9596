#!/usr/bin/env bash
# Builds helm and kubeconform from the Go module proxy into a versioned cache directory.
# Idempotent: a finished build is reused. Prints the bin directory on stdout.
set -euo pipefail
HELM_VERSION="${HELM_VERSION:-v4.3.1}"
KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.7.0}"
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
OUT="$CACHE_ROOT/helm-$HELM_VERSION-kubeconform-$KUBECONFORM_VERSION"
BIN="$OUT/bin"
if [ -f "$OUT/.done" ]; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || { echo "[helm-toolchain] go is required" >&2; exit 1; }
mkdir -p "$BIN"
start=$(date +%s)
# Private Go caches, dropped once both tools are built (the binaries are what is cached).
export GOCACHE="$OUT/.go/build" GOMODCACHE="$OUT/.go/mod"
[ -x "$BIN/helm" ] || CGO_ENABLED=0 GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >&2
[ -x "$BIN/kubeconform" ] || CGO_ENABLED=0 GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" >&2
go clean -modcache && rm -rf "$OUT/.go"
echo "$(( $(date +%s) - start ))" > "$OUT/build-seconds"
touch "$OUT/.done"
echo "$BIN"
