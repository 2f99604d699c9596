#!/usr/bin/env bash
# Builds the operator image from operator/Dockerfile with buildah (no image pull: FROM scratch plus
# the static musl binary) and runs `--help` and `crd` inside it with podman/runc. The CRD printed
# inside the container must equal crds/spotifymcp.dev_spotifymcps.yaml. Prints the image size.
#
#   charts/tests/operator_image.sh
# Tools: SPOTIFY_MCP_BUILDAH / SPOTIFY_MCP_PODMAN / SPOTIFY_MCP_MUSL_TARGET from scripts/infra-tools.sh
# (evaluated here when unset). SPOTIFY_MCP_OPERATOR_IMAGE_PROFILE=release (default) or debug.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [ -z "${SPOTIFY_MCP_PODMAN:-}" ] || [ -z "${SPOTIFY_MCP_BUILDAH:-}" ]; then
  eval "$("$REPO_ROOT/scripts/infra-tools.sh")"
fi
target="${SPOTIFY_MCP_MUSL_TARGET:-x86_64-unknown-linux-musl}"
profile="${SPOTIFY_MCP_OPERATOR_IMAGE_PROFILE:-release}"
export CARGO_BUILD_BUILD_DIR="${CARGO_BUILD_BUILD_DIR:-/work/.cargo-build}"
[ -d "$(dirname "$CARGO_BUILD_BUILD_DIR")" ] || unset CARGO_BUILD_BUILD_DIR

cd "$REPO_ROOT"
log "building the static operator binary ($target, $profile)"
flags=(--locked --target "$target" -p spotify-mcp-operator --bin spotify-mcp-operator)
[ "$profile" = release ] && flags+=(--release)
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
cleanup() { "$SPOTIFY_MCP_PODMAN" rmi -f "$tag" >/dev/null 2>&1 || true; }
trap cleanup EXIT
log "buildah bud -f operator/Dockerfile"
"$SPOTIFY_MCP_BUILDAH" bud --quiet --format docker --pull=never --ignorefile operator/Dockerfile.dockerignore \
  --build-arg "BINARY=$binary" -f operator/Dockerfile -t "$tag" . >/dev/null || fail "buildah bud"
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
