# The spotify-mcp chart on the real control plane (kwok nodes). Sourced by run.sh.

SERVER_CHART="$CHARTS_DIR/spotify-mcp"

# Default values and the everything-on values pass the API server's strict validation and the
# restricted Pod Security admission; a manifest that breaks either is rejected (the checks can fail).
test_server_dry_run() {
  local ns=server-dry-run
  restricted_namespace "$ns"
  helm template r1 "$SERVER_CHART" -n "$ns" | dry_run_server "spotify-mcp defaults" >/dev/null
  helm template r1 "$SERVER_CHART" -n "$ns" -f "$SERVER_CHART/ci/everything-values.yaml" \
    --api-versions monitoring.coreos.com/v1/ServiceMonitor --api-versions monitoring.coreos.com/v1/PrometheusRule |
    dry_run_server "spotify-mcp everything-on" >"$DRY_RUN_OUT"
  grep -q '^servicemonitor.monitoring.coreos.com/spotify-everything created' "$DRY_RUN_OUT" ||
    fail "everything-on render has no ServiceMonitor"
  grep -q '^prometheusrule.monitoring.coreos.com/spotify-everything created' "$DRY_RUN_OUT" ||
    fail "everything-on render has no PrometheusRule"
  grep -q '^configmap/spotify-everything-dashboard created' "$DRY_RUN_OUT" ||
    fail "everything-on render has no dashboard ConfigMap"
  local kind
  for kind in horizontalpodautoscaler.autoscaling poddisruptionbudget.policy \
    networkpolicy.networking.k8s.io ingress.networking.k8s.io; do
    grep -q "^$kind/spotify-everything created" "$DRY_RUN_OUT" || fail "everything-on render has no $kind"
  done
  # Negative controls: the same checks reject a pod that escalates privileges and an unknown field.
  if helm template r1 "$SERVER_CHART" -n "$ns" --set securityContext.allowPrivilegeEscalation=true |
    kubectl apply --dry-run=server -f - >/dev/null 2>&1; then
    fail "the restricted namespace accepted allowPrivilegeEscalation=true: Pod Security is not enforced, the check proves nothing"
  fi
  if helm template r1 "$SERVER_CHART" -n "$ns" |
    sed 's/^\(\s*\)enableServiceLinks: false/\1enableServiceLinks: false\n\1bogusField: 1/' |
    kubectl apply --dry-run=server --validate=strict -f - >/dev/null 2>&1; then
    fail "the API server accepted an unknown field: strict validation is off, the check proves nothing"
  fi
  kubectl delete namespace "$ns" --wait=false >/dev/null
  pass "spotify-mcp: default and everything-on renders pass kubectl apply --dry-run=server (strict, restricted PSS)"
}

# The ServiceMonitor follows both the value and the cluster's capabilities.
test_server_servicemonitor_gate() {
  local n
  n=$(helm template r1 "$SERVER_CHART" --set serviceMonitor.enabled=true | grep -c '^kind: ServiceMonitor' || true)
  [ "$n" = 0 ] || fail "ServiceMonitor rendered although the cluster capabilities lack monitoring.coreos.com/v1"
  helm template r1 "$SERVER_CHART" --set serviceMonitor.enabled=true | grep 'no ServiceMonitor was created' >/dev/null &&
    fail "NOTES leaked into the manifests"
  n=$(helm template r1 "$SERVER_CHART" --api-versions monitoring.coreos.com/v1/ServiceMonitor | grep -c '^kind: ServiceMonitor' || true)
  [ "$n" = 0 ] || fail "ServiceMonitor rendered although serviceMonitor.enabled=false"
  n=$(helm template r1 "$SERVER_CHART" --set serviceMonitor.enabled=true --api-versions monitoring.coreos.com/v1/ServiceMonitor |
    grep -c '^kind: ServiceMonitor' || true)
  [ "$n" = 1 ] || fail "no ServiceMonitor with the value on and the API available"
  n=$(helm template r1 "$SERVER_CHART" --set prometheusRule.enabled=true --api-versions monitoring.coreos.com/v1/ServiceMonitor |
    grep -c '^kind: PrometheusRule' || true)
  [ "$n" = 0 ] || fail "PrometheusRule rendered although the cluster capabilities lack it"
  n=$(helm template r1 "$SERVER_CHART" --api-versions monitoring.coreos.com/v1/PrometheusRule | grep -c '^kind: PrometheusRule' || true)
  [ "$n" = 0 ] || fail "PrometheusRule rendered although prometheusRule.enabled=false"
  n=$(helm template r1 "$SERVER_CHART" --set prometheusRule.enabled=true --api-versions monitoring.coreos.com/v1/PrometheusRule |
    grep -c '^kind: PrometheusRule' || true)
  [ "$n" = 1 ] || fail "no PrometheusRule with the value on and the API available"
  pass "spotify-mcp: ServiceMonitor and PrometheusRule only when enabled and the cluster serves them (monitoring.coreos.com/v1)"
}

