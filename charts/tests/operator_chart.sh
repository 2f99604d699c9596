# The spotify-mcp-operator chart on the real control plane (kwok nodes). Sourced by run.sh.
#
# kwok runs no containers, so the operator pod the chart creates only "runs" on paper. The operator
# that does the work is the real binary, started on the host with exactly the arguments and
# environment of the chart's Deployment and authenticated with a token of the chart's ServiceAccount
# (`kubectl create token`): every API call it makes is authorised by the chart's RBAC, so a missing
# rule shows up as a SpotifyMcp that never becomes Ready (and a 403 in the operator's log).

OPERATOR_CHART="$CHARTS_DIR/spotify-mcp-operator"
OPERATOR_BIN="${SPOTIFY_MCP_OPERATOR_BIN:-$REPO_ROOT/target/debug/spotify-mcp-operator}"
HOST_OPERATOR_PID=""
HOST_OPERATOR_LOG=""
HOST_OPERATOR_PORT=""

test_operator_dry_run() {
  local ns=operator-dry-run
  restricted_namespace "$ns"
  kubectl get namespace music >/dev/null 2>&1 || restricted_namespace music
  helm template op "$OPERATOR_CHART" -n "$ns" | dry_run_server "operator defaults" >/dev/null
  helm template op "$OPERATOR_CHART" -n "$ns" -f "$OPERATOR_CHART/ci/everything-values.yaml" \
    --api-versions monitoring.coreos.com/v1/ServiceMonitor --api-versions monitoring.coreos.com/v1/PrometheusRule |
    dry_run_server "operator everything-on" >"$DRY_RUN_OUT"
  grep -q '^servicemonitor.monitoring.coreos.com/operator-everything created' "$DRY_RUN_OUT" ||
    fail "everything-on render has no ServiceMonitor"
  grep -q '^prometheusrule.monitoring.coreos.com/operator-everything-servers created' "$DRY_RUN_OUT" ||
    fail "everything-on render has no PrometheusRule"
  grep -q '^configmap/operator-everything-dashboard created' "$DRY_RUN_OUT" ||
    fail "everything-on render has no dashboard ConfigMap"
  helm template op "$OPERATOR_CHART" -n "$ns" -f "$OPERATOR_CHART/ci/namespaced-values.yaml" |
    dry_run_server "operator namespace-scoped" >"$DRY_RUN_OUT"
  grep -q '^role.rbac.authorization.k8s.io/op-spotify-mcp-operator created' "$DRY_RUN_OUT" ||
    fail "namespace-scoped render has no Role"
  # The CRD the chart ships, through the same strict server-side validation.
  kubectl apply --dry-run=server --validate=strict -f "$OPERATOR_CHART/crds/" >/dev/null ||
    fail "the chart's CRD is rejected by the API server"
  kubectl delete namespace "$ns" --wait=false >/dev/null
  pass "spotify-mcp-operator: default, everything-on and namespace-scoped renders + CRD pass kubectl apply --dry-run=server (strict, restricted PSS)"
}

# Starts the operator binary on the host as the chart's Deployment would run it, with a token of
# the chart's ServiceAccount. $1 namespace of the release, $2 Deployment name, $3 identity.
start_host_operator() {
  local ns="$1" deploy="$2" identity="$3" sa dir server ca token
  [ -n "${OPERATOR_IMAGE:-}" ] || [ -x "$OPERATOR_BIN" ] ||
    fail "no operator binary at $OPERATOR_BIN (cargo build --bins, or set SPOTIFY_MCP_OPERATOR_BIN)"
  dir=$(mktemp -d)
  sa=$(kubectl -n "$ns" get deployment "$deploy" -o jsonpath='{.spec.template.spec.serviceAccountName}')
  token=$(kubectl -n "$ns" create token "$sa" --duration 1h) || fail "kubectl create token $sa"
  server=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.server}')
  ca=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
  if [ -z "$ca" ]; then
    ca=$(base64 -w0 <"$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority}')")
  fi
  # A kubeconfig with nothing but the ServiceAccount's token: no admin credentials reach the operator.
  cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: kwok
    cluster:
      server: $server
      certificate-authority-data: $ca
