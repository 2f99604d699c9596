#!/usr/bin/env bash
# The real-node suite: builds the product images, brings up scripts/real-cluster.sh (a kwok control
# plane with one real kubelet/containerd node, kube-proxy and CoreDNS), imports the images, runs
# the pytest suite in tests/k8s against it, and always tears it all down, also when a test fails or
# the run is interrupted. It then checks that the host is as it found it (sysctls, links, nft
# tables, iptables chains, mounts, paths, cgroups) and fails when it is not.
#
#   tests/k8s/run.sh [pytest args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
log() { printf '[k8s-suite] %s\n' "$*" >&2; }

[ -n "${SPOTIFY_MCP_TEST_PYTHON:-}" ] || eval "$(scripts/test-env.sh)"
[ -n "${SPOTIFY_MCP_BUILDAH:-}" ] || eval "$(scripts/infra-tools.sh)"
[ -n "${SPOTIFY_MCP_HELM_BIN:-}" ] || SPOTIFY_MCP_HELM_BIN=$(scripts/helm-toolchain.sh)
SPOTIFY_MCP_K8S_BIN=$(scripts/k8s-toolchain.sh)
export SPOTIFY_MCP_HELM_BIN SPOTIFY_MCP_K8S_BIN
eval "$(scripts/node-toolchain.sh)"
eval "$(scripts/prometheus-operator-toolchain.sh)"

state_dir=$(mktemp -d)
scripts/real-cluster.sh host-state >"$state_dir/before"
finish() {
  local rc=$?
  trap - EXIT INT TERM
  log "tearing the real cluster down"
  scripts/real-cluster.sh down || rc=1
  scripts/real-cluster.sh host-state >"$state_dir/after"
  if ! diff -u "$state_dir/before" "$state_dir/after" >&2; then
    log "FAIL: the host is not as the suite found it (diff above)"
    rc=1
  fi
  rm -rf "$state_dir"
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
eval "$(scripts/images.sh)"
log "images ready after $(($(date +%s) - start)) s"
SPOTIFY_MCP_REAL_KUBECONFIG=$(scripts/real-cluster.sh up)
export SPOTIFY_MCP_REAL_KUBECONFIG
scripts/real-cluster.sh import "$SPOTIFY_MCP_SERVER_IMAGE_TAR" "$SPOTIFY_MCP_OPERATOR_IMAGE_TAR"
log "real cluster up after $(($(date +%s) - start)) s"
export SPOTIFY_MCP_K8S_ARTIFACTS="${SPOTIFY_MCP_K8S_ARTIFACTS:-$root/target/k8s-artifacts}"
rm -rf "$SPOTIFY_MCP_K8S_ARTIFACTS" && mkdir -p "$SPOTIFY_MCP_K8S_ARTIFACTS"
"$SPOTIFY_MCP_TEST_PYTHON" -m pytest tests/k8s -q -p no:cacheprovider "$@"
log "real-node suite passed in $(($(date +%s) - start)) s"
