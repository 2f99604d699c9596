#!/usr/bin/env bash
# The test suite, runnable on a fresh machine, in named tiers. Each tier provisions only the tools
# it uses (idempotently, cached under ~/.cache/spotify-mcp-test), prints its wall time, and the run
# ends with a table of every tier's time and result. `.ci/run` calls exactly `scripts/test.sh`.
#
#   scripts/test.sh [--dry-run] [TIER...]     TIER: unit e2e charts node all (default: all)
#
#   unit    cargo fmt --check, clippy -D warnings, cargo deny, cargo test --workspace (the
#           operator's kwok tests included), every fuzz target for a short run
#   e2e     tests/python: the real binary driven by the official MCP SDKs and other real clients
#   charts  charts/tests/run.sh: the Helm charts and the operator image on a kwok control plane
#   node    tests/k8s/run.sh: operator, charts and a cluster Prometheus on a real kubelet node
#   all     unit e2e charts node
#
# --dry-run prints the plan (every provisioning step and command, per tier) without running it.
# A path a tier needs that is missing fails the run before anything starts: a suite that moved is
# an error, never a suite that is quietly not run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
suite_start=$(date +%s)
log() { printf '\n==> [%ss] %s\n' "$(($(date +%s) - suite_start))" "$*" >&2; }
die() { printf 'scripts/test.sh: %s\n' "$*" >&2; exit 2; }

ALL_TIERS=(unit e2e charts node)
dry_run=false
tiers=()
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=true ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    all) tiers+=("${ALL_TIERS[@]}") ;;
    unit | e2e | charts | node) tiers+=("$arg") ;;
    *) die "unknown tier '$arg' (tiers: ${ALL_TIERS[*]} all)" ;;
  esac
done
[ "${#tiers[@]}" -gt 0 ] || tiers=("${ALL_TIERS[@]}")
# Each tier once, in the canonical order.
ordered=()
for t in "${ALL_TIERS[@]}"; do
  [[ " ${tiers[*]} " == *" $t "* ]] && ordered+=("$t")
done
tiers=("${ordered[@]}")

# What each tier runs must exist: checked for the selected tiers before anything starts.
declare -A NEEDS=(
  [unit]="Cargo.toml fuzz scripts/fuzz.sh scripts/cargo-deny.sh scripts/k8s-toolchain.sh scripts/infra-tools.sh"
  [e2e]="tests/python tests/python/conftest.py scripts/test-env.sh scripts/infra-tools.sh scripts/actionlint.sh scripts/mcp-clients.sh scripts/helm-toolchain.sh"
  [charts]="charts/tests/run.sh charts/tests/operator_image.sh scripts/helm-toolchain.sh scripts/k8s-toolchain.sh scripts/infra-tools.sh"
  [node]="tests/k8s/run.sh tests/k8s scripts/real-cluster.sh scripts/node-toolchain.sh scripts/prometheus-operator-toolchain.sh scripts/images.sh"
)
missing=()
for t in "${tiers[@]}"; do
  for path in ${NEEDS[$t]}; do
    [ -e "$path" ] || missing+=("$t: $path")
  done
done
[ "${#missing[@]}" -eq 0 ] || die "missing what the tiers run (moved? update scripts/test.sh): ${missing[*]}"

# run CMD...: runs it, or prints it in a dry run. prov SCRIPT: `eval` of a provisioning script's
# exports, once per run.
run() {
  if $dry_run; then printf '  + %s\n' "$*"; else "$@"; fi
}
declare -A provisioned=()
prov() {
  local what=$1
  [ -z "${provisioned[$what]:-}" ] || return 0
  provisioned[$what]=1
  if $dry_run; then printf '  + provision %s\n' "$what"; return 0; fi
  case "$what" in
    python) eval "$(scripts/test-env.sh)" ;;
    infra) eval "$(scripts/infra-tools.sh)" ;;
    # actionlint (Go module proxy) for tests/python/test_release_workflow.py; about a minute the first time.
    actionlint) eval "$(scripts/actionlint.sh)" ;;
    # Node 22, the MCP conformance suite, TypeScript SDKs and Inspector (npm) for tests/python.
    mcp-clients) eval "$(scripts/mcp-clients.sh)" ;;
    helm) SPOTIFY_MCP_HELM_BIN=$(scripts/helm-toolchain.sh); export SPOTIFY_MCP_HELM_BIN ;;
    k8s) SPOTIFY_MCP_K8S_BIN=$(scripts/k8s-toolchain.sh); export SPOTIFY_MCP_K8S_BIN ;;
    # The real node's containerd, pause and CoreDNS images; prometheus-operator and its Prometheus.
    node) eval "$(scripts/node-toolchain.sh)" ;;
    prometheus-operator) eval "$(scripts/prometheus-operator-toolchain.sh)" ;;
    *) die "no provisioning step '$what'" ;;
  esac
}