users:
  - name: $sa
    user:
      token: $token
contexts:
  - name: operator
    context: {cluster: kwok, user: $sa}
current-context: operator
EOF
  HOST_OPERATOR_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # The container's args and environment, with the downward-API values a kubelet would fill in and
  # the listen address moved to a free loopback port.
  kubectl -n "$ns" get deployment "$deploy" -o json >"$dir/deployment.json"
  python3 - "$dir/deployment.json" "$identity" "$HOST_OPERATOR_PORT" "$ns" "$dir" <<'EOF' || fail "cannot derive the operator command from the Deployment"
import json, sys
dep = json.load(open(sys.argv[1]))
identity, port, ns, out = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
c = dep["spec"]["template"]["spec"]["containers"][0]
env = {}
for e in c.get("env", []):
    if "value" in e:
        env[e["name"]] = e["value"]
    else:
        path = e["valueFrom"]["fieldRef"]["fieldPath"]
        env[e["name"]] = {"metadata.namespace": ns, "metadata.name": identity}[path]
env["SPOTIFY_MCP_OPERATOR_BIND"] = f"127.0.0.1:{port}"
# kwok's pods have made-up addresses that are not on this machine: the host operator must not
# connect to them (it still watches the pods, so the pods rule is exercised).
env["SPOTIFY_MCP_OPERATOR_PROBE_SERVERS"] = "false"
open(f"{out}/env", "w").write("".join(f"{k}={v}\0" for k, v in env.items()))
open(f"{out}/args", "w").write("".join(f"{a}\0" for a in c.get("args", [])))
EOF
  local -a envs args
  mapfile -d '' -t envs <"$dir/env"
  mapfile -d '' -t args <"$dir/args"
  HOST_OPERATOR_LOG="$dir/operator.log"
  if [ -n "${OPERATOR_IMAGE:-}" ]; then
    # The operator image instead of the host binary: host network (to reach the API server on
    # loopback), the restricted settings of the chart's securityContext, the token kubeconfig mounted.
    local -a penv=()
    local e
    for e in "${envs[@]}"; do penv+=(-e "$e"); done
    chmod 755 "$dir" && chmod 644 "$dir/kubeconfig"
    log "operator image $OPERATOR_IMAGE as $ns/$sa: ${envs[*]} ${args[*]}"
    "$SPOTIFY_MCP_PODMAN" --runtime runc run --rm --network host --read-only --cap-drop ALL \
      --security-opt no-new-privileges --user 65532:65532 \
      --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
      -v "$dir/kubeconfig:/etc/spotify-mcp-operator/kubeconfig:ro" -e KUBECONFIG=/etc/spotify-mcp-operator/kubeconfig \
      "${penv[@]}" "$OPERATOR_IMAGE" "${args[@]}" >"$HOST_OPERATOR_LOG" 2>&1 &
  else
    log "host operator as $ns/$sa: ${envs[*]} spotify-mcp-operator ${args[*]}"
    env -i PATH="$PATH" HOME="$dir" KUBECONFIG="$dir/kubeconfig" "${envs[@]}" "$OPERATOR_BIN" "${args[@]}" \
      >"$HOST_OPERATOR_LOG" 2>&1 &
  fi
  HOST_OPERATOR_PID=$!
  TIMEOUT=60 eventually http_ok "http://127.0.0.1:$HOST_OPERATOR_PORT/readyz" || {
    tail -n 30 "$HOST_OPERATOR_LOG" >&2
    fail "the host operator did not become ready"
  }
}

