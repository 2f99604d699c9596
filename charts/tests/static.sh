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
    key=$(python3 -c 'import sys,yaml
def leaf(d):
    k, v = next(iter(d.items()))
    return leaf(v) if isinstance(v, dict) else k
print(leaf(yaml.safe_load(open(sys.argv[1]))))' "$f")
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
