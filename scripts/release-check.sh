#!/usr/bin/env bash
# Checks that a release tag names the version the repository says it releases, and prints
# `version=X.Y.Z` (for $GITHUB_OUTPUT). Fails, naming every disagreement, unless the tag is
# vX.Y.Z[-pre] and X.Y.Z[-pre] equals:
#   - the Cargo workspace version and the version of each Cargo package that takes it
#     (spotify-mcp-server, spotify-mcp-operator; the operator's default server image tag is its
#     CARGO_PKG_VERSION) and their entries in Cargo.lock,
#   - `version` and `appVersion` of every chart under charts/ (the images' default tags),
#   - the default image tag of docker-compose.yml (${SPOTIFY_MCP_VERSION:-X.Y.Z}).
#
#     scripts/release-check.sh v0.1.0        # .github/workflows/release.yml runs it on a v* tag
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 vX.Y.Z" >&2; exit 2; }
exec python3 - "$ROOT" "$1" <<'EOF'
import re
import sys
import tomllib
from pathlib import Path

root, tag = Path(sys.argv[1]), sys.argv[2]
m = re.fullmatch(r"v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)", tag)
if not m:
    sys.exit(f"release tag {tag!r} is not vX.Y.Z (or vX.Y.Z-pre)")
version = m.group(1)
found = []  # (where, value)

workspace = tomllib.loads((root / "Cargo.toml").read_text())
found.append(("Cargo.toml [workspace.package] version", workspace["workspace"]["package"]["version"]))
for member in workspace["workspace"]["members"]:
    package = tomllib.loads((root / member / "Cargo.toml").read_text())["package"]
    value = package["version"]
    if value == {"workspace": True}:
        value = workspace["workspace"]["package"]["version"]
    found.append((f"{member}/Cargo.toml ({package['name']}) version", value))

lock = tomllib.loads((root / "Cargo.lock").read_text())
for package in lock["package"]:
    if package["name"] in ("spotify-mcp-server", "spotify-mcp-operator"):
        found.append((f"Cargo.lock {package['name']} version", package["version"]))

charts = sorted((root / "charts").glob("*/Chart.yaml"))
if not charts:
    sys.exit("no charts/*/Chart.yaml")
for chart in charts:
    text = chart.read_text()
    for key in ("version", "appVersion"):
        hit = re.search(rf"^{key}:\s*\"?([^\"\s#]+)\"?\s*(?:#.*)?$", text, re.M)
        found.append((f"{chart.relative_to(root)} {key}", hit.group(1) if hit else None))

compose = (root / "docker-compose.yml").read_text()
hit = re.search(r"image:\s*ghcr\.io/spotify-mcp/spotify-mcp-server:\$\{SPOTIFY_MCP_VERSION:-([^}]+)\}", compose)
found.append(("docker-compose.yml spotify-mcp-server default tag", hit.group(1) if hit else None))

wrong = [f"  {where}: {value!r}" for where, value in found if value != version]
if wrong:
    sys.exit(f"release tag {tag} does not match the repository's versions ({version} expected):\n" + "\n".join(wrong))
for where, _ in found:
    print(f"[release-check] {where} = {version}", file=sys.stderr)
print(f"version={version}")
EOF