stop_host_operator() {
  if [ -n "$HOST_OPERATOR_PID" ]; then
    kill -TERM "$HOST_OPERATOR_PID" 2>/dev/null || true
    wait "$HOST_OPERATOR_PID" 2>/dev/null || true
    HOST_OPERATOR_PID=""
  fi
}

# The status condition `type` of SpotifyMcp $2 in namespace $1 ("True"/"False"/"").
smcp_condition() {
  kubectl -n "$1" get smcp "$2" -o jsonpath="{.status.conditions[?(@.type==\"$3\")].status}"
}

# Forbidden API calls the host operator logged (RBAC it lacked), one line per distinct denial.
operator_forbidden() {
  grep -o -E 'cannot [a-z]+ resource \\?"[a-z/]+\\?" in API group \\?"[a-z.]*\\?"|[a-z./]+ \\?"[^"\\]+\\?" is forbidden: [^"\\]{0,120}' "$HOST_OPERATOR_LOG" |
    tr -d '\\' | sort -u || true
}

test_operator_lifecycle() {
  local ns=spotify-mcp-system rel=op deploy=op-spotify-mcp-operator apps=music out endpoint
  restricted_namespace "$ns"
  kubectl get namespace "$apps" >/dev/null 2>&1 || restricted_namespace "$apps"

  out=$(helm install "$rel" "$OPERATOR_CHART" -n "$ns" --wait --timeout 120s --set serviceMonitor.enabled=true 2>&1) ||
    fail "helm install spotify-mcp-operator: $out"
  grep -q 'examples/sandbox.yaml' <<<"$out" || fail "NOTES do not show the next step (examples/sandbox.yaml): $out"
  kubectl get crd spotifymcps.spotifymcp.dev >/dev/null 2>&1 || fail "the chart did not install the CRD"
  kubectl -n "$ns" wait --for=condition=Available "deployment/$deploy" --timeout=60s >/dev/null || fail "operator Deployment not Available"
  [ "$(kubectl -n "$ns" get deployment "$deploy" -o jsonpath='{.spec.strategy.type}')" = Recreate ] || fail "strategy is not Recreate"
  kubectl -n "$ns" get service "$deploy" -o jsonpath='{.spec.ports[0].name}:{.spec.ports[0].port}' | grep -x 'http-metrics:8080' >/dev/null ||
    fail "operator metrics Service"
  kubectl -n "$ns" get servicemonitor "$deploy" >/dev/null 2>&1 || fail "no ServiceMonitor for the operator"
  pass "spotify-mcp-operator: helm install --wait; CRD, Deployment Available (Recreate), metrics Service, ServiceMonitor"

  # People: the aggregated roles give namespace editors SpotifyMcp rights and viewers read access.
  kubectl -n "$apps" create rolebinding alice-edit --clusterrole=edit --user=alice >/dev/null
  kubectl -n "$apps" create rolebinding bob-view --clusterrole=view --user=bob >/dev/null
  TIMEOUT=30 eventually bash -c "[ \"\$(kubectl auth can-i create spotifymcps.spotifymcp.dev -n $apps --as alice)\" = yes ]" ||
    fail "the edit role does not include SpotifyMcp rights (aggregation)"
  [ "$(kubectl auth can-i list spotifymcps.spotifymcp.dev -n "$apps" --as bob)" = yes ] || fail "the view role cannot list SpotifyMcps"
  [ "$(kubectl auth can-i create spotifymcps.spotifymcp.dev -n "$apps" --as bob || true)" = no ] || fail "the view role can create SpotifyMcps"
  [ "$(kubectl auth can-i patch spotifymcps.spotifymcp.dev --subresource=status -n "$apps" --as alice || true)" = no ] ||
    fail "the edit role can write the status (the operator's job)"
  kubectl -n "$apps" delete rolebinding alice-edit bob-view >/dev/null
  pass "spotify-mcp-operator: aggregated roles: edit manages SpotifyMcps (not their status), view reads them"

  start_host_operator "$ns" "$deploy" host-operator-0
  # The helm test hook's command, run on the host against the real operator process.
  [ -x "$SERVER_BIN" ] || fail "no server binary at $SERVER_BIN (cargo build --bins, or set SPOTIFY_MCP_BIN)"
  "$SERVER_BIN" healthcheck --url "http://127.0.0.1:$HOST_OPERATOR_PORT/readyz" >/dev/null 2>&1 ||
    fail "the hook's command (spotify-mcp-server healthcheck) fails against the running operator"

  # examples/sandbox.yaml: no Secrets; examples/spotifymcp.yaml: Secrets + access token + ServiceMonitor.
  kubectl -n "$apps" apply -f "$REPO_ROOT/examples/sandbox.yaml" >/dev/null
  kubectl -n "$apps" apply -f "$REPO_ROOT/examples/spotifymcp.yaml" >/dev/null
  for smcp in spotify-mcp-sandbox spotify-mcp; do
    TIMEOUT=90 eventually bash -c "[ \"\$(kubectl -n $apps get smcp $smcp -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]" || {
      kubectl -n "$apps" get smcp "$smcp" -o yaml >&2
      tail -n 5 "$HOST_OPERATOR_LOG" | cut -c1-400 >&2
      fail "SpotifyMcp $smcp did not become Ready with the chart's RBAC (forbidden calls: $(operator_forbidden | head -3))"
    }
    kubectl -n "$apps" wait --for=condition=Available "deployment/$smcp" --timeout=30s >/dev/null || fail "deployment/$smcp not Available"
    kubectl -n "$apps" get service "$smcp" >/dev/null || fail "no service/$smcp"
  done
  endpoint=$(kubectl -n "$apps" get smcp spotify-mcp-sandbox -o jsonpath='{.status.endpoint}')
  [ -n "$endpoint" ] || fail "no endpoint in the status"
  # What operator/README.md shows: `kubectl get smcp -n music` prints READY True and the endpoint,
  # and `kubectl explain smcp.spec` is served (tests/python/test_readme_commands.py maps both here).
  out=$(kubectl get smcp -n music) || fail "kubectl get smcp -n music: $out"
  grep -Eq '^NAME +READY +REPLICAS +ENDPOINT +AGE' <<<"$out" || fail "kubectl get smcp columns: $out"
  grep -Eq "^spotify-mcp-sandbox +True +1 +${endpoint//./\\.} " <<<"$out" || fail "kubectl get smcp row: $out"
  out=$(kubectl explain smcp.spec 2>&1) || fail "kubectl explain smcp.spec: $out"
  grep -Eq '^ +toolsets\b' <<<"$out" || fail "kubectl explain smcp.spec shows no fields: $out"
  [ "$(smcp_condition "$apps" spotify-mcp ServiceMonitorReady)" = True ] || fail "ServiceMonitorReady is not True"
  kubectl -n "$apps" get servicemonitor spotify-mcp >/dev/null 2>&1 || fail "the operator did not create the ServiceMonitor"
  [ "$(smcp_condition "$apps" spotify-mcp PrometheusRuleReady)" = True ] || fail "PrometheusRuleReady is not True"
  kubectl -n "$apps" get prometheusrule spotify-mcp >/dev/null 2>&1 || fail "the operator did not create the PrometheusRule"
  kubectl -n "$apps" get events.events.k8s.io -o jsonpath='{.items[*].reportingController}' | grep spotify-mcp-operator >/dev/null ||
    fail "the operator published no Event"
  # Disabling the ServiceMonitor and the PrometheusRule makes the operator delete them (the rules'
  # delete verbs).
  kubectl -n "$apps" patch smcp spotify-mcp --type merge \
    -p '{"spec":{"metrics":{"serviceMonitor":{"enabled":false},"prometheusRule":{"enabled":false}}}}' >/dev/null
  TIMEOUT=60 eventually bash -c "! kubectl -n $apps get servicemonitor spotify-mcp >/dev/null 2>&1" ||
    fail "the ServiceMonitor was not deleted after disabling it ($(operator_forbidden | head -1))"
  TIMEOUT=60 eventually bash -c "! kubectl -n $apps get prometheusrule spotify-mcp >/dev/null 2>&1" ||
    fail "the PrometheusRule was not deleted after disabling it ($(operator_forbidden | head -1))"
  out=$(operator_forbidden)
  [ -z "$out" ] || fail "the operator hit RBAC denials: $out"
  pass "host operator with the chart ServiceAccount's token: examples become Ready (endpoint $endpoint; kubectl get smcp and kubectl explain smcp.spec as operator/README.md shows them), ServiceMonitor and PrometheusRule created and deleted, Events, no 403"

  # helm upgrade with changed values: leader election on, 2 replicas, debug logs.
  out=$(helm upgrade "$rel" "$OPERATOR_CHART" -n "$ns" --wait --timeout 120s --reuse-values \
    --set leaderElection.enabled=true --set replicaCount=2 --set operator.logLevel=debug 2>&1) || fail "helm upgrade: $out"
  [ "$(kubectl -n "$ns" get deployment "$deploy" -o jsonpath='{.spec.strategy.type}')" = RollingUpdate ] ||
    fail "leader election did not switch the strategy to RollingUpdate"
  kubectl -n "$ns" get deployment "$deploy" -o jsonpath='{.status.readyReplicas}' | grep -x 2 >/dev/null || fail "2 replicas not ready"
  kubectl -n "$ns" get role "$deploy-leader-election" >/dev/null || fail "no leader-election Role"
  stop_host_operator
  start_host_operator "$ns" "$deploy" host-operator-1
  TIMEOUT=60 eventually bash -c "[ \"\$(kubectl -n $ns get lease $deploy -o jsonpath='{.spec.holderIdentity}')\" = host-operator-1 ]" || {
    tail -n 20 "$HOST_OPERATOR_LOG" >&2
    fail "the upgraded operator did not take the Lease with the chart's leader-election Role"
  }
  kubectl -n "$apps" patch smcp spotify-mcp-sandbox --type merge -p '{"spec":{"replicas":2}}' >/dev/null
  TIMEOUT=60 eventually bash -c "[ \"\$(kubectl -n $apps get deployment spotify-mcp-sandbox -o jsonpath='{.status.readyReplicas}')\" = 2 ]" ||
    fail "the leader did not reconcile a spec change"
  out=$(operator_forbidden)
  [ -z "$out" ] || fail "the upgraded operator hit RBAC denials: $out"
  pass "spotify-mcp-operator: helm upgrade (leader election, 2 replicas, RollingUpdate); the host operator holds the Lease and reconciles"

  check_rbac_exact "$ns" "$deploy" "clusterrole/$deploy" "$ns:role/$deploy-leader-election"

  # A missing rule must fail: without spotifymcps/status a new SpotifyMcp gets no status and the
  # operator is told "forbidden".
  local idx
  idx=$(kubectl get clusterrole "$deploy" -o json |
    python3 -c 'import json,sys; print([i for i,r in enumerate(json.load(sys.stdin)["rules"]) if "spotifymcps/status" in r["resources"]][0])')
  kubectl patch clusterrole "$deploy" --type json -p "[{\"op\":\"remove\",\"path\":\"/rules/$idx\"}]" >/dev/null
  sed 's/name: spotify-mcp-sandbox/name: without-status-rule/' "$REPO_ROOT/examples/sandbox.yaml" | kubectl -n "$apps" apply -f - >/dev/null
  TIMEOUT=30 eventually bash -c "grep -q 'cannot patch resource .*spotifymcps/status' '$HOST_OPERATOR_LOG'" ||
    fail "without the spotifymcps/status rule the operator was not denied: it is not using the chart's ServiceAccount"
  [ -z "$(smcp_condition "$apps" without-status-rule Ready)" ] || fail "a status was written without the status rule"
  pass "negative control: without its spotifymcps/status rule the host operator is denied (the chart's RBAC is what is tested)"
  # helm upgrade restores the rule; the pending SpotifyMcp then converges. Helm 4 upgrades with
  # server-side apply: a field a person changed with kubectl belongs to that manager now, so taking
  # it back needs --force-conflicts (without it Helm refuses, naming the conflicting manager).
  out=$(helm upgrade "$rel" "$OPERATOR_CHART" -n "$ns" --wait --timeout 120s --reuse-values 2>&1) &&
    fail "helm upgrade took over a hand-edited field without --force-conflicts"
  grep -q 'conflict with "kubectl-patch"' <<<"$out" || fail "helm upgrade failed for an unexpected reason: $out"
  out=$(helm upgrade "$rel" "$OPERATOR_CHART" -n "$ns" --wait --timeout 120s --reuse-values --force-conflicts 2>&1) ||
    fail "helm upgrade --force-conflicts (restore): $out"
  kubectl get clusterrole "$deploy" -o jsonpath='{.rules[*].resources}' | grep 'spotifymcps/status' >/dev/null ||
    fail "helm upgrade did not restore the removed rule"
  TIMEOUT=90 eventually bash -c "[ \"\$(kubectl -n $apps get smcp without-status-rule -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]" ||
    fail "after helm upgrade restored the rule the SpotifyMcp did not become Ready"
  pass "helm upgrade --force-conflicts restores a hand-removed rule (plain upgrade reports the conflict); the pending SpotifyMcp becomes Ready"

  helm_test_on_kwok "$ns" "$rel" "$deploy-test" healthcheck "http://$deploy.$ns.svc.cluster.local:8080/readyz"

  kubectl -n "$apps" delete smcp --all --wait=true --timeout=60s >/dev/null
  stop_host_operator
  out=$(helm uninstall "$rel" -n "$ns" --wait --timeout 60s 2>&1) || fail "helm uninstall: $out"
  TIMEOUT=60 eventually bash -c "[ -z \"\$(kubectl get pods -n $ns -o name | grep -v -- -test\$)\" ]" || true
  out=$(leftovers "$ns")
  expect_only_unfinished_test_pod "$ns" "$out" "pod/$deploy-test"
  out=$(kubectl get clusterroles,clusterrolebindings -l "app.kubernetes.io/instance=$rel" -o name)
  [ -z "$out" ] || fail "cluster-scoped objects left behind: $out"
  kubectl get crd spotifymcps.spotifymcp.dev >/dev/null 2>&1 || fail "the CRD was deleted (Helm keeps crds/)"
  pass "spotify-mcp-operator: helm uninstall leaves only the CRD"
}

