#!/usr/bin/env bash
# Provisions a real prometheus-operator stack for the cluster tests, idempotently, cached under
# ${SPOTIFY_MCP_TEST_CACHE:-~/.cache/spotify-mcp-test}/prometheus-operator-<version>-r<rev>/, and
# prints `export` lines:
#
#     eval "$(scripts/prometheus-operator-toolchain.sh)"
#
# - prometheus-operator and prometheus-config-reloader, built from the Go module proxy at a pinned
#   release (a throw-away wrapper module: the upstream go.mod replaces its two API submodules with
#   ./ paths, which `go install pkg@version` refuses, so they are required at the same version);
# - the operator's CRDs (example/prometheus-operator-crd/*.yaml of that module);
# - three OCI archives built with buildah (FROM scratch, nothing pulled), named localhost/...:
#     prometheus-operator, prometheus-config-reloader (static Go binaries, /bin/<name> as the
#     operator expects for the reloader), and prometheus: Debian trixie's 2.53 binary from
#     scripts/infra-tools.sh. That binary is dynamically linked (cgo, libc.so.6 only), so the
#     image also carries libc.so.6 and ld-linux-x86-64.so.2 from trixie's libc6 package (the glibc
#     it was built against), not the build machine's.
# buildah runs on a private storage root under the cache (never /var/lib/containers), and the
# private Go caches are deleted once the binaries exist.
#
# Exports:
#   SPOTIFY_MCP_PROMETHEUS_OPERATOR_BIN         dir with operator, prometheus-config-reloader
#   SPOTIFY_MCP_PROMETHEUS_OPERATOR_CRDS        dir with the CRD manifests
#   SPOTIFY_MCP_PROMETHEUS_OPERATOR_VERSION     e.g. v0.85.0
#   SPOTIFY_MCP_PROMETHEUS_VERSION              e.g. v2.53.3 (the Prometheus CR's spec.version)
#   SPOTIFY_MCP_PROMETHEUS_OPERATOR_IMAGE / _ARCHIVE
#   SPOTIFY_MCP_PROMETHEUS_CONFIG_RELOADER_IMAGE / _ARCHIVE
#   SPOTIFY_MCP_PROMETHEUS_IMAGE / _ARCHIVE
set -euo pipefail
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
# Bump when the layout of the cache or the images changes, so an old cache is not reused.
REV=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
OUT="$CACHE_ROOT/prometheus-operator-$PROMETHEUS_OPERATOR_VERSION-r$REV"
BIN="$OUT/bin"
CRDS="$OUT/crds"
IMAGES="$OUT/images"
log() { printf '[prometheus-operator-toolchain] %s\n' "$*" >&2; }

# Prometheus (Debian trixie 2.53) and buildah come from infra-tools.sh (cached; cheap when done).
eval "$("$ROOT/scripts/infra-tools.sh")"
prom_dir="$(dirname "$(dirname "$(dirname "$SPOTIFY_MCP_PROMETHEUS")")")"   # .../prometheus-<deb version>
prom_deb_version="${prom_dir##*/prometheus-}"                             # 2.53.3+ds1-2
PROMETHEUS_VERSION="v${prom_deb_version%%+*}"                             # v2.53.3
PROMETHEUS_VERSION="${PROMETHEUS_VERSION%%-*}"

OPERATOR_IMAGE="localhost/prometheus-operator:$PROMETHEUS_OPERATOR_VERSION"
RELOADER_IMAGE="localhost/prometheus-config-reloader:$PROMETHEUS_OPERATOR_VERSION"
PROMETHEUS_IMAGE="localhost/prometheus:$PROMETHEUS_VERSION"
OPERATOR_ARCHIVE="$IMAGES/prometheus-operator.tar"
RELOADER_ARCHIVE="$IMAGES/prometheus-config-reloader.tar"
PROMETHEUS_ARCHIVE="$IMAGES/prometheus-$PROMETHEUS_VERSION.tar"