# install --wait, Deployment Available, Service + ready endpoints, helm test, upgrade, uninstall.
test_server_lifecycle() {
  local ns=spotify-mcp rel=music out hosts
  restricted_namespace "$ns"
  # The Secret the chart references by convention (<fullname>-spotify); kwok starts no container,
  # but a real kubelet would hold the pods until it exists.
  kubectl -n "$ns" create secret generic music-spotify-mcp-spotify \
    --from-literal=client-id=test-client --from-literal=refresh-token=test-refresh >/dev/null
  kubectl -n "$ns" create secret generic mcp-tokens --from-literal=tokens=token-one >/dev/null

  out=$(helm install "$rel" "$SERVER_CHART" -n "$ns" --wait --timeout 120s --set serviceMonitor.enabled=true \
    --set prometheusRule.enabled=true --set grafanaDashboard.enabled=true 2>&1) ||
    fail "helm install spotify-mcp: $out"
  grep -q 'create secret generic music-spotify-mcp-spotify' <<<"$out" || fail "NOTES do not say how to create the Secret: $out"
  kubectl -n "$ns" wait --for=condition=Available deployment/music-spotify-mcp --timeout=60s >/dev/null ||
    fail "Deployment not Available"
  kubectl -n "$ns" get service music-spotify-mcp -o jsonpath='{.spec.ports[0].name}:{.spec.ports[0].port}' |
    grep -qx 'mcp-metrics:8000' || fail "Service port"
  TIMEOUT=60 eventually bash -c "kubectl -n $ns get endpointslices -l kubernetes.io/service-name=music-spotify-mcp \
    -o jsonpath='{.items[*].endpoints[*].conditions.ready}' | grep -q true" ||
    fail "the Service has no ready endpoint (selector does not match the pods?)"
  kubectl -n "$ns" get servicemonitor music-spotify-mcp >/dev/null 2>&1 ||
    fail "no ServiceMonitor although the CRD is installed and serviceMonitor.enabled=true"
  kubectl -n "$ns" get prometheusrule music-spotify-mcp -o jsonpath='{.spec.groups[0].rules[0].expr}' |
    grep -qF "namespace=\"$ns\", service=\"music-spotify-mcp\"" ||
    fail "no PrometheusRule scoped to the release although the CRD is installed and prometheusRule.enabled=true"
  kubectl -n "$ns" get configmap music-spotify-mcp-dashboard -o jsonpath='{.metadata.labels.grafana_dashboard}' | grep -qx 1 ||
    fail "no dashboard ConfigMap labelled grafana_dashboard=1"
  hosts=$(kubectl -n "$ns" get deployment music-spotify-mcp \
    -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="SPOTIFY_MCP_ALLOWED_HOSTS")].value}')
  grep -q "music-spotify-mcp.$ns.svc.cluster.local:8000" <<<"$hosts" || fail "allowed hosts lack the Service DNS name: $hosts"
  pass "spotify-mcp: helm install --wait; Deployment Available, Service with ready endpoints, ServiceMonitor, PrometheusRule, dashboard, allowed hosts"

  helm_test_on_kwok "$ns" "$rel" "music-spotify-mcp-test" "healthcheck" \
    "http://music-spotify-mcp.$ns.svc.cluster.local:8000/readyz"

  out=$(helm upgrade "$rel" "$SERVER_CHART" -n "$ns" --wait --timeout 120s --reuse-values \
    --set replicaCount=2 --set auth.existingSecret=mcp-tokens --set server.readOnly=true 2>&1) ||
    fail "helm upgrade spotify-mcp: $out"
  kubectl -n "$ns" get deployment music-spotify-mcp -o jsonpath='{.status.readyReplicas}' | grep -x 2 >/dev/null ||
    fail "upgrade to 2 replicas not rolled out"
  kubectl -n "$ns" get deployment music-spotify-mcp -o jsonpath='{.spec.template.spec.containers[0].env[*].name}' |
    grep -q 'SPOTIFY_MCP_AUTH_TOKENS_FILE' || fail "upgrade did not add the auth tokens file"
  kubectl -n "$ns" get deployment music-spotify-mcp -o jsonpath='{.spec.template.spec.volumes[*].secret.secretName}' |
    grep -qx 'mcp-tokens' || fail "upgrade did not mount Secret mcp-tokens"
  [ "$(helm history "$rel" -n "$ns" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["status"])')" = deployed ] ||
    fail "revision 2 is not deployed"
  pass "spotify-mcp: helm upgrade (2 replicas, access tokens, read-only) rolled out"

  helm uninstall "$rel" -n "$ns" --wait --timeout 60s >/dev/null || fail "helm uninstall spotify-mcp"
  kubectl -n "$ns" delete secret music-spotify-mcp-spotify mcp-tokens >/dev/null
  TIMEOUT=60 eventually bash -c "[ -z \"\$(kubectl get pods -n $ns -o name)\" ]" || true
  out=$(leftovers "$ns")
  expect_only_unfinished_test_pod "$ns" "$out" pod/music-spotify-mcp-test
  pass "spotify-mcp: helm uninstall leaves nothing behind (but the test pod kwok never completes)"
}