# Namespace-scoped mode: Role/RoleBinding in one namespace; the operator reconciles there and
# leaves other namespaces alone, without any cluster-wide grant.
test_operator_namespaced() {
  local ns=spotify-mcp-scoped rel=scoped deploy=scoped-spotify-mcp-operator watched=team-a other=team-b out
  restricted_namespace "$ns"
  restricted_namespace "$watched"
  restricted_namespace "$other"
  out=$(helm install "$rel" "$OPERATOR_CHART" -n "$ns" --wait --timeout 120s --set watchNamespace="$watched" 2>&1) ||
    fail "helm install (namespace-scoped): $out"
  kubectl get clusterroles,clusterrolebindings -l "app.kubernetes.io/instance=$rel" -o name | grep . >/dev/null &&
    fail "namespace-scoped mode created cluster-wide RBAC"
  start_host_operator "$ns" "$deploy" scoped-operator-0
  kubectl -n "$watched" apply -f "$REPO_ROOT/examples/sandbox.yaml" >/dev/null
  kubectl -n "$watched" apply -f "$REPO_ROOT/examples/spotifymcp.yaml" >/dev/null
  kubectl -n "$other" apply -f "$REPO_ROOT/examples/sandbox.yaml" >/dev/null
  for smcp in spotify-mcp-sandbox spotify-mcp; do
    TIMEOUT=90 eventually bash -c "[ \"\$(kubectl -n $watched get smcp $smcp -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]" || {
      tail -n 5 "$HOST_OPERATOR_LOG" | cut -c1-400 >&2
      fail "namespace-scoped: SpotifyMcp $smcp in $watched did not become Ready ($(operator_forbidden | head -3))"
    }
  done
  kubectl -n "$watched" get servicemonitor spotify-mcp >/dev/null 2>&1 || fail "namespace-scoped: no ServiceMonitor"
  kubectl -n "$watched" get prometheusrule spotify-mcp >/dev/null 2>&1 || fail "namespace-scoped: no PrometheusRule"
  kubectl -n "$watched" patch smcp spotify-mcp --type merge \
    -p '{"spec":{"metrics":{"serviceMonitor":{"enabled":false},"prometheusRule":{"enabled":false}}}}' >/dev/null
  TIMEOUT=60 eventually bash -c "! kubectl -n $watched get servicemonitor spotify-mcp >/dev/null 2>&1" ||
    fail "namespace-scoped: the ServiceMonitor was not deleted"
  TIMEOUT=60 eventually bash -c "! kubectl -n $watched get prometheusrule spotify-mcp >/dev/null 2>&1" ||
    fail "namespace-scoped: the PrometheusRule was not deleted"
  sleep 3
  kubectl -n "$other" get deployment spotify-mcp-sandbox >/dev/null 2>&1 && fail "namespace-scoped operator reconciled namespace $other"
  [ -z "$(smcp_condition "$other" spotify-mcp-sandbox Ready)" ] || fail "namespace-scoped operator wrote a status in $other"
  out=$(operator_forbidden)
  [ -z "$out" ] || fail "namespace-scoped operator hit RBAC denials: $out"
  pass "spotify-mcp-operator namespace-scoped: Role/RoleBinding only; Ready in $watched, $other untouched, no 403"
  check_rbac_exact "$ns" "$deploy" "$watched:role/$deploy"
  kubectl -n "$watched" delete smcp --all --wait=true --timeout=60s >/dev/null
  kubectl -n "$other" delete smcp --all --wait=false >/dev/null
  stop_host_operator
  helm uninstall "$rel" -n "$ns" --wait --timeout 60s >/dev/null || fail "helm uninstall (namespace-scoped)"
  out=$(kubectl get roles,rolebindings -n "$watched" -l "app.kubernetes.io/instance=$rel" -o name)
  [ -z "$out" ] || fail "namespace-scoped uninstall left $out"
}