# The server and operator binaries the end-to-end tiers run (debug profile), built once.
bins_built=false
build_bins() {
  $bins_built && return 0
  bins_built=true
  run cargo build --workspace --locked --bins
  export SPOTIFY_MCP_BIN="$root/target/debug/spotify-mcp-server"
  export SPOTIFY_MCP_OPERATOR_BIN="$root/target/debug/spotify-mcp-operator"
}

# The tools each tier uses, provisioned before the first tier runs (so the host-state snapshot
# is taken after provisioning, as the host is to be left).
declare -A TOOLS=(
  [unit]="infra k8s"
  [e2e]="python infra actionlint mcp-clients helm"
  [charts]="infra helm k8s"
  [node]="python infra helm k8s node prometheus-operator"
)

tier_unit() {
  log "cargo fmt --check"
  run cargo fmt --all -- --check
  log "cargo clippy"
  run cargo clippy --workspace --all-targets --locked -- -D warnings
  log "cargo deny: licenses, bans (duplicate versions), sources (deny.toml)"
  run scripts/cargo-deny.sh
  build_bins
  log "cargo test --workspace"
  # Every test binary runs even when one fails, so a run reports all failures: without it the
  # operator's tests (first in package order) hid a failing server test for a whole CI cycle.
  run cargo test --workspace --locked --no-fail-fast
  log "the server without its built-in sandbox (--no-default-features: a hardened build)"
  # Lint and unit tests only: building this binary would replace the one the end-to-end tests run.
  run cargo clippy -p spotify-mcp-server --all-targets --no-default-features --locked -- -D warnings
  run cargo test -p spotify-mcp-server --no-default-features --locked --lib
  log "fuzzing: every cargo-fuzz target for ${SPOTIFY_MCP_FUZZ_SECONDS:-20} s from its committed corpus (fuzz/)"
  # An unoptimised build: the short runs need coverage of the committed seeds and a little beyond,
  # not speed, and it compiles in a fraction of the release build's time (RELIABILITY.md).
  run env SPOTIFY_MCP_FUZZ_BUILD="${SPOTIFY_MCP_FUZZ_BUILD:-dev}" scripts/fuzz.sh
}

tier_e2e() {
  build_bins
  log "end-to-end tests with the official Python MCP SDK (and the TypeScript SDK, the Inspector CLI, the conformance suite)"
  local python=${SPOTIFY_MCP_TEST_PYTHON:-}
  if $dry_run; then python=${python:-'$SPOTIFY_MCP_TEST_PYTHON'}; fi
  [ -n "$python" ] || die "SPOTIFY_MCP_TEST_PYTHON is not set (scripts/test-env.sh)"
  run "$python" -m pytest tests/python -q
}

tier_charts() {
  build_bins
  log "Helm charts and the operator image on a real control plane"
  run charts/tests/run.sh
}

tier_node() {
  log "the real-node suite: operator, charts and cluster Prometheus on a real kubelet/containerd node"
  run tests/k8s/run.sh
}

provision() {
  local t what
  for t in "${tiers[@]}"; do
    for what in ${TOOLS[$t]}; do prov "$what"; done
  done
}

# What the selected tiers may leave running after a failure, stopped at the end of every run: the
# operator tests' shared kwok cluster and the cluster of its control-plane fault tests
# (operator/tests/faults.rs) for unit; the real node for node (tests/k8s/run.sh also tears its own
# down). charts/tests/run.sh deletes its own cluster. Nothing of a tier that did not run is touched.
selected() { [[ " ${tiers[*]} " == *" $1 "* ]]; }
teardown() {
  if selected unit; then
    run scripts/k8s-cluster.sh delete
    run scripts/k8s-cluster.sh delete spotify-mcp-faults
  fi
  if selected node; then
    run scripts/real-cluster.sh down
  fi
  return 0
}

