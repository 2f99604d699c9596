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

# The chart ships the CRD the operator generates (crds/ at the repository root, itself checked
# against the Rust types by the operator's tests): byte-for-byte the same file.
test_crd_in_sync() {
  local generated="$REPO_ROOT/crds/spotifymcp.dev_spotifymcps.yaml"
  local shipped="$CHARTS_DIR/spotify-mcp-operator/crds/spotifymcp.dev_spotifymcps.yaml"
  [ -f "$generated" ] || fail "missing $generated"
  if ! cmp -s "$generated" "$shipped"; then
    diff -u "$generated" "$shipped" | head -20 >&2
    fail "charts/spotify-mcp-operator/crds/ differs from crds/: cp crds/spotifymcp.dev_spotifymcps.yaml charts/spotify-mcp-operator/crds/"
  fi
  [ "$(ls "$CHARTS_DIR/spotify-mcp-operator/crds")" = "$(ls "$REPO_ROOT/crds")" ] ||
    fail "charts/spotify-mcp-operator/crds/ and crds/ hold different files"
  pass "spotify-mcp-operator: crds/ of the chart equals the generated crds/"
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