# Compares what the chart's RBAC grants the operator's ServiceAccount with the API calls the operator
# made during the scenario (the API server's audit log): every call was allowed, and every granted
# verb was used, except the two the scenario cannot show in the audit log (listed with the reason).
# $1 release namespace, $2 Deployment; then the roles granting the rules, as kind/name or
# namespace:kind/name.
check_rbac_exact() {
  local ns="$1" deploy="$2" sa granted src
  shift 2
  sa=$(kubectl -n "$ns" get deployment "$deploy" -o jsonpath='{.spec.template.spec.serviceAccountName}')
  granted=$(mktemp)
  for src in "$@"; do
    case "$src" in
      *:*) kubectl -n "${src%%:*}" get "${src#*:}" -o json ;;
      *) kubectl get "$src" -o json ;;
    esac
  done | python3 -c 'import json,sys; d=json.JSONDecoder(); t=sys.stdin.read(); out=[]; i=0
while i < len(t):
    t2=t[i:].lstrip()
    if not t2: break
    o,n=d.raw_decode(t2); out.extend(o["rules"]); i=len(t)-len(t2)+n
print(json.dumps(out))' >"$granted"
  python3 - "$AUDIT_LOG" "system:serviceaccount:$ns:$sa" "$granted" <<'EOF' || fail "the chart's RBAC and the operator's API calls differ (see above)"
