#!/usr/bin/env bash
# The whole test suite, runnable on a fresh machine: provisions every tool the tests use
# (idempotently, cached under ~/.cache/spotify-mcp-test), then runs the Rust tests, the
# formatting/lint gates and the end-to-end suites. `.ci/run` calls exactly this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
suite_start=$(date +%s)
log() { printf '\n==> [%ss] %s\n' "$(($(date +%s) - suite_start))" "$*" >&2; }

# Everything the suite starts is stopped when it ends, also after a failure: the operator tests'
# shared kwok cluster, the cluster of the control-plane fault tests (operator/tests/faults.rs) and
# the real-node cluster (tests/k8s/run.sh also tears its own down).
# Then the host must be as the suite found it after provisioning (links, routes, sysctls, nft
# tables, iptables chains, mounts, cgroups: scripts/real-cluster.sh host-state); a test that leaves
# a bridge or a firewall rule behind fails the run.
host_before=""
cleanup() {
  local rc=$?
  trap - EXIT
  scripts/k8s-cluster.sh delete >/dev/null 2>&1 || true
  scripts/k8s-cluster.sh delete spotify-mcp-faults >/dev/null 2>&1 || true
  scripts/real-cluster.sh down >/dev/null 2>&1 || true
  if [ -n "$host_before" ]; then
    if ! scripts/real-cluster.sh host-state | diff -u "$host_before" - >&2; then
      log "FAIL: the suite left the host changed (diff above: - before, + after)"
      [ "$rc" -ne 0 ] || rc=1
    fi
    rm -f "$host_before"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A one-shot build gains nothing from incremental state (6 GB of target/debug when it was on).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# A cold run writes about NEED_GIB GiB (target/, the tool caches, the Go build scratch).
# A disk that fills up shows only as a linker "Bus error", so say it plainly first.
NEED_GIB=8
free_gib() { df -Pk "$1" | awk 'NR==2 { printf "%d", $4 / 1048576 }'; }
cache_root="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
mkdir -p "$cache_root"
for dir in "$root" "$cache_root"; do
  if [ "$(free_gib "$dir")" -lt "$NEED_GIB" ]; then
    log "WARNING: $(free_gib "$dir") GiB free on the filesystem of $dir; a cold run needs about $NEED_GIB GiB" \
      "(less when target/ and the tool caches are warm). A full disk makes the linker fail with 'Bus error'."
  fi
done

log "provisioning test tools"
eval "$(scripts/test-env.sh)"
eval "$(scripts/infra-tools.sh)"
# actionlint (Go module proxy) for tests/python/test_release_workflow.py; about a minute the first time.
eval "$(scripts/actionlint.sh)"
# Node 22, the official MCP conformance suite, TypeScript SDK and Inspector (npm), for
# tests/python/test_conformance.py, test_ts_client.py and test_inspector_cli.py.
eval "$(scripts/mcp-clients.sh)"
SPOTIFY_MCP_HELM_BIN=$(scripts/helm-toolchain.sh)
export SPOTIFY_MCP_HELM_BIN
if [ -x scripts/k8s-toolchain.sh ] && [ -d operator ]; then
  SPOTIFY_MCP_K8S_BIN=$(scripts/k8s-toolchain.sh)
  export SPOTIFY_MCP_K8S_BIN
fi
# The real node's containerd, pause and CoreDNS images; prometheus-operator and its Prometheus.
eval "$(scripts/node-toolchain.sh)"
eval "$(scripts/prometheus-operator-toolchain.sh)"
export SPOTIFY_OPENAPI="${SPOTIFY_OPENAPI:-$root/server/openapi/spotify-openapi.yml}"
host_before=$(mktemp)
scripts/real-cluster.sh host-state >"$host_before"

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "cargo deny: licenses, bans (duplicate versions), sources (deny.toml)"
scripts/cargo-deny.sh

log "cargo build (binaries the end-to-end tests run)"
cargo build --workspace --locked --bins
export SPOTIFY_MCP_BIN="$root/target/debug/spotify-mcp-server"
export SPOTIFY_MCP_OPERATOR_BIN="$root/target/debug/spotify-mcp-operator"

log "cargo test --workspace"
# Every test binary runs even when one fails, so a run reports all failures: without it the
# operator's tests (first in package order) hid a failing server test for a whole CI cycle.
cargo test --workspace --locked --no-fail-fast

log "fuzzing: every cargo-fuzz target for ${SPOTIFY_MCP_FUZZ_SECONDS:-20} s from its committed corpus (fuzz/)"
# An unoptimised build: the short runs need coverage of the committed seeds and a little beyond,
# not speed, and it compiles in a fraction of the release build's time (RELIABILITY.md).
SPOTIFY_MCP_FUZZ_BUILD="${SPOTIFY_MCP_FUZZ_BUILD:-dev}" scripts/fuzz.sh

if [ -d tests/python ]; then
  log "end-to-end tests with the official Python MCP SDK (and the TypeScript SDK, the Inspector CLI, the conformance suite)"
  "$SPOTIFY_MCP_TEST_PYTHON" -m pytest tests/python -q
fi
if [ -x charts/tests/run.sh ]; then
  log "Helm charts and the operator image on a real control plane"
  charts/tests/run.sh
fi
log "the real-node suite: operator, charts and cluster Prometheus on a real kubelet/containerd node"
tests/k8s/run.sh
log "all tests passed (target/ holds $(du -sh target | cut -f1); $(free_gib "$root") GiB free)"
