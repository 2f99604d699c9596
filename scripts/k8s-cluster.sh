#!/usr/bin/env bash
# A local Kubernetes control plane for the operator's tests: etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler as host processes (kwokctl --runtime binary), with
# kwok fake nodes on which pods "run" (no containers). Binaries come from scripts/k8s-toolchain.sh.
#
#   scripts/k8s-cluster.sh create [name]      create (or reuse a healthy) cluster; prints its kubeconfig path
#   scripts/k8s-cluster.sh delete [name]      delete it (no error if absent)
#   scripts/k8s-cluster.sh kubeconfig [name]  print the kubeconfig path of an existing cluster
#
# Idempotent: `create` on a healthy cluster only prints the path; a cluster whose processes died
# (e.g. after a reboot) is deleted and recreated. State lives under the test cache, not ~/.kwok,
# and ~/.kube/config is never touched.
set -euo pipefail

ACTION="${1:-create}"
NAME="${2:-${SPOTIFY_MCP_KWOK_CLUSTER:-spotify-mcp-test}}"
NODES="${SPOTIFY_MCP_KWOK_NODES:-3}"
# Service IP range: kube-apiserver's default /24 runs out after ~250 Services; the benchmarking
# range 198.18.0.0/15 (never 10.x, 172.16-31.x or 192.168.x), like the real cluster's Services.
SERVICE_CIDR="${SPOTIFY_MCP_KWOK_SERVICE_CIDR:-198.19.0.0/16}"
# Set to 1 to lift the client QPS limits of the control-plane components (benchmarks).
NO_QPS_LIMITS="${SPOTIFY_MCP_KWOK_DISABLE_QPS_LIMITS:-0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
export KWOK_WORKDIR="${KWOK_WORKDIR:-$CACHE_ROOT/kwok}"

log() { printf '[k8s-cluster] %s\n' "$*" >&2; }

BIN="$("$ROOT/scripts/k8s-toolchain.sh")"
export PATH="$BIN:$PATH"
KUBECONFIG_PATH="$KWOK_WORKDIR/clusters/$NAME/kubeconfig.yaml"

# grep reads all input: with pipefail, `grep -q` closing the pipe early would fail kwokctl (SIGPIPE).
exists() { kwokctl get clusters 2>/dev/null | grep -x "$NAME" >/dev/null; }
healthy() {
  [ -f "$KUBECONFIG_PATH" ] &&
    kubectl --kubeconfig "$KUBECONFIG_PATH" --request-timeout=5s get --raw /readyz >/dev/null 2>&1
}

case "$ACTION" in
  create)
    if exists; then
      if healthy; then
        log "cluster $NAME is running"
        echo "$KUBECONFIG_PATH"
        exit 0
      fi
      log "cluster $NAME exists but does not answer; recreating it"
      kwokctl delete cluster --name "$NAME" >&2
    fi
    log "creating cluster $NAME (kwokctl --runtime binary)"
    start=$(date +%s)
    extra=()
    [ "$NO_QPS_LIMITS" = 1 ] && extra+=(--disable-qps-limits)
    kwokctl create cluster ${extra[@]+"${extra[@]}"} \
      --extra-args "kube-apiserver=service-cluster-ip-range=$SERVICE_CIDR" \
      --name "$NAME" \
      --runtime binary \
      --etcd-binary "$BIN/etcd" \
      --kube-apiserver-binary "$BIN/kube-apiserver" \
      --kube-controller-manager-binary "$BIN/kube-controller-manager" \
      --kube-scheduler-binary "$BIN/kube-scheduler" \
      --kwok-controller-binary "$BIN/kwok" \
      --kubeconfig "$KWOK_WORKDIR/clusters/$NAME/kwokctl-kubeconfig.yaml" \
      --wait 120s >&2
    # Fake nodes for the scheduler to place pods on.
    kwokctl scale node --name "$NAME" --replicas "$NODES" >&2
    ready=0
    for _ in $(seq 1 60); do
      ready=$(kubectl --kubeconfig "$KUBECONFIG_PATH" get nodes --no-headers 2>/dev/null | grep -c ' Ready ' || true)
      [ "$ready" -ge "$NODES" ] && break
      sleep 1
    done
    if [ "$ready" -lt "$NODES" ]; then
      log "only $ready of $NODES fake nodes became Ready within 60 s (logs: $KWOK_WORKDIR/clusters/$NAME/logs)"
      exit 1
    fi
    # The default ServiceAccount is created by the controller-manager; pods need it.
    for _ in $(seq 1 60); do
      kubectl --kubeconfig "$KUBECONFIG_PATH" -n default get serviceaccount default >/dev/null 2>&1 && break
      sleep 1
    done
    if ! kubectl --kubeconfig "$KUBECONFIG_PATH" -n default get serviceaccount default >/dev/null 2>&1; then
      log "the controller-manager did not create the default ServiceAccount within 60 s (logs: $KWOK_WORKDIR/clusters/$NAME/logs)"
      exit 1
    fi
    log "cluster $NAME ready with $NODES fake nodes in $(($(date +%s) - start)) s"
    echo "$KUBECONFIG_PATH"
    ;;
  delete)
    if exists; then
      kwokctl delete cluster --name "$NAME" >&2
      log "cluster $NAME deleted"
    else
      log "cluster $NAME does not exist"
    fi
    ;;
  kubeconfig)
    exists || { log "cluster $NAME does not exist; run: $0 create $NAME"; exit 1; }
    echo "$KUBECONFIG_PATH"
    ;;
  *)
    log "usage: $0 create|delete|kubeconfig [name]"
    exit 2
    ;;
esac
