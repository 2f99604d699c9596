#!/usr/bin/env bash
# Provisions what a REAL Kubernetes node needs beside the control plane of scripts/k8s-toolchain.sh
# (which also builds kubelet and kube-proxy), idempotently, cached under the test cache, and prints
# `export` lines:
#
#     eval "$(scripts/node-toolchain.sh)"
#
# Exports:
#   SPOTIFY_MCP_CONTAINERD_BIN   directory with containerd, containerd-shim-runc-v2 and ctr
#                                (Debian's containerd, unpacked with dpkg -x, not installed)
#   SPOTIFY_MCP_NODE_IMAGES      directory of OCI archives every real node imports:
#                                pause.tar (the sandbox image) and coredns.tar (cluster DNS)
#   SPOTIFY_MCP_PAUSE_IMAGE      the sandbox image's name (containerd's sandbox_image)
#   SPOTIFY_MCP_COREDNS_IMAGE    the CoreDNS image's name
#
# System packages (apt-get install, like the container tools of scripts/infra-tools.sh): runc, the
# CNI plugins, iptables, nftables and conntrack (what kubelet and kube-proxy call).
#
# Nothing is pulled from a registry: the pause image is pause.c from the k8s.io/kubernetes module
# (kept by k8s-toolchain.sh) compiled statically with musl-gcc, and CoreDNS is built from the Go
# module proxy with only the plugins a cluster's DNS needs (no `forward`: names outside the cluster
# are answered by CoreDNS itself and never sent anywhere). Images are built with buildah into a
# private storage root, so the system's /var/lib/containers is not touched.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
COREDNS_VERSION="${COREDNS_VERSION:-v1.15.0}"
# Bumped whenever the plugin list or their order changes (the cached build is keyed by it).
COREDNS_BUILD=r2
PAUSE_TAG="3.10.2"
log() { printf '[node-toolchain] %s\n' "$*" >&2; }
mkdir -p "$CACHE_ROOT"