print_exports() {
  cat <<EOF
export SPOTIFY_MCP_PROMETHEUS_OPERATOR_BIN=$BIN
export SPOTIFY_MCP_PROMETHEUS_OPERATOR_CRDS=$CRDS
export SPOTIFY_MCP_PROMETHEUS_OPERATOR_VERSION=$PROMETHEUS_OPERATOR_VERSION
export SPOTIFY_MCP_PROMETHEUS_VERSION=$PROMETHEUS_VERSION
export SPOTIFY_MCP_PROMETHEUS_OPERATOR_IMAGE=$OPERATOR_IMAGE
export SPOTIFY_MCP_PROMETHEUS_OPERATOR_ARCHIVE=$OPERATOR_ARCHIVE
export SPOTIFY_MCP_PROMETHEUS_CONFIG_RELOADER_IMAGE=$RELOADER_IMAGE
export SPOTIFY_MCP_PROMETHEUS_CONFIG_RELOADER_ARCHIVE=$RELOADER_ARCHIVE
export SPOTIFY_MCP_PROMETHEUS_IMAGE=$PROMETHEUS_IMAGE
export SPOTIFY_MCP_PROMETHEUS_ARCHIVE=$PROMETHEUS_ARCHIVE
EOF
}
if [ -f "$OUT/.done" ] && [ -f "$OPERATOR_ARCHIVE" ] && [ -f "$RELOADER_ARCHIVE" ] && [ -f "$PROMETHEUS_ARCHIVE" ]; then
  print_exports
  exit 0
fi
command -v go >/dev/null || { log "go is required"; exit 1; }
command -v buildah >/dev/null || { log "buildah is required (scripts/infra-tools.sh installs it)"; exit 1; }
mkdir -p "$BIN" "$CRDS" "$IMAGES"
start=$(date +%s)

