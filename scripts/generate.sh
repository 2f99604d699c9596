#!/usr/bin/env bash
# Regenerates every derived file of the repository from its one source:
#
#   crds/spotifymcp.dev_spotifymcps.yaml        <- operator/src/crd.rs (`spotify-mcp-operator crd`)
#   README.md's flag table (between its markers) <- server/src/config.rs (the `flag_table` example)
#   server/tools/<tool>.json, one per tool       <- the tools' modules in server/src/mcp/ (the
#                                                  `tool_snapshots` example), which then writes
#   README.md's table of tools (between its markers) from server/tools/*.json
#   README.md's endpoint -> tool coverage table  <- what the built server requests of a recording
#                                                  sandbox when every tool is called
#                                                  (tests/python/coverage_table.py, in the test venv)
#   charts/*/values.schema.json                 <- charts/tests/values_schema.py
#   operator/README.md's RBAC table              <- the operator chart's templates/rbac.yaml
#                                                  (charts/tests/rbac_table.py)
#   operator/tests/golden/<example>.yaml         <- the operator's build of each examples/*.yaml
#                                                  (operator/tests/golden.rs with SPOTIFY_MCP_UPDATE_GOLDEN=1)
#   charts/*/crds/, charts/*/files/             <- byte-for-byte copies (Helm reads nothing outside
#                                                  a chart's directory), listed in COPIES below
#
#   scripts/generate.sh            # rewrite them all (builds the operator for the CRD)
#   scripts/generate.sh --check    # exit 1 naming every stale schema, copy or tool snapshot
#                                  # (builds the server's tool_snapshots example; the CRD, the
#                                  # flag table and the golden files are checked by `cargo test`:
#                                  # operator's --test manifests and --test golden, server's
#                                  # --test readme, which also checks the table of tools, and
#                                  # --test tool_snapshots the snapshots, each naming this script;
#                                  # the coverage table by tests/python/test_coverage.py)
#   scripts/generate.sh --list     # the copies, "source destination" per line (charts/tests/static.sh)
#
# The copies are checked by charts/tests/run.sh static (test_copies_in_sync), which also fails on a
# file under charts/*/files or charts/*/crds that no line of COPIES produces.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# source destination: the Prometheus alert rules and the Grafana dashboard of infra/ (also used by
# docker-compose), and the operator's generated CRD, into the charts.
COPIES=(
  "crds/spotifymcp.dev_spotifymcps.yaml charts/spotify-mcp-operator/crds/spotifymcp.dev_spotifymcps.yaml"
  "infra/prometheus/alerts.yml charts/spotify-mcp/files/alerts.yml"
  "infra/grafana/dashboards/spotify-mcp-server.json charts/spotify-mcp/files/spotify-mcp-server.json"
  "infra/prometheus/alerts.yml charts/spotify-mcp-operator/files/alerts.yml"
  "infra/grafana/dashboards/spotify-mcp-server.json charts/spotify-mcp-operator/files/spotify-mcp-server.json"
)

mode="${1:-write}"
case "$mode" in
  write | --check | --list) ;;
  *)
    echo "usage: $0 [--check|--list]" >&2
    exit 2
    ;;
esac

if [ "$mode" = --list ]; then
  printf '%s\n' "${COPIES[@]}"
  exit 0
fi

if [ "$mode" = --check ]; then
  stale=0
  python3 charts/tests/values_schema.py --check || stale=1
  python3 charts/tests/rbac_table.py --check || stale=1
  for pair in "${COPIES[@]}"; do
    read -r src dst <<<"$pair"
    if ! cmp -s "$src" "$dst"; then
      echo "$dst differs from $src; run scripts/generate.sh" >&2
      stale=1
    fi
  done
  cargo run --quiet --locked -p spotify-mcp-server --example tool_snapshots -- --check || stale=1
  exit "$stale"
fi

# The CRD first: it is the source of the chart's copy.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cargo run --quiet -p spotify-mcp-operator -- crd >"$tmp"
mv "$tmp" crds/spotifymcp.dev_spotifymcps.yaml
python3 charts/tests/values_schema.py
python3 charts/tests/rbac_table.py
SPOTIFY_MCP_UPDATE_GOLDEN=1 cargo test --quiet -p spotify-mcp-operator --test golden >&2
cargo run --quiet -p spotify-mcp-server --example flag_table -- --write README.md
cargo run --quiet -p spotify-mcp-server --example tool_snapshots -- --write
# The coverage table: the freshly built server, run by the test venv's Python.
cargo build --quiet -p spotify-mcp-server
eval "$(scripts/test-env.sh)"
SPOTIFY_MCP_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/spotify-mcp-server" \
  "$SPOTIFY_MCP_TEST_PYTHON" tests/python/coverage_table.py --write README.md >&2
for pair in "${COPIES[@]}"; do
  read -r src dst <<<"$pair"
  mkdir -p "$(dirname "$dst")"
  cp "$src" "$dst"
done
echo "regenerated: crds/, charts/*/values.schema.json, operator/README.md's RBAC table, operator/tests/golden/, README.md's flag table, server/tools/ and README.md's table of tools, README.md's coverage table, ${#COPIES[@]} chart copies" >&2