import json, sys
audit, user, granted_file = sys.argv[1], sys.argv[2], sys.argv[3]
used, denied, seen = {}, {}, set()
for line in open(audit):
    e = json.loads(line)
    # A watch logs ResponseStarted when it begins and ResponseComplete only when it ends: take the
    # first response stage of each request.
    if e.get("user", {}).get("username") != user or e.get("stage") not in ("ResponseStarted", "ResponseComplete"):
        continue
    if e["auditID"] in seen:
        continue
    seen.add(e["auditID"])
    ref = e.get("objectRef", {})
    if "resource" not in ref:
        continue  # discovery (/apis/...): non-resource URLs, open to every authenticated client
    res = ref["resource"] + ("/" + ref["subresource"] if ref.get("subresource") else "")
    key = (ref.get("apiGroup", ""), res, e["verb"])
    code = e.get("responseStatus", {}).get("code", 0)
    (denied if code == 403 else used)[key] = (denied if code == 403 else used).get(key, 0) + 1
granted = set()
for rule in json.load(open(granted_file)):
    for g in rule.get("apiGroups", []):
        for r in rule.get("resources", []):
            for v in rule.get("verbs", []):
                granted.add((g, r, v))
# Not visible as requests of the operator in the audit log:
exempt = {
    # server-side apply of an object that does not exist yet is a PATCH request (so the audit log
    # says patch) that the API server also authorises as create; without these the first apply
    # of each child is denied (the first run of this test showed exactly that).
    ("apps", "deployments", "create"): "authorised inside the creating apply",
    ("", "services", "create"): "authorised inside the creating apply",
    ("monitoring.coreos.com", "servicemonitors", "create"): "authorised inside the creating apply",
    ("monitoring.coreos.com", "prometheusrules", "create"): "authorised inside the creating apply",
    # the scaling and exposure children exist only when a SpotifyMcp asks for them, and are deleted
    # only when it stops; the chart's scenario need not do either.
    **{(g, r, v): "only when a SpotifyMcp asks for (then drops) it"
       for g, r in (("autoscaling", "horizontalpodautoscalers"), ("policy", "poddisruptionbudgets"),
                    ("networking.k8s.io", "networkpolicies"), ("networking.k8s.io", "ingresses"))
       for v in ("create", "patch", "delete")},
    # watched only once the Gateway API CRDs are installed, which the chart tests do not install.
    **{("gateway.networking.k8s.io", "httproutes", v): "only with the Gateway API CRDs installed"
       for v in ("list", "watch", "create", "patch", "delete")},
    # only used when the same Event repeats (series); a short scenario may not repeat one.
    ("events.k8s.io", "events", "patch"): "Event series only",
}
print("[charts] API calls of %s (audit log): %s" % (user, ", ".join(
    "%s %s%s x%d" % (v, r, "." + g if g else "", n) for (g, r, v), n in sorted(used.items()))), file=sys.stderr)
problems = []
for key, n in sorted(denied.items()):
    problems.append("denied %dx: %s %s (group %r)" % (n, key[2], key[1], key[0]))
for key in sorted(set(used) - granted):
    problems.append("used but not granted (an aggregated/default role allowed it?): %s" % (key,))
for key in sorted(granted - set(used) - set(exempt)):
    problems.append("granted but never used (not least privilege): %s %s (group %r)" % (key[2], key[1], key[0]))
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
EOF
  rm -f "$granted"
  pass "RBAC is exact ($*): every API call of the operator was allowed, every granted verb was used (audit log)"
}