# ---- operator + config reloader from the Go module proxy ---------------------------------------
if [ ! -x "$BIN/operator" ] || [ ! -x "$BIN/prometheus-config-reloader" ] || [ ! -f "$CRDS/.done" ]; then
  # Private Go caches; a build that stops half-way keeps them so the next attempt resumes.
  export GOCACHE="$OUT/.go/build" GOMODCACHE="$OUT/.go/mod" GOFLAGS=-mod=mod
  src="$OUT/src"
  mkdir -p "$src"
  mod=github.com/prometheus-operator/prometheus-operator
  (
    cd "$src"
    [ -f go.mod ] || go mod init spotifymcp.dev/prometheus-operator-toolchain >/dev/null 2>&1
    log "resolving $mod $PROMETHEUS_OPERATOR_VERSION"
    go get "$mod@$PROMETHEUS_OPERATOR_VERSION" \
      "$mod/pkg/apis/monitoring@$PROMETHEUS_OPERATOR_VERSION" \
      "$mod/pkg/client@$PROMETHEUS_OPERATOR_VERSION" >&2
    v="${PROMETHEUS_OPERATOR_VERSION#v}"
    ldflags="-s -w -X github.com/prometheus/common/version.Version=$v -X github.com/prometheus/common/version.Revision=$PROMETHEUS_OPERATOR_VERSION -X github.com/prometheus/common/version.Branch=release -X github.com/prometheus/common/version.BuildUser=spotify-mcp-test"
    for cmd in operator prometheus-config-reloader; do
      if [ ! -x "$BIN/$cmd" ]; then
        log "building $cmd"
        CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$BIN/$cmd.tmp" "$mod/cmd/$cmd"
        mv "$BIN/$cmd.tmp" "$BIN/$cmd"
      fi
    done
    moddir="$(go list -m -f '{{.Dir}}' "$mod")"
    cp "$moddir"/example/prometheus-operator-crd/*.yaml "$CRDS/"
    chmod 0644 "$CRDS"/*.yaml
    touch "$CRDS/.done"
  )
  go clean -modcache && rm -rf "$OUT/.go" "$src"
  log "operator binaries built in $(($(date +%s) - start)) s"
fi

# ---- glibc for the Debian prometheus binary (trixie's libc6, dpkg -x) -------------------------
LIBC_DIR="$OUT/libc6"
if [ ! -f "$LIBC_DIR/.done" ]; then
  rm -rf "$LIBC_DIR" && mkdir -p "$LIBC_DIR"
  trixie="$CACHE_ROOT/apt-trixie"   # the private apt configuration infra-tools.sh set up
  opts=(-o "Dir::Etc::SourceList=$trixie/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$trixie/lists" -o "Dir::Cache=$trixie/cache"
    -o "Dir::State::Status=/dev/null" -o "APT::Architecture=amd64" -o "APT::Sandbox::User=root"
    -o "Debug::NoLocking=1")
  log "fetching libc6 (Debian trixie) for the prometheus image"
  (cd "$LIBC_DIR" && { apt-get "${opts[@]}" -qq download libc6 >&2 ||
    { apt-get "${opts[@]}" -qq update >&2 && apt-get "${opts[@]}" -qq download libc6 >&2; }; })
  dpkg -x "$LIBC_DIR"/libc6_*.deb "$LIBC_DIR/root"
  rm -f "$LIBC_DIR"/*.deb
  touch "$LIBC_DIR/.done"
fi

# ---- images (buildah, private storage, FROM scratch) ------------------------------------------
STORE="$OUT/buildah"
bah() { buildah --root "$STORE/root" --runroot "$STORE/run" --storage-driver "${SPOTIFY_MCP_BUILDAH_DRIVER:-overlay}" "$@"; }
# build_image <image> <archive> <entrypoint-json> <src:dst[:mode]>...
build_image() {
  local image=$1 archive=$2 entrypoint=$3 ctr mnt spec s d
  shift 3
  [ -f "$archive" ] && return 0
  log "building image $image"
  ctr=$(bah from --pull=never scratch)
  mnt=$(bah mount "$ctr")
  for spec in "$@"; do
    s=${spec%%:*}; d=${spec#*:}
    mkdir -p "$mnt$(dirname "$d")"
    cp -L "$s" "$mnt$d"
  done
  mkdir -p "$mnt/tmp" && chmod 1777 "$mnt/tmp"
  bah umount "$ctr" >/dev/null
  bah config --entrypoint "$entrypoint" --user 65534:65534 --os linux --arch amd64 \
    --label "org.opencontainers.image.source=spotify-mcp scripts/prometheus-operator-toolchain.sh" "$ctr"
  bah commit --quiet --timestamp 0 --rm "$ctr" "$image" >/dev/null
  rm -f "$archive.tmp"
  bah push --quiet "$image" "oci-archive:$archive.tmp:$image" >&2
  mv "$archive.tmp" "$archive"
}
build_image "$OPERATOR_IMAGE" "$OPERATOR_ARCHIVE" '["/bin/operator"]' "$BIN/operator:/bin/operator"
build_image "$RELOADER_IMAGE" "$RELOADER_ARCHIVE" '["/bin/prometheus-config-reloader"]' \
  "$BIN/prometheus-config-reloader:/bin/prometheus-config-reloader"
# The Debian binary needs exactly libc.so.6 and the loader (checked here, so a rebuild of the
# package with more libraries fails loudly instead of producing an image that cannot start).
needed=$(objdump -p "$SPOTIFY_MCP_PROMETHEUS" 2>/dev/null | awk '/NEEDED/ {print $2}' | sort | tr '\n' ' ')
[ -z "$needed" ] || [ "$needed" = "libc.so.6 " ] || { log "prometheus needs more than libc.so.6: $needed"; exit 1; }
build_image "$PROMETHEUS_IMAGE" "$PROMETHEUS_ARCHIVE" '["/bin/prometheus"]' \
  "$SPOTIFY_MCP_PROMETHEUS:/bin/prometheus" \
  "$LIBC_DIR/root/usr/lib/x86_64-linux-gnu/libc.so.6:/lib/x86_64-linux-gnu/libc.so.6" \
  "$LIBC_DIR/root/usr/lib64/ld-linux-x86-64.so.2:/lib64/ld-linux-x86-64.so.2"
# The images live in the archives; the private storage is only scratch space.
bah rmi --all >/dev/null 2>&1 || true

echo "$(($(date +%s) - start))" >"$OUT/build-seconds"
touch "$OUT/.done"
log "ready in $(($(date +%s) - start)) s ($OUT)"
print_exports
