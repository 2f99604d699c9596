# Shared helpers of the chart tests (sourced, not run). Bash, `set -euo pipefail` in the caller.
#
# Tools: helm + kubeconform (scripts/helm-toolchain.sh) and the control plane
# (scripts/k8s-toolchain.sh: kube-apiserver, etcd, kwok, kubectl, ...). Both scripts are idempotent
# and cached, so calling them here costs ~nothing when the top-level test command already did.

CHARTS_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CHARTS_TESTS_DIR/../.." && pwd)
CHARTS_DIR="$REPO_ROOT/charts"
# The server binary (host-run checks and the helm test hook's command).
SERVER_BIN="${SPOTIFY_MCP_BIN:-$REPO_ROOT/target/debug/spotify-mcp-server}"

log() { printf '[charts] %s\n' "$*" >&2; }
fail() {
  printf '[charts] FAIL: %s\n' "$*" >&2
  exit 1
}

TESTS_RUN=0
pass() {
  TESTS_RUN=$((TESTS_RUN + 1))
  printf '[charts] ok %d - %s\n' "$TESTS_RUN" "$*" >&2
}

# Puts helm, kubectl, kwokctl on PATH.
setup_tools() {
  local helm_bin k8s_bin
  helm_bin="${SPOTIFY_MCP_HELM_BIN:-$("$REPO_ROOT/scripts/helm-toolchain.sh")}"
  k8s_bin="${SPOTIFY_MCP_K8S_BIN:-$("$REPO_ROOT/scripts/k8s-toolchain.sh")}"
  export SPOTIFY_MCP_HELM_BIN="$helm_bin" SPOTIFY_MCP_K8S_BIN="$k8s_bin"
  export PATH="$helm_bin:$k8s_bin:$PATH"
  # Keep helm's caches and repository config out of the user's home.
  HELM_TEST_HOME=$(mktemp -d)
  DRY_RUN_OUT="$HELM_TEST_HOME/dry-run.out"
  export HELM_CACHE_HOME="$HELM_TEST_HOME/cache" HELM_CONFIG_HOME="$HELM_TEST_HOME/config" HELM_DATA_HOME="$HELM_TEST_HOME/data"
}

# A real CRD of the prometheus-operator Go module ($1: servicemonitors, prometheusrules; downloaded
# into the module cache on first use; never committed). Prints its path.
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
prometheus_operator_crd() {
  local dir
  dir=$(cd /tmp && go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  echo "$dir/example/prometheus-operator-crd/monitoring.coreos.com_$1.yaml"
}

# Starts a kwok cluster (real etcd, kube-apiserver, controller-manager, scheduler; fake nodes) named
# $1 and exports KUBECONFIG and AUDIT_LOG. The cluster is deleted by stop_cluster (EXIT trap).
#
# Not scripts/k8s-cluster.sh (the operator's shared test cluster): the chart tests need two API
# server settings of their own, so they get a private, throw-away cluster:
# - the OwnerReferencesPermissionEnforcement admission plugin (on in e.g. OpenShift), under which
#   owner references with blockOwnerDeletion would need a spotifymcps/finalizers rule the chart
#   does not grant: if the operator ever sets it, the tests fail instead of the users' clusters;
# - an audit log of the requests made by ServiceAccounts, from which the tests read which
#   API calls the operator made with the chart's ServiceAccount and which were denied.
CLUSTER_NAME=""
AUDIT_LOG=""
start_cluster() {
  CLUSTER_NAME="$1"
  local bin="$SPOTIFY_MCP_K8S_BIN" dir
  dir=$(mktemp -d)
  export KWOK_WORKDIR="$dir/kwok"
  export KUBECONFIG="$dir/kubeconfig"
  cat >"$dir/kwokctl.yaml" <<'EOF'
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
componentsPatches:
  - name: kube-apiserver
    extraArgs:
      - key: enable-admission-plugins
        value: OwnerReferencesPermissionEnforcement
EOF
  cat >"$dir/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    userGroups: ["system:serviceaccounts"]
  - level: None
EOF
  log "starting kwok cluster $CLUSTER_NAME"
  kwokctl create cluster --name "$CLUSTER_NAME" --runtime binary --kubeconfig "$KUBECONFIG" \
    --config "$dir/kwokctl.yaml" --kube-audit-policy "$dir/audit-policy.yaml" \
    --kube-apiserver-binary "$bin/kube-apiserver" \
    --kube-controller-manager-binary "$bin/kube-controller-manager" \
    --kube-scheduler-binary "$bin/kube-scheduler" \
    --etcd-binary "$bin/etcd" \
    --kwok-controller-binary "$bin/kwok" \
    --wait 120s >"$dir/create.log" 2>&1 || {
    cat "$dir/create.log" >&2
    fail "kwokctl create cluster $CLUSTER_NAME"
  }
  AUDIT_LOG="$KWOK_WORKDIR/clusters/$CLUSTER_NAME/logs/audit.log"
  kwokctl scale node --name "$CLUSTER_NAME" --replicas 2 >/dev/null 2>&1 || fail "kwokctl scale node"
  # Nodes appear before kwok reports their conditions: wait until both are Ready.
  TIMEOUT=60 eventually bash -c '[ "$(kubectl get nodes --no-headers 2>/dev/null | grep -c " Ready ")" = 2 ]' ||
    fail "kwok nodes not Ready"
}

stop_cluster() {
  if [ -n "$CLUSTER_NAME" ]; then
    kwokctl delete cluster --name "$CLUSTER_NAME" >/dev/null 2>&1 || true
    rm -rf "$(dirname "$KWOK_WORKDIR")"
    CLUSTER_NAME=""
  fi
}

# A namespace that enforces the restricted Pod Security Standard, and warns on it (a warning about
# a Deployment's pod template is turned into a test failure by the callers).
restricted_namespace() {
  kubectl create namespace "$1" >/dev/null
  kubectl label namespace "$1" pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted >/dev/null
  # Pods are admitted only once the controller-manager created the namespace's default ServiceAccount.
  TIMEOUT=30 eventually kubectl -n "$1" get serviceaccount default || fail "namespace $1 has no default ServiceAccount"
}

# Server-side dry run of the manifests on stdin (strict field validation, admission incl. Pod
# Security). Fails on any error or warning.
dry_run_server() {
  local what="$1" out
  if ! out=$(kubectl apply --dry-run=server --validate=strict -f - 2>&1); then
    printf '%s\n' "$out" >&2
    fail "$what: rejected by the API server"
  fi
  if grep -qi '^warning' <<<"$out"; then
    printf '%s\n' "$out" >&2
    fail "$what: the API server warned"
  fi
  printf '%s\n' "$out"
}

# Succeeds when GET $1 answers 2xx (no curl needed).
http_ok() {
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)' "$1" 2>/dev/null
}

# Polls "$@" until it succeeds, at most $TIMEOUT seconds (default 60).
eventually() {
  local deadline=$((SECONDS + ${TIMEOUT:-60}))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 1
  done
}

# Every object of the release's namespace(s) still present after an uninstall, besides what every
# namespace has (default ServiceAccount, kube-root-ca.crt).
leftovers() {
  local ns="$1"
  kubectl api-resources --verbs=list --namespaced -o name |
    grep -v -E '^(events|events.events.k8s.io)$' |
    while read -r kind; do
      kubectl get "$kind" -n "$ns" -o name 2>/dev/null
    done |
    grep -v -E '^(serviceaccount/default|configmap/kube-root-ca.crt)$' || true
}
