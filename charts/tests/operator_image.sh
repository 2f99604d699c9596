#!/usr/bin/env bash
# Builds the operator image from operator/Dockerfile with buildah (its `prebuilt` stage, no image
# pull: FROM scratch plus the static musl binary) and runs `--help` and `crd` inside it with podman/runc. The CRD printed
# inside the container must equal crds/spotifymcp.dev_spotifymcps.yaml. Prints the image size.
#
#   charts/tests/operator_image.sh
# Tools: SPOTIFY_MCP_BUILDAH / SPOTIFY_MCP_PODMAN / SPOTIFY_MCP_MUSL_TARGET from scripts/infra-tools.sh
# (evaluated here when unset). SPOTIFY_MCP_OPERATOR_IMAGE_PROFILE=dist (default; the profile of published images) or debug.
# Then runs the image as the operator on a kwok control plane (chart install, SA token, examples/sandbox.yaml Ready).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$CHARTS_TESTS_DIR/server_chart.sh"
source "$CHARTS_TESTS_DIR/operator_chart.sh"

if [ -z "${SPOTIFY_MCP_PODMAN:-}" ] || [ -z "${SPOTIFY_MCP_BUILDAH:-}" ]; then
  eval "$("$REPO_ROOT/scripts/infra-tools.sh")"
fi
target="${SPOTIFY_MCP_MUSL_TARGET:-x86_64-unknown-linux-musl}"
profile="${SPOTIFY_MCP_OPERATOR_IMAGE_PROFILE:-dist}"
export CARGO_BUILD_BUILD_DIR="${CARGO_BUILD_BUILD_DIR:-/work/.cargo-build}"
[ -d "$(dirname "$CARGO_BUILD_BUILD_DIR")" ] || unset CARGO_BUILD_BUILD_DIR

cd "$REPO_ROOT"
log "building the static operator binary ($target, $profile)"
flags=(--locked --target "$target" -p spotify-mcp-operator --bin spotify-mcp-operator)
[ "$profile" = debug ] || flags+=(--profile "$profile")
cargo build "${flags[@]}" >&2
binary="target/$target/$profile/spotify-mcp-operator"
[ -x "$binary" ] || fail "no binary at $binary"
# A FROM scratch image has no loader and no libc: the ELF must have no PT_INTERP program header.
python3 - "$binary" <<'EOF' || fail "$binary is dynamically linked; a FROM scratch image needs a static binary"
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:4] == b"\x7fELF" and data[4] == 2, "not a 64-bit ELF"
phoff, = struct.unpack_from("<Q", data, 0x20)
phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
types = [struct.unpack_from("<I", data, phoff + i * phentsize)[0] for i in range(phnum)]
sys.exit(1 if 3 in types else 0)  # PT_INTERP
EOF

tag="localhost/spotify-mcp-operator:test-$$"
cleanup() {
  stop_host_operator
  stop_cluster
  "$SPOTIFY_MCP_PODMAN" rmi -f "$tag" >/dev/null 2>&1 || true
  rm -rf "${HELM_TEST_HOME:-}"
}
trap cleanup EXIT
log "buildah bud --target prebuilt -f operator/Dockerfile"
# The Dockerfile's `prebuilt` stage (the Rust image of its `build` stage is never needed); --squash:
# one layer (buildah commits the metadata-only `runtime` stage as an empty layer).
"$SPOTIFY_MCP_BUILDAH" bud --quiet --format docker --pull=never --squash --target prebuilt \
  --ignorefile prebuilt.dockerignore --build-arg "BINARY=$binary" -f operator/Dockerfile -t "$tag" . >/dev/null ||
  fail "buildah bud"
pass "operator image builds FROM scratch with the static binary"

run() {
  "$SPOTIFY_MCP_PODMAN" --runtime runc run --rm --network none \
    --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --read-only --cap-drop ALL \
    --security-opt no-new-privileges "$tag" "$@"
}
help=$(run --help) || fail "spotify-mcp-operator --help failed in the image"
grep -q 'Kubernetes operator for spotify-mcp servers' <<<"$help" || fail "unexpected --help output: $help"
grep -qw 'crd' <<<"$help" || fail "--help does not list the crd subcommand: $help"
pass "spotify-mcp-operator --help runs in the image (read-only, no capabilities, no network)"

run crd >"${TMPDIR:-/tmp}/operator-image-crd.$$.yaml" || fail "spotify-mcp-operator crd failed in the image"
if ! cmp -s "${TMPDIR:-/tmp}/operator-image-crd.$$.yaml" crds/spotifymcp.dev_spotifymcps.yaml; then
  diff -u crds/spotifymcp.dev_spotifymcps.yaml "${TMPDIR:-/tmp}/operator-image-crd.$$.yaml" | head -20 >&2
  rm -f "${TMPDIR:-/tmp}/operator-image-crd.$$.yaml"
  fail "the CRD printed in the image differs from crds/spotifymcp.dev_spotifymcps.yaml"
fi
rm -f "${TMPDIR:-/tmp}/operator-image-crd.$$.yaml"
pass "spotify-mcp-operator crd in the image prints crds/spotifymcp.dev_spotifymcps.yaml"

user=$("$SPOTIFY_MCP_PODMAN" image inspect "$tag" --format '{{.Config.User}}')
[ "$user" = "65532:65532" ] || fail "image user is '$user', expected 65532:65532"
entry=$("$SPOTIFY_MCP_PODMAN" image inspect "$tag" --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}')
[ "$entry" = '["/spotify-mcp-operator"] ["run"]' ] || fail "entrypoint/cmd: $entry"
layers=$("$SPOTIFY_MCP_PODMAN" image inspect "$tag" --format '{{len .RootFS.Layers}}')
[ "$layers" = 1 ] || fail "expected one layer (scratch + binary), got $layers"
size=$("$SPOTIFY_MCP_PODMAN" image inspect "$tag" --format '{{.Size}}')
pass "image runs as 65532:65532, entrypoint /spotify-mcp-operator run, one layer"
log "operator image size ($profile): $size bytes ($((size / 1024 / 1024)) MiB); binary $(stat -c %s "$binary") bytes"

# The image as the operator: installed by the chart on a kwok control plane, run with the chart
# Deployment's env/args and a token of its ServiceAccount, it turns examples/sandbox.yaml into a
# Ready server (rustls to the API server, watches, server-side apply, status, all from scratch).
setup_tools
start_cluster "spotify-mcp-image-$$"
restricted_namespace spotify-mcp-system
restricted_namespace music
helm install op "$OPERATOR_CHART" -n spotify-mcp-system --wait --timeout 120s >/dev/null || fail "helm install"
OPERATOR_IMAGE="$tag" start_host_operator spotify-mcp-system op-spotify-mcp-operator image-operator-0
kubectl -n music apply -f "$REPO_ROOT/examples/sandbox.yaml" >/dev/null
TIMEOUT=90 eventually bash -c "[ \"\$(kubectl -n music get smcp spotify-mcp-sandbox -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]" || {
  tail -n 5 "$HOST_OPERATOR_LOG" | cut -c1-400 >&2
  fail "the operator image did not make examples/sandbox.yaml Ready"
}
http_ok "http://127.0.0.1:$HOST_OPERATOR_PORT/metrics" || fail "no /metrics from the operator container"
pass "the operator image reconciles examples/sandbox.yaml to Ready on a kwok control plane (chart SA token, read-only, no capabilities)"
