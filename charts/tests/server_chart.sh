# The spotify-mcp chart on the real control plane (kwok nodes). Sourced by run.sh.

SERVER_CHART="$CHARTS_DIR/spotify-mcp"

# Default values and the everything-on values pass the API server's strict validation and the
# restricted Pod Security admission; a manifest that breaks either is rejected (the checks can fail).
test_server_dry_run() {
  local ns=server-dry-run
  restricted_namespace "$ns"
  helm template r1 "$SERVER_CHART" -n "$ns" | dry_run_server "spotify-mcp defaults" >/dev/null
  helm template r1 "$SERVER_CHART" -n "$ns" -f "$SERVER_CHART/ci/everything-values.yaml" \
    --api-versions monitoring.coreos.com/v1/ServiceMonitor | dry_run_server "spotify-mcp everything-on" >"$DRY_RUN_OUT"
  grep -q '^servicemonitor.monitoring.coreos.com/spotify-everything created' "$DRY_RUN_OUT" ||
    fail "everything-on render has no ServiceMonitor"
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
  pass "spotify-mcp: ServiceMonitor only when serviceMonitor.enabled and the cluster serves monitoring.coreos.com/v1"
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

  out=$(helm install "$rel" "$SERVER_CHART" -n "$ns" --wait --timeout 120s --set serviceMonitor.enabled=true 2>&1) ||
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
  hosts=$(kubectl -n "$ns" get deployment music-spotify-mcp \
    -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="SPOTIFY_MCP_ALLOWED_HOSTS")].value}')
  grep -q "music-spotify-mcp.$ns.svc.cluster.local:8000" <<<"$hosts" || fail "allowed hosts lack the Service DNS name: $hosts"
  pass "spotify-mcp: helm install --wait; Deployment Available, Service with ready endpoints, ServiceMonitor, allowed hosts"

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
