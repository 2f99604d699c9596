# Checks that need no cluster: schema generation, strictness, lint, typos rejected.
# Sourced by run.sh (needs lib.sh).

# The charts whose tests run: every directory of charts/ with a Chart.yaml.
charts_list() {
  local c
  for c in "$CHARTS_DIR"/*/Chart.yaml; do
    basename "$(dirname "$c")"
  done
}

test_schema_generated() {
  python3 "$CHARTS_TESTS_DIR/values_schema.py" --check || fail "values.schema.json is stale"
  pass "values.schema.json of every chart matches charts/tests/values_schema.py"
}

test_rbac_table_generated() {
  python3 "$CHARTS_TESTS_DIR/rbac_table.py" --check || fail "operator/README.md's RBAC table is stale"
  pass "operator/README.md's RBAC table matches the operator chart's templates/rbac.yaml"
}

# Every object level of a schema is closed: additionalProperties false, or a typed map
# (additionalProperties is itself a schema); and every key of values.yaml is declared.
test_schema_closed() {
  local chart="$1"
  python3 - "$CHARTS_DIR/$chart/values.schema.json" "$CHARTS_DIR/$chart/values.yaml" <<'EOF' || fail "$chart: schema is not closed"
import json, sys, yaml
schema = json.load(open(sys.argv[1]))
values = yaml.safe_load(open(sys.argv[2]))
defs = schema.get("definitions", {})
bad = []

def walk(node, path):
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            ap = node.get("additionalProperties")
            if ap is not False and not isinstance(ap, dict):
                bad.append(path or "/")
        for k, v in node.items():
            walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, f"{path}[{i}]")

walk(schema, "")

def resolve(node):
    while "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    return node

def declared(value, node, path):
    node = resolve(node)
    if isinstance(value, dict) and "properties" in node:
        for k, v in value.items():
            if k not in node["properties"]:
                bad.append(f"values.yaml key {path}.{k} is not in the schema")
            else:
                declared(v, node["properties"][k], f"{path}.{k}")

declared(values, schema, "")
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
EOF
  pass "$chart: every object level of values.schema.json is closed and declares every values.yaml key"
}

test_lint() {
  local chart="$1" f
  helm lint --strict "$CHARTS_DIR/$chart" >/dev/null || fail "$chart: helm lint --strict (default values)"
  for f in "$CHARTS_DIR/$chart"/ci/*-values.yaml; do
    case "$f" in *typo*) continue ;; esac
    helm lint --strict "$CHARTS_DIR/$chart" -f "$f" >/dev/null || fail "$chart: helm lint --strict -f $(basename "$f")"
  done
  pass "$chart: helm lint --strict with the default and every ci/ values file"
}

# A values file with a mistyped key fails the render with the schema's message naming the key.
test_typos_rejected() {
  local chart="$1" f out key n=0
  for f in "$CHARTS_DIR/$chart"/ci/*typo*-values.yaml; do
    # The mistyped key is named in the file's first comment: ("<typo>" for "<right key>").
    key=$(sed -n 's/.*("\([^"]*\)" for "[^"]*").*/\1/p' "$f" | head -n 1)
    [ -n "$key" ] || fail "$(basename "$f") does not name its typo as (\"typo\" for \"key\")"
    if out=$(helm template t "$CHARTS_DIR/$chart" -f "$f" 2>&1); then
      fail "$chart: $(basename "$f") (typo '$key') was accepted"
    fi
    grep -q "additional properties '$key' not allowed" <<<"$out" ||
      fail "$chart: $(basename "$f") failed for another reason than the typo '$key': $out"
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || fail "$chart: no ci/*typo*-values.yaml"
  pass "$chart: $n values file(s) with a mistyped key rejected by the schema"
}

