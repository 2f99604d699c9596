#!/usr/bin/env bash
# Builds a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl), the node components of a real node (kubelet, kube-proxy, and the
# pause container's source) and kwok/kwokctl from the Go module proxy into a versioned cache
# directory. Idempotent: a finished build is reused. Prints the bin directory on stdout.
# `--check` only reports: prints the bin directory if built, else exits 3 without building.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
OUT="$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"
BIN="$OUT/bin"

log() { printf '[k8s-toolchain] %s\n' "$*" >&2; }

TOOLS="kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy"
complete() {
  [ -f "$OUT/.done" ] || return 1
  local t
  for t in $TOOLS etcd kwok kwokctl; do [ -x "$BIN/$t" ] || return 1; done
  [ -f "$OUT/pause/pause.c" ]
}
if complete; then
  echo "$BIN"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  log "not built yet: run scripts/k8s-toolchain.sh (about 9 minutes on 2 cores, cached afterwards in $OUT)"
  exit 3
fi
command -v go >/dev/null || { log "go is required"; exit 1; }
mkdir -p "$BIN"
# One build at a time (the suite and the benchmarks may both ask); a waiter reuses its result.
exec 9>"$OUT.lock"
flock 9
if complete; then
  echo "$BIN"
  exit 0
fi
rm -f "$OUT/.done"   # a cache from before the node components were added: build only what is missing
start=$(date +%s)
# Private Go caches, dropped once the build is done: the binaries are what is cached, and
# the module and build caches of a Kubernetes build (about 6 GB) would otherwise stay on disk.
# A build that stops half-way keeps them, so the next attempt resumes.
export GOCACHE="$OUT/.go/build" GOMODCACHE="$OUT/.go/mod"

# --- kube-* and kubectl: a throw-away wrapper module pinning k8s.io/kubernetes and its staging modules.
kdir="$OUT/src/kubernetes"
mkdir -p "$kdir"
gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
staging_version="v0${K8S_VERSION#v1}"   # v1.36.3 -> v0.36.3
{
  echo "module spotifymcp.dev/k8s-toolchain"
  echo
  echo "go $(awk '/^go /{print $2; exit}' "$gomod")"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > "$kdir/go.mod"
cat > "$kdir/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
)
GO
minor=$(echo "$K8S_VERSION" | cut -d. -f2)
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
(
  cd "$kdir"
  log "resolving k8s.io/kubernetes $K8S_VERSION modules"
  GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
  GOFLAGS=-mod=mod go get "k8s.io/kubernetes@$K8S_VERSION" >&2
  for cmd in $TOOLS; do
    if [ ! -x "$BIN/$cmd" ]; then
      log "building $cmd"
      CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$BIN/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
      mv "$BIN/$cmd.tmp" "$BIN/$cmd"
    fi
  done
  # The pause container of the real node's pod sandboxes is built from this source (no registry here).
  mkdir -p "$OUT/pause"
  cp "$(go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c" "$OUT/pause/pause.c"
  chmod 0644 "$OUT/pause/pause.c"
)

# --- etcd: wrapper module requiring the server module.
edir="$OUT/src/etcd"
mkdir -p "$edir"
if [ ! -x "$BIN/etcd" ]; then
  (
    cd "$edir"
    [ -f go.mod ] || go mod init spotifymcp.dev/etcd-toolchain >/dev/null 2>&1
    GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    log "building etcd"
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
    mv "$BIN/etcd.tmp" "$BIN/etcd"
  )
fi

# --- kwok and kwokctl: plain go install into the cache bin dir.
for cmd in kwok kwokctl; do
  if [ ! -x "$BIN/$cmd" ]; then
    log "building $cmd"
    CGO_ENABLED=0 GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/$cmd@$KWOK_VERSION"
  fi
done

go clean -modcache && rm -rf "$OUT/.go" "$OUT/src"
end=$(date +%s)
log "control plane tools ready in $BIN (built in $((end - start)) s)"
echo "$((end - start))" > "$OUT/build-seconds"
touch "$OUT/.done"
echo "$BIN"