# Helm does not own test hook pods: `hook-succeeded` deletes a passed one, a failed one stays for its
# logs, and `helm uninstall` leaves either alone (documented Helm behaviour). kwok never completes the
# pod, so after an uninstall it is the one object allowed to remain; anything else is a leak.
expect_only_unfinished_test_pod() {
  local ns="$1" found="$2" pod="$3"
  [ -z "$found" ] && return 0
  [ "$found" = "$pod" ] || fail "helm uninstall left objects behind: $found"
  kubectl get -n "$ns" "$pod" -o jsonpath='{.metadata.annotations.helm\.sh/hook}' | grep -x test >/dev/null ||
    fail "left behind: $pod is not a test hook"
  kubectl delete -n "$ns" "$pod" --wait=false >/dev/null
}

# `helm test` on kwok. kwok runs no container: it marks a scheduled pod Running/Ready and never
# completes it. So this checks the hook pod is created through admission (restricted PSS), scheduled
# and points its probe at the right URL, and that helm reports the test as not passed (a pod that
# never ran must not count as a success). It does not prove the probe succeeds: that is checked by
# the callers that can run the probe command on the host against the real process.
helm_test_on_kwok() {
  local ns="$1" rel="$2" pod="$3" container="$4" url="$5" out phase args
  if out=$(helm test "$rel" -n "$ns" --timeout 15s 2>&1); then
    fail "helm test passed on kwok, where no container runs: $out"
  fi
  kubectl -n "$ns" get pod "$pod" >/dev/null 2>&1 || fail "helm test did not create the hook pod $pod: $out"
  phase=$(kubectl -n "$ns" get pod "$pod" -o jsonpath='{.status.phase}')
  [ "$phase" = Running ] || fail "kwok reports hook pod phase '$phase', expected Running"
  args=$(kubectl -n "$ns" get pod "$pod" -o jsonpath="{.spec.containers[?(@.name==\"$container\")].args}")
  grep -qF "$url" <<<"$args" || fail "hook pod probes $args, expected $url"
  kubectl -n "$ns" get pod "$pod" -o jsonpath='{.metadata.annotations.helm\.sh/hook}' | grep -x test >/dev/null ||
    fail "hook pod is not a helm test hook"
  log "helm test on kwok: hook pod $pod created, scheduled, phase $phase; helm said: $(tail -n 1 <<<"$out")"
  pass "$rel: helm test creates its hook pod (restricted PSS admitted, kwok: $phase, probes $url)"
}

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# HTTP status of an MCP initialize POST to $1 with Host header $2 and bearer token $3 (may be empty).
mcp_initialize_status() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys, urllib.request, urllib.error
url, host, token = sys.argv[1:4]
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "chart-test", "version": "0"}}}).encode()
req = urllib.request.Request(url, data=body, method="POST", headers={
    "Host": host, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
if token:
    req.add_header("Authorization", "Bearer " + token)
try:
    print(urllib.request.urlopen(req, timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}

# The chart's server configuration against the real server binary (kwok runs no container): the
# environment of the rendered Deployment, with the access-token Secret "mounted" where the chart
# mounts it, given to spotify-mcp-server on the host. /readyz answers through the helm test hook's
# own command; /mcp accepts the Service DNS name with the token, and refuses another Host or no token.
test_server_env_with_binary() {
  [ -x "$SERVER_BIN" ] || fail "no server binary at $SERVER_BIN (cargo build --bins, or set SPOTIFY_MCP_BIN)"
  local dir port token=chart-test-token svc_host=music-spotify-mcp.spotify-mcp.svc.cluster.local:80 code
  dir=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf '%s\n' "$token" >"$dir/tokens"
  helm template music "$SERVER_CHART" -n spotify-mcp --set sandbox=true --set auth.existingSecret=mcp-tokens \
    --set server.readOnly=true --set service.port=80 --set-string 'spotify.rateLimit=20/s\,burst=40' >"$dir/rendered.yaml"
  python3 - "$dir" "$port" <<'PY' || fail "cannot turn the rendered Deployment into a host command"
import os, sys, yaml
out, port = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(open(f"{out}/rendered.yaml")) if d]
dep = next(d for d in docs if d["kind"] == "Deployment")
pod = dep["spec"]["template"]["spec"]
c = pod["containers"][0]
mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
volumes = {v["name"]: v for v in pod.get("volumes", [])}
env = {}
for e in c["env"]:
    assert "value" in e, f"sandbox values should need no Secret in the environment: {e}"
    env[e["name"]] = e["value"]
tokens_file = env["SPOTIFY_MCP_AUTH_TOKENS_FILE"]
# The file must be what the chart mounts: the auth Secret's key projected at that path.
vol = next(n for n, p in mounts.items() if tokens_file.startswith(p + "/"))
item = volumes[vol]["secret"]["items"][0]
assert volumes[vol]["secret"]["secretName"] == "mcp-tokens" and os.path.join(mounts[vol], item["path"]) == tokens_file, volumes[vol]
env["SPOTIFY_MCP_AUTH_TOKENS_FILE"] = f"{out}/tokens"
assert env["SPOTIFY_MCP_BIND"] == "0.0.0.0" and env["SPOTIFY_MCP_PORT"] == "8000", env
# spotify.rateLimit reaches the server, which must accept it (it refuses a bad one at start-up).
assert env["SPOTIFY_MCP_SPOTIFY_RATE_LIMIT"] == "20/s,burst=40", env
env["SPOTIFY_MCP_BIND"], env["SPOTIFY_MCP_PORT"] = "127.0.0.1", port
open(f"{out}/env", "w").write("".join(f"{k}={v}\0" for k, v in env.items()))
PY
  local -a envs
  mapfile -d '' -t envs <"$dir/env"
  env -i PATH="$PATH" HOME="$dir" "${envs[@]}" "$SERVER_BIN" >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  TIMEOUT=60 eventually "$SERVER_BIN" healthcheck --url "http://127.0.0.1:$port/readyz" || {
    tail -n 20 "$dir/server.log" >&2
    fail "the server with the chart's environment is not ready (helm test's healthcheck command)"
  }
  code=$(mcp_initialize_status "http://127.0.0.1:$port/mcp" "$svc_host" "$token")
  [ "$code" = 200 ] || fail "initialize via the Service DNS name with the token: HTTP $code (allowed hosts/auth wiring)"
  code=$(mcp_initialize_status "http://127.0.0.1:$port/mcp" "evil.example.com" "$token")
  [ "$code" = 403 ] || fail "initialize with a foreign Host: HTTP $code, expected 403"
  code=$(mcp_initialize_status "http://127.0.0.1:$port/mcp" "$svc_host" "")
  [ "$code" = 401 ] || fail "initialize without the token: HTTP $code, expected 401"
  stop_server
  rm -rf "$dir"
  pass "spotify-mcp: the chart's environment runs the real server: ready (with spotify.rateLimit), Service DNS host + mounted token accepted, foreign Host 403, no token 401"
}
