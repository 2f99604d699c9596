#!/usr/bin/env bash
# Tests of the Helm charts (and the operator image), on a real control plane with kwok nodes.
#
#   charts/tests/run.sh            # everything, then charts/tests/operator_image.sh
#   charts/tests/run.sh static     # only the checks without a cluster (schema, lint, typos)
#   charts/tests/run.sh server     # static + the spotify-mcp chart on the cluster
#   charts/tests/run.sh operator   # static + the spotify-mcp-operator chart on the cluster
#
# Tools come from scripts/helm-toolchain.sh and scripts/k8s-toolchain.sh (cached builds), or from
# SPOTIFY_MCP_HELM_BIN / SPOTIFY_MCP_K8S_BIN when the caller already ran them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$CHARTS_TESTS_DIR/static.sh"
source "$CHARTS_TESTS_DIR/server_chart.sh"
source "$CHARTS_TESTS_DIR/operator_chart.sh"

what="${1:-all}"
case "$what" in all | static | server | operator) ;; *) fail "usage: $0 [all|static|server|operator]" ;; esac
setup_tools
trap 'stop_server; stop_host_operator; stop_cluster; rm -rf "$HELM_TEST_HOME"' EXIT

test_schema_generated
test_rbac_table_generated
for chart in $(charts_list); do
  test_schema_closed "$chart"
  test_lint "$chart"
  test_typos_rejected "$chart"
  test_package "$chart"
done
test_copies_in_sync
test_monitoring_render
test_scaling_render
test_hosted_render
test_operator_render_rules
[ "$what" = static ] && { log "$TESTS_RUN checks passed"; exit 0; }

start_cluster "spotify-mcp-charts-$$"
for crd in servicemonitors prometheusrules; do
  kubectl apply --server-side -f "$(prometheus_operator_crd "$crd")" >/dev/null
  TIMEOUT=60 eventually kubectl wait --for=condition=Established "crd/$crd.monitoring.coreos.com" --timeout=5s ||
    fail "the $crd CRD is not Established"
done

if [ "$what" != operator ]; then
  test_server_dry_run
  test_server_servicemonitor_gate
  test_server_lifecycle
  test_server_env_with_binary
fi
if [ "$what" != server ]; then
  test_operator_dry_run
  test_operator_lifecycle
  test_operator_namespaced
fi

log "all $TESTS_RUN chart checks passed"
if [ "$what" = all ]; then
  stop_host_operator
  stop_cluster
  log "operator image (charts/tests/operator_image.sh)"
  "$CHARTS_TESTS_DIR/operator_image.sh"
fi