# ---- system packages ----------------------------------------------------------------------------
missing=()
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
command -v iptables >/dev/null || missing+=(iptables)
command -v nft >/dev/null || missing+=(nftables)
command -v conntrack >/dev/null || missing+=(conntrack)
# scripts/real-cluster.sh: the bridge and routes (ip), the node's client certificates (openssl)
command -v ip >/dev/null || missing+=(iproute2)
command -v openssl >/dev/null || missing+=(openssl)
command -v musl-gcc >/dev/null || missing+=(musl-tools)
command -v buildah >/dev/null || missing+=(buildah)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    { "${sudo[@]}" apt-get -qq update >&2 &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
fi

# ---- containerd (the machine's Debian release, dpkg -x) -----------------------------------------
ctd_version=$(apt-cache policy containerd 2>/dev/null | awk '/Candidate:/ {print $2}')
if [ -z "$ctd_version" ] || [ "$ctd_version" = "(none)" ]; then
  existing=$(find "$CACHE_ROOT" -maxdepth 2 -path '*/containerd-*/.done' 2>/dev/null | sort | tail -n1)
  if [ -n "$existing" ]; then
    ctd_version=$(basename "$(dirname "$existing")"); ctd_version=${ctd_version#containerd-}
  else
    apt-get -qq update >&2
    ctd_version=$(apt-cache policy containerd | awk '/Candidate:/ {print $2}')
  fi
fi
CTD_DIR="$CACHE_ROOT/containerd-${ctd_version//[:~]/_}"
if [ ! -f "$CTD_DIR/.done" ]; then
  log "fetching containerd $ctd_version (Debian)"
  rm -rf "$CTD_DIR" && mkdir -p "$CTD_DIR"
  (cd "$CTD_DIR" && apt-get -o APT::Sandbox::User=root -qq download containerd >&2)
  dpkg -x "$CTD_DIR"/containerd_*.deb "$CTD_DIR/root"
  rm -f "$CTD_DIR"/*.deb
  "$CTD_DIR/root/usr/bin/containerd" --version >&2
  touch "$CTD_DIR/.done"
fi

# ---- CoreDNS (Go module proxy, only the plugins a cluster's DNS needs) --------------------------
DNS_DIR="$CACHE_ROOT/coredns-$COREDNS_VERSION-$COREDNS_BUILD"
if [ ! -f "$DNS_DIR/.done" ]; then
  log "building CoreDNS $COREDNS_VERSION from the Go module proxy (kubernetes, cache, health, ready, errors, log)"
  start=$(date +%s)
  src="$DNS_DIR/src"
  mkdir -p "$src"
  export GOCACHE="$DNS_DIR/.go/build" GOMODCACHE="$DNS_DIR/.go/mod"
  cat >"$src/main.go" <<'GO'
// CoreDNS with only what a test cluster's DNS needs: no forwarding anywhere.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/template"
)

// The order plugins see a query in (not the Corefile's order): kubernetes answers cluster names
// and falls through for the rest, which the template turns into NXDOMAIN.
func init() {
	dnsserver.Directives = []string{"ready", "health", "errors", "log", "loadbalance", "cache", "kubernetes", "template"}
}

func main() { coremain.Run() }
GO
  (
    cd "$src"
    [ -f go.mod ] || go mod init spotifymcp.dev/coredns-toolchain >/dev/null 2>&1
    GOFLAGS=-mod=mod go get "github.com/coredns/coredns@$COREDNS_VERSION" >&2
    GOFLAGS=-mod=mod go mod tidy >&2
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$DNS_DIR/coredns.tmp" . >&2
    mv "$DNS_DIR/coredns.tmp" "$DNS_DIR/coredns"
  )
  go clean -modcache && rm -rf "$DNS_DIR/.go" "$src"
  echo "$(($(date +%s) - start))" >"$DNS_DIR/build-seconds"
  log "CoreDNS built in $(cat "$DNS_DIR/build-seconds") s"
  touch "$DNS_DIR/.done"
fi

# ---- node images: pause and CoreDNS, as OCI archives -------------------------------------------
K8S_BIN=$("$ROOT/scripts/k8s-toolchain.sh")
K8S_OUT=$(dirname "$K8S_BIN")
IMG_DIR="$CACHE_ROOT/node-images-pause-$PAUSE_TAG-coredns-$COREDNS_VERSION-$COREDNS_BUILD"
PAUSE_IMAGE="localhost/spotify-mcp-test/pause:$PAUSE_TAG"
COREDNS_IMAGE="localhost/spotify-mcp-test/coredns:$COREDNS_VERSION"
if [ ! -f "$IMG_DIR/.done" ]; then
  rm -rf "$IMG_DIR" && mkdir -p "$IMG_DIR/pause" "$IMG_DIR/coredns"
  musl-gcc -Os -static -DVERSION="$PAUSE_TAG-spotify-mcp-test" -o "$IMG_DIR/pause/pause" "$K8S_OUT/pause/pause.c"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$IMG_DIR/pause/Containerfile"
  cp "$DNS_DIR/coredns" "$IMG_DIR/coredns/coredns"
  printf 'FROM scratch\nCOPY coredns /coredns\nUSER 65532:65532\nENTRYPOINT ["/coredns"]\n' >"$IMG_DIR/coredns/Containerfile"
  store="$IMG_DIR/.buildah"
  ba=(buildah --root "$store/root" --runroot "$store/run" --storage-driver vfs)
  for spec in "pause=$PAUSE_IMAGE" "coredns=$COREDNS_IMAGE"; do
    name=${spec%%=*} ref=${spec#*=}
    "${ba[@]}" bud --quiet --format oci --pull=never -t "$ref" "$IMG_DIR/$name" >/dev/null
    "${ba[@]}" push --quiet "$ref" "oci-archive:$IMG_DIR/$name.tar:$ref" >&2
  done
  "${ba[@]}" rmi --all --force >/dev/null 2>&1 || true
  rm -rf "$store" "$IMG_DIR/pause" "$IMG_DIR/coredns"
  touch "$IMG_DIR/.done"
fi

echo "export SPOTIFY_MCP_CONTAINERD_BIN=$CTD_DIR/root/usr/bin"
echo "export SPOTIFY_MCP_NODE_IMAGES=$IMG_DIR"
echo "export SPOTIFY_MCP_PAUSE_IMAGE=$PAUSE_IMAGE"
echo "export SPOTIFY_MCP_COREDNS_IMAGE=$COREDNS_IMAGE"