# Derived copies (scripts/generate.sh --list: the generated CRD, the alert rules and the Grafana
# dashboard of infra/) are byte-for-byte equal to their source; no file under a chart's crds/ or
# files/ lacks a source (a copy nobody regenerates); every .Files.Get of a template names a file
# that exists. The generated CRD itself is checked against the Rust types by the operator's tests.
test_copies_in_sync() {
  local src dst f n=0 expected
  expected=$(mktemp)
  while read -r src dst; do
    [ -f "$REPO_ROOT/$src" ] || fail "missing source $src"
    if ! cmp -s "$REPO_ROOT/$src" "$REPO_ROOT/$dst"; then
      diff -u "$REPO_ROOT/$src" "$REPO_ROOT/$dst" 2>&1 | head -20 >&2 || true
      fail "$dst differs from $src: run scripts/generate.sh"
    fi
    echo "$dst" >>"$expected"
    n=$((n + 1))
  done < <("$REPO_ROOT/scripts/generate.sh" --list)
  [ "$n" -gt 0 ] || fail "scripts/generate.sh --list printed no copies"
  for f in "$CHARTS_DIR"/*/crds/* "$CHARTS_DIR"/*/files/*; do
    [ -e "$f" ] || continue
    grep -qx "${f#"$REPO_ROOT"/}" "$expected" || fail "${f#"$REPO_ROOT"/} is not produced by scripts/generate.sh (a copy without a source)"
  done
  rm -f "$expected"
  local chart
  for chart in $(charts_list); do
    for f in $(grep -rho '\.Files\.Get "[^"]*"' "$CHARTS_DIR/$chart/templates" | sed 's/.*"\(.*\)"/\1/' | sort -u); do
      [ -f "$CHARTS_DIR/$chart/$f" ] || fail "$chart: a template reads $f, which the chart does not have"
    done
  done
  pass "$n derived copies (CRD, alert rules, dashboard) equal their sources; charts hold no other crds/ or files/"
}

# The monitoring objects carry the one source: the PrometheusRule's groups are infra/prometheus/alerts.yml
# with every job selector scoped (server chart: to the release's namespace and Service; operator
# chart: to watchNamespace when set, else unchanged), the ConfigMap holds the dashboard JSON under
# the sidecar's label, and the server chart's ServiceMonitor gives its target the job the rules select.
test_monitoring_render() {
  local chart args out
  for chart in spotify-mcp spotify-mcp-operator; do
    for args in "" "--set watchNamespace=music"; do
      [ "$chart" = spotify-mcp ] && [ -n "$args" ] && continue
      # shellcheck disable=SC2086
      out=$(helm template r1 "$CHARTS_DIR/$chart" -n media $args --set prometheusRule.enabled=true \
        --set grafanaDashboard.enabled=true --set serviceMonitor.enabled=true \
        --api-versions monitoring.coreos.com/v1/ServiceMonitor --api-versions monitoring.coreos.com/v1/PrometheusRule) ||
        fail "$chart: render with prometheusRule and grafanaDashboard enabled"
      RENDERED="$out" python3 - "$REPO_ROOT" "$chart" "$args" <<'EOF2' || fail "$chart $args: the rendered PrometheusRule/dashboard differ from infra/ (see above)"
import json, os, sys, yaml
root, chart, args = sys.argv[1:4]
docs = [d for d in yaml.safe_load_all(os.environ["RENDERED"]) if d]
rules = [d for d in docs if d["kind"] == "PrometheusRule"]
maps = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-dashboard")]
assert len(rules) == 1 and len(maps) == 1, [d["kind"] for d in docs]
source = yaml.safe_load(open(f"{root}/infra/prometheus/alerts.yml"))
job = 'job="spotify-mcp-server"'
if chart == "spotify-mcp":
    scoped = job + ', namespace="media", service="r1-spotify-mcp"'
elif args:
    scoped = job + ', namespace="music"'
else:
    scoped = job
expected = json.loads(json.dumps(source["groups"]))
for group in expected:
    for rule in group["rules"]:
        assert job in rule["expr"], rule
        rule["expr"] = rule["expr"].replace(job, scoped)
got = rules[0]["spec"]["groups"]
if got != expected:
    print(json.dumps(got, indent=1)[:2000], file=sys.stderr)
    sys.exit(1)
cm = maps[0]
assert cm["metadata"]["labels"]["grafana_dashboard"] == "1", cm["metadata"]["labels"]
assert cm["metadata"]["namespace"] == "media", cm["metadata"]
dashboard = json.load(open(f"{root}/infra/grafana/dashboards/spotify-mcp-server.json"))
assert json.loads(cm["data"]["spotify-mcp-server.json"]) == dashboard, "dashboard JSON differs"
if chart == "spotify-mcp":
    sm = next(d for d in docs if d["kind"] == "ServiceMonitor")
    relabel = sm["spec"]["endpoints"][0]["relabelings"]
    assert {"action": "replace", "targetLabel": "job", "replacement": "spotify-mcp-server"} in relabel, relabel
EOF2
    done
  done
  out=$(helm template r1 "$CHARTS_DIR/spotify-mcp" --set grafanaDashboard.enabled=true --set grafanaDashboard.namespace=monitoring \
    --set 'grafanaDashboard.annotations.grafana_folder=Spotify MCP')
  grep -q 'namespace: monitoring' <<<"$out" || fail "grafanaDashboard.namespace is not used"
  grep -q 'grafana_folder: Spotify MCP' <<<"$out" || fail "grafanaDashboard.annotations are not used"
  pass "PrometheusRule = infra/prometheus/alerts.yml with scoped selectors (server: release; operator: all or watchNamespace); dashboard ConfigMap = infra/grafana JSON, labelled for the sidecar"
}

# The server chart's scaling and exposure values: what renders, what does not, and the allowed hosts.
test_scaling_render() {
  local chart="$CHARTS_DIR/spotify-mcp" out
  out=$(helm template r1 "$chart" -n media --set sandbox=true) || fail "default render"
  RENDERED="$out" python3 - <<'EOF2' || fail "defaults: one pod, no HPA/PDB/NetworkPolicy/Ingress/HTTPRoute, spread across nodes"
import os, yaml
docs = [d for d in yaml.safe_load_all(os.environ["RENDERED"]) if d]
kinds = {d["kind"] for d in docs}
assert not kinds & {"HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Ingress", "HTTPRoute"}, kinds
dep = next(d for d in docs if d["kind"] == "Deployment")
assert dep["spec"]["replicas"] == 1, dep["spec"]
spread = dep["spec"]["template"]["spec"]["topologySpreadConstraints"]
assert spread == [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
                   "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "spotify-mcp",
                                                     "app.kubernetes.io/instance": "r1"}}}], spread
EOF2
  out=$(helm template r1 "$chart" -n media --set sandbox=true --set defaultTopologySpread=false)
  grep -q topologySpreadConstraints <<<"$out" && fail "defaultTopologySpread=false still spreads"
  out=$(helm template r1 "$chart" -n media --set sandbox=true --set replicaCount=2) || fail "replicaCount=2"
  grep -q 'kind: PodDisruptionBudget' <<<"$out" || fail "no PodDisruptionBudget at replicaCount=2"
  out=$(helm template r1 "$chart" -n media --set sandbox=true --set autoscaling.enabled=true \
    --set autoscaling.minReplicas=2 --set autoscaling.maxReplicas=5 --set autoscaling.targetMemoryUtilizationPercentage=75 \
    --set networkPolicy.enabled=true \
    --set 'networkPolicy.from[0].namespaceSelector.matchLabels.kubernetes\.io/metadata\.name=ingress-nginx' \
    --set ingress.enabled=true --set ingress.host=mcp.example.com --set ingress.tlsSecretName=mcp-tls \
    --set httpRoute.enabled=true --set 'httpRoute.parentRefs[0].name=public' --set 'httpRoute.hostnames[0]=mcp.example.org' \
    --api-versions gateway.networking.k8s.io/v1/HTTPRoute) || fail "render with everything enabled"
  RENDERED="$out" python3 - <<'EOF2' || fail "autoscaling, PDB, NetworkPolicy, Ingress, HTTPRoute and allowed hosts (see above)"
import os, yaml
docs = {d["kind"]: d for d in yaml.safe_load_all(os.environ["RENDERED"]) if d}
dep = docs["Deployment"]
assert "replicas" not in dep["spec"], "the HPA owns the replicas"
hpa = docs["HorizontalPodAutoscaler"]["spec"]
assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "r1-spotify-mcp"}, hpa
assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 5), hpa
assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu", "memory"], hpa["metrics"]
assert docs["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1
np = docs["NetworkPolicy"]["spec"]
assert np["ingress"][0]["ports"] == [{"port": 8000, "protocol": "TCP"}], np
assert np["ingress"][0]["from"] == [
    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
], np["ingress"][0]["from"]
ing = docs["Ingress"]["spec"]
path = ing["rules"][0]["http"]["paths"][0]
assert ing["rules"][0]["host"] == "mcp.example.com" and path["path"] == "/mcp" and path["pathType"] == "Prefix", ing
assert path["backend"]["service"] == {"name": "r1-spotify-mcp", "port": {"number": 8000}}, path
assert ing["tls"] == [{"hosts": ["mcp.example.com"], "secretName": "mcp-tls"}], ing["tls"]
route = docs["HTTPRoute"]["spec"]
assert route["parentRefs"] == [{"name": "public"}] and route["hostnames"] == ["mcp.example.org"], route
assert route["rules"][0]["backendRefs"] == [{"name": "r1-spotify-mcp", "port": 8000}], route
env = {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
hosts = env["SPOTIFY_MCP_ALLOWED_HOSTS"].split(",")
assert "mcp.example.com" in hosts and "mcp.example.org" in hosts, hosts
EOF2
  # Without the Gateway API the HTTPRoute is skipped, and its hosts are still allowed.
  out=$(helm template r1 "$chart" -n media --set sandbox=true --set httpRoute.enabled=true \
    --set 'httpRoute.parentRefs[0].name=public' --set 'httpRoute.hostnames[0]=mcp.example.org')
  grep -q 'kind: HTTPRoute' <<<"$out" && fail "HTTPRoute rendered without the Gateway API"
  for bad in "autoscaling.enabled=true,autoscaling.minReplicas=4,autoscaling.maxReplicas=2" \
    "autoscaling.enabled=true,autoscaling.targetCPUUtilizationPercentage=0" "ingress.enabled=true"; do
    if helm template r1 "$chart" --set sandbox=true --set "$bad" >/dev/null 2>&1; then
      fail "$bad rendered"
    fi
  done
  pass "server chart: HPA on the Deployment, PDB above one pod, spread across nodes by default, NetworkPolicy, Ingress and HTTPRoute (with the Gateway API) for /mcp, their hosts allowed; invalid combinations refused"
}

# The server chart's hosted mode: the OAuth environment and keys volume, the OAuth paths on the
# Ingress and HTTPRoute, no refresh token; and every combination the server refuses fails the render
# with a message naming the value to change.
test_hosted_render() {
  local chart="$CHARTS_DIR/spotify-mcp" out bad want
  local hosted=(--set hosted.enabled=true --set hosted.publicUrl=https://mcp.example.com/
    --set hosted.keysSecret.name=oauth --set hosted.keysSecret.key=keys.txt)
  out=$(helm template r1 "$chart" -n media "${hosted[@]}" --set spotify.existingSecret=spotify-app \
    --set ingress.enabled=true --set ingress.host=mcp.example.com \
    --set httpRoute.enabled=true --set 'httpRoute.parentRefs[0].name=public' --set 'httpRoute.hostnames[0]=mcp.example.com' \
    --api-versions gateway.networking.k8s.io/v1/HTTPRoute) || fail "hosted render"
  RENDERED="$out" python3 - <<'EOF2' || fail "hosted mode: env, keys volume, OAuth routes (see above)"
import os, yaml
docs = {d["kind"]: d for d in yaml.safe_load_all(os.environ["RENDERED"]) if d}
pod = docs["Deployment"]["spec"]["template"]["spec"]
container = pod["containers"][0]
env = {e["name"]: e for e in container["env"]}
value = lambda k: env[k].get("value")
assert value("SPOTIFY_MCP_OAUTH") == "true", env
assert value("SPOTIFY_MCP_PUBLIC_URL") == "https://mcp.example.com", env["SPOTIFY_MCP_PUBLIC_URL"]
assert value("SPOTIFY_MCP_OAUTH_STORE") == "memory", env["SPOTIFY_MCP_OAUTH_STORE"]
assert value("SPOTIFY_MCP_OAUTH_KEYS_FILE") == "/etc/spotify-mcp/oauth-keys/keys"
for unset in ["SPOTIFY_REFRESH_TOKEN", "SPOTIFY_MCP_AUTH_TOKENS_FILE", "SPOTIFY_MCP_OAUTH_DCR",
              "SPOTIFY_MCP_OAUTH_CIMD", "SPOTIFY_MCP_OAUTH_SHOW_DIALOG"]:
    assert unset not in env, unset
assert env["SPOTIFY_CLIENT_ID"]["valueFrom"]["secretKeyRef"]["name"] == "spotify-app", env["SPOTIFY_CLIENT_ID"]
volume = next(v for v in pod["volumes"] if v["name"] == "oauth-keys")
assert volume["secret"] == {"secretName": "oauth", "defaultMode": 0o440,
                            "items": [{"key": "keys.txt", "path": "keys"}]}, volume
mount = next(m for m in container["volumeMounts"] if m["name"] == "oauth-keys")
assert mount == {"name": "oauth-keys", "mountPath": "/etc/spotify-mcp/oauth-keys", "readOnly": True}, mount
paths = [(p["path"], p["pathType"], p["backend"]["service"]["name"])
         for p in docs["Ingress"]["spec"]["rules"][0]["http"]["paths"]]
assert paths == [("/mcp", "Prefix", "r1-spotify-mcp"),
                 ("/.well-known/oauth-protected-resource", "Prefix", "r1-spotify-mcp"),
                 ("/.well-known/oauth-authorization-server", "Exact", "r1-spotify-mcp"),
                 ("/oauth", "Prefix", "r1-spotify-mcp")], paths
rules = docs["HTTPRoute"]["spec"]["rules"]
assert len(rules) == 1, rules
assert [m["path"] for m in rules[0]["matches"]] == [
    {"type": "PathPrefix", "value": "/mcp"},
    {"type": "PathPrefix", "value": "/.well-known/oauth-protected-resource"},
    {"type": "Exact", "value": "/.well-known/oauth-authorization-server"},
    {"type": "PathPrefix", "value": "/oauth"}], rules
assert rules[0]["backendRefs"] == [{"name": "r1-spotify-mcp", "port": 8000}], rules
EOF2
  out=$(helm template r1 "$chart" -n media "${hosted[@]}" --set sandbox=true --set hosted.publicUrl=http://127.0.0.1:8000 \
    --set replicaCount=3 --set hosted.storeRedisUrlSecret.name=redis --set hosted.showDialog=true \
    --set hosted.dynamicClientRegistration=false --set hosted.clientIdMetadataDocuments=false) ||
    fail "hosted render with a Redis store, sandbox and every switch flipped"
  RENDERED="$out" python3 - <<'EOF2' || fail "hosted mode with a Redis store and the switches (see above)"
import os, yaml
docs = {d["kind"]: d for d in yaml.safe_load_all(os.environ["RENDERED"]) if d}
env = {e["name"]: e for e in docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]}
assert env["SPOTIFY_MCP_OAUTH_STORE"]["valueFrom"] == {"secretKeyRef": {"name": "redis", "key": "url"}}, env["SPOTIFY_MCP_OAUTH_STORE"]
assert env["SPOTIFY_MCP_PUBLIC_URL"]["value"] == "http://127.0.0.1:8000"
assert env["SPOTIFY_MCP_OAUTH_DCR"]["value"] == "false" and env["SPOTIFY_MCP_OAUTH_CIMD"]["value"] == "false", env
assert env["SPOTIFY_MCP_OAUTH_SHOW_DIALOG"]["value"] == "true", env
assert "SPOTIFY_CLIENT_ID" not in env, "sandbox without a Secret"
EOF2
  # Off: nothing of it renders, and a refresh token is passed as before.
  out=$(helm template r1 "$chart" -n media --set hosted.keysSecret.name=oauth --set ingress.enabled=true --set ingress.host=mcp.example.com)
  grep -q 'SPOTIFY_MCP_OAUTH\|oauth-keys\|/oauth' <<<"$out" && fail "hosted settings render while hosted.enabled is false"
  grep -q 'SPOTIFY_REFRESH_TOKEN' <<<"$out" || fail "no SPOTIFY_REFRESH_TOKEN outside hosted mode"
  while IFS='|' read -r bad want; do
    # shellcheck disable=SC2086
    if out=$(helm template r1 "$chart" "${hosted[@]}" $bad 2>&1); then
      fail "hosted with $bad rendered"
    fi
    grep -qF "$want" <<<"$out" || fail "hosted with $bad: expected '$want' in: $out"
  done <<'EOF2'
--set hosted.publicUrl=|hosted.publicUrl is required when hosted.enabled is true
--set hosted.publicUrl=http://mcp.example.com|hosted.publicUrl must start with https:// unless sandbox is true
--set hosted.publicUrl=https://example.com/spotify|at '/hosted/publicUrl'
--set hosted.keysSecret.name=|hosted.keysSecret.name is required when hosted.enabled is true
--set auth.existingSecret=mcp-tokens|hosted.enabled excludes auth.existingSecret
--set spotify.refreshTokenKey=token|hosted.enabled excludes a shared refresh token
--set server.extraEnv[0].name=SPOTIFY_REFRESH_TOKEN --set server.extraEnv[0].value=x|hosted.enabled excludes SPOTIFY_REFRESH_TOKEN in server.extraEnv
--set replicaCount=2|needs hosted.storeRedisUrlSecret.name
--set autoscaling.enabled=true|needs hosted.storeRedisUrlSecret.name
EOF2
  pass "server chart: hosted mode sets the OAuth env and read-only keys volume, routes /oauth and the OAuth metadata, passes no refresh token; hosted + static tokens, refresh token, memory store with several pods, missing or non-https publicUrl, missing keys refused"
}

# Rendering rules of the operator chart that no cluster check would catch.
test_operator_render_rules() {
  local chart="$CHARTS_DIR/spotify-mcp-operator" out
  if out=$(helm template op "$chart" --set replicaCount=2 2>&1); then
    fail "replicaCount=2 without leader election rendered"
  fi
  grep -q 'needs leaderElection.enabled=true' <<<"$out" || fail "unclear error for replicas without leader election: $out"
  out=$(helm template op "$chart")
  grep -q 'type: Recreate' <<<"$out" || fail "default strategy is not Recreate"
  grep -q 'kind: ClusterRole$' <<<"$out" || fail "default mode has no ClusterRole"
  grep -q 'coordination.k8s.io' <<<"$out" && fail "leases granted without leader election"
  out=$(helm template op "$chart" --set replicaCount=3 --set leaderElection.enabled=true)
  grep -q 'type: RollingUpdate' <<<"$out" || fail "leader election does not switch to RollingUpdate"
  grep -q 'SPOTIFY_MCP_OPERATOR_LEADER_ELECTION' <<<"$out" || fail "leader election not passed to the operator"
  grep -q 'coordination.k8s.io' <<<"$out" || fail "no Lease rule with leader election"
  out=$(helm template op "$chart" -n ops -f "$chart/ci/namespaced-values.yaml")
  grep -q 'kind: ClusterRole' <<<"$out" && fail "namespace-scoped mode still renders a ClusterRole(Binding)"
  RENDERED="$out" python3 - <<'EOF2' || fail "namespace-scoped mode: Role/RoleBinding not in the watched namespace, or the operator not told"
import sys, yaml
import os
docs = [d for d in yaml.safe_load_all(os.environ["RENDERED"]) if d]
roles = [d for d in docs if d["kind"] in ("Role", "RoleBinding")]
assert len(roles) == 2 and all(d["metadata"]["namespace"] == "music" for d in roles), roles
binding = next(d for d in roles if d["kind"] == "RoleBinding")
assert binding["subjects"][0]["namespace"] == "ops"
dep = next(d for d in docs if d["kind"] == "Deployment")
env = {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
assert env.get("SPOTIFY_MCP_OPERATOR_NAMESPACE") == "music", env
EOF2
  pass "spotify-mcp-operator: Recreate unless leader election; replicas>1 need it; namespace mode renders Role/RoleBinding + --namespace"
}

# `helm package` works; the archive carries the schema (and the CRD) but not the test values.
test_package() {
  local chart="$1" dir tgz
  dir=$(mktemp -d)
  helm package "$CHARTS_DIR/$chart" -d "$dir" >/dev/null || fail "$chart: helm package"
  tgz=$(ls "$dir"/*.tgz)
  tar tzf "$tgz" >"$dir/list"
  grep -qx "$chart/values.schema.json" "$dir/list" || fail "$chart: package lacks values.schema.json"
  grep -q "^$chart/ci/" "$dir/list" && fail "$chart: package ships the ci/ test values"
  if [ "$chart" = spotify-mcp-operator ]; then
    grep -qx "$chart/crds/spotifymcp.dev_spotifymcps.yaml" "$dir/list" || fail "$chart: package lacks the CRD"
  fi
  rm -rf "$dir"
  pass "$chart: helm package (schema$([ "$chart" = spotify-mcp-operator ] && echo ", CRD") included, ci/ excluded)"
}