if $dry_run; then
  echo "scripts/test.sh plan (dry run): ${tiers[*]}"
  echo "provision:"
  provision
  for t in "${tiers[@]}"; do
    echo "tier $t:"
    "tier_$t" 2>/dev/null
  done
  echo "teardown:"
  teardown
  exit 0
fi

# Temporary files: every test, script and tool the suite runs (Chromium profiles, pytest's
# tmp_path, mktemp, the operator tests' logs, Go's build scratch) writes under one directory of its
# own, removed at the end, also after a failure. SPOTIFY_MCP_KEEP_TMP=1 keeps it to read a failed
# test's logs (their paths are in its message). Entries that appear directly in /tmp during the
# run are named at the end: something that ignores TMPDIR (or another process on the host).
suite_tmp=""
tmp_before=""
start_tmp() {
  tmp_before=$(ls -A /tmp)
  suite_tmp=$(mktemp -d /tmp/spotify-mcp-suite.XXXXXX)
  export TMPDIR="$suite_tmp"
}
end_tmp() {
  [ -n "$suite_tmp" ] || return 0
  if [ "${SPOTIFY_MCP_KEEP_TMP:-0}" = 1 ]; then
    log "kept the suite's temporary files (SPOTIFY_MCP_KEEP_TMP=1): $suite_tmp"
  else
    # --one-file-system: never into a mount a failed teardown left behind (the host check names it).
    rm -rf --one-file-system "$suite_tmp" || log "could not remove all of $suite_tmp"
  fi
  local new
  new=$(comm -13 <(printf '%s\n' "$tmp_before" | sort) <(ls -A /tmp | grep -vx "${suite_tmp#/tmp/}" | sort))
  [ -z "$new" ] || log "new in /tmp during the run (not under TMPDIR; the suite's or another process's): $(echo "$new" | tr '\n' ' ')"
}

# Everything the suite starts is stopped when it ends, also after a failure (teardown above).
# Then the host must be as the suite found it (links, routes, sysctls, nft tables, iptables chains,
# mounts, cgroups: scripts/real-cluster.sh host-state, taken before the first tier); a test that
# leaves a bridge or a firewall rule behind fails the run.
host_before=""
results=()
current=""
current_start=0
summary() {
  local row
  printf '\n%-10s %-7s %8s\n' tier result seconds >&2
  for row in "${results[@]}"; do
    # shellcheck disable=SC2086
    printf '%-10s %-7s %8s\n' $row >&2
  done
  printf '%-10s %-7s %8s\n' total "" "$(($(date +%s) - suite_start))" >&2
}
cleanup() {
  local rc=$?
  trap - EXIT
  if [ -n "$current" ]; then
    results+=("$current FAILED $(($(date +%s) - current_start))")
  fi
  teardown >/dev/null 2>&1 || true
  if [ -n "$host_before" ]; then
    if ! scripts/real-cluster.sh host-state | diff -u "$host_before" - >&2; then
      log "FAIL: the suite left the host changed (diff above: - before, + after)"
      [ "$rc" -ne 0 ] || rc=1
    fi
    rm -f "$host_before"
  fi
  end_tmp
  summary
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
export SPOTIFY_OPENAPI="${SPOTIFY_OPENAPI:-$root/server/openapi/spotify-openapi.yml}"

start_tmp
log "tiers: ${tiers[*]}; provisioning their test tools"
current=provision
current_start=$(date +%s)
provision
results+=("provision passed $(($(date +%s) - current_start))")
current=""
host_before=$(mktemp)
scripts/real-cluster.sh host-state >"$host_before"
for t in "${tiers[@]}"; do
  current=$t
  current_start=$(date +%s)
  log "tier $t"
  "tier_$t"
  results+=("$t passed $(($(date +%s) - current_start))")
  log "tier $t passed in $(($(date +%s) - current_start)) s"
  current=""
done
log "tiers passed: ${tiers[*]} (target/ holds $(du -sh target | cut -f1); $(free_gib "$root") GiB free)"
