#!/usr/bin/env bash
# Fuzzing (issue 10): installs a pinned cargo-fuzz into the tool cache (once, about a minute on
# 2 cores), builds the targets of fuzz/ once (nightly, no sanitizer: the workspace forbids
# unsafe code, so the oracle is panics, failed properties, timeouts and OOM; debug assertions
# and overflow checks on), then runs each target for SPOTIFY_MCP_FUZZ_SECONDS (default 20)
# from its committed corpus fuzz/corpus/<target>. New inputs go to a scratch corpus under
# target/fuzz/, never into fuzz/corpus. Fails with the crashing input's path and the command
# that reproduces it. Prints per-target figures.
#
# Usage: scripts/fuzz.sh [TARGET] [SECONDS]
#   TARGET: one of the targets below (default: all); SECONDS overrides the time per target.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CARGO_FUZZ_VERSION="${CARGO_FUZZ_VERSION:-0.13.2}"
TARGETS=(spotify_ids http_headers tool_arguments mcp_http sandbox_http crd)
log() { printf '[fuzz] %s\n' "$*" >&2; }

selected=("${TARGETS[@]}")
if [ "$#" -ge 1 ] && [ -n "$1" ]; then
  if [[ " ${TARGETS[*]} " != *" $1 "* ]]; then
    log "unknown target '$1'; the targets are: ${TARGETS[*]}"
    exit 2
  fi
  selected=("$1")
fi
seconds="${2:-${SPOTIFY_MCP_FUZZ_SECONDS:-20}}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  log "seconds must be a positive whole number, got '$seconds'"
  exit 2
fi

PATH="$("$root/scripts/cargo-tool.sh" cargo-fuzz "$CARGO_FUZZ_VERSION"):$PATH"
export PATH
# The nightly toolchain (cargo-fuzz needs it): installed once if missing.
if ! cargo +nightly --version >/dev/null 2>&1; then
  log "installing the nightly toolchain (rustup toolchain install nightly --profile minimal)"
  if ! rustup toolchain install nightly --profile minimal >&2; then
    log "cannot install the nightly toolchain; install it with: rustup toolchain install nightly --profile minimal"
    exit 2
  fi
fi

# -s none: no sanitizer; -a: debug assertions (and with them overflow checks).
FUZZ_FLAGS=(-s none -a --fuzz-dir "$root/fuzz")
# SPOTIFY_MCP_FUZZ_BUILD=dev: an unoptimised build (the suite's short runs: it compiles in a
# fraction of the time, and runs fewer inputs per second); the default, release, is for long runs.
case "${SPOTIFY_MCP_FUZZ_BUILD:-release}" in
  release) ;;
  dev) FUZZ_FLAGS+=(--dev) ;;
  *)
    log "SPOTIFY_MCP_FUZZ_BUILD must be release or dev, got '${SPOTIFY_MCP_FUZZ_BUILD}'"
    exit 2
    ;;
esac
work="$root/target/fuzz"
mkdir -p "$work"
start=$(date +%s)
if [ "${#selected[@]}" -eq 1 ]; then
  cargo +nightly fuzz build "${FUZZ_FLAGS[@]}" "${selected[0]}" >&2
else
  cargo +nightly fuzz build "${FUZZ_FLAGS[@]}" >&2
fi
log "targets built in $(($(date +%s) - start)) s"
# fuzz/Cargo.lock is committed; a build that had to resolve it again means it drifted from the
# crates' manifests (cargo fuzz has no --locked).
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1 && ! git -C "$root" diff --quiet -- fuzz/Cargo.lock; then
  log "fuzz/Cargo.lock changed during the build: it was out of date; commit the updated file"
  exit 1
fi

failed=()
summary=()
for t in "${selected[@]}"; do
  scratch="$work/corpus/$t"
  artifacts="$work/artifacts/$t"
  tlog="$work/logs/$t.log"
  rm -rf "$artifacts"
  mkdir -p "$scratch" "$artifacts" "$(dirname "$tlog")"
  dict=()
  [ -f "$root/fuzz/dict/$t.dict" ] && dict=("-dict=$root/fuzz/dict/$t.dict")
  log "$t: ${seconds} s from fuzz/corpus/$t ($(find "$root/fuzz/corpus/$t" -type f | wc -l) seeds) and $scratch"
  status=0
  # The scratch corpus comes first: libFuzzer writes new inputs into the first directory only.
  # timeout: a hang libFuzzer itself cannot end (its -timeout covers one input).
  timeout --kill-after=10 $((seconds + 180)) \
    cargo +nightly fuzz run "${FUZZ_FLAGS[@]}" "$t" "$scratch" "$root/fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dict[@]}" >"$tlog" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tlog" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tlog" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$tlog" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$tlog" | tail -1 || true)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.*corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
  line=$(printf '%-15s execs=%-9s exec/s=%-6s cov=%-6s ft=%-6s corpus=%-12s rss=%sMB' \
    "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}")
  summary+=("$line")
  # libFuzzer keeps inputs that took over 10 s (-report_slow_units) as slow-unit-* and goes on;
  # they are reported, not failures: an unoptimised build on a busy machine is slow by itself,
  # and a real hang is an input over -timeout (a timeout-* artifact, exit status non-zero).
  slow=$(find "$artifacts" -type f -name 'slow-unit-*' | wc -l)
  if [ "$slow" -gt 0 ]; then
    log "$t: $slow input(s) over 10 s kept in $artifacts ($(grep -o 'Slowest unit: [0-9]* s' "$tlog" | tail -1))"
  fi
  crash=$(find "$artifacts" -type f ! -name 'slow-unit-*' | head -1)
  if [ "$status" -ne 0 ] || [ -n "$crash" ]; then
    failed+=("$t")
    log "$t FAILED (exit $status); log: $tlog"
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|thread .* panicked' "$tlog" | head -5 >&2 || true
    if [ -n "$crash" ]; then
      log "crashing input: $crash"
      log "reproduce: cargo +nightly fuzz run ${FUZZ_FLAGS[*]} $t $crash"
    fi
  fi
done
printf '[fuzz] %s\n' "${summary[@]}"
if [ "${#failed[@]}" -ne 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
log "no crash in ${#selected[@]} target(s), ${seconds} s each"
