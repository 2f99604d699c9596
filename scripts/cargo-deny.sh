#!/usr/bin/env bash
# Supply-chain policy of deny.toml: installs a pinned cargo-deny into the tool cache (once, about
# 3 minutes on 2 cores) and runs it. Without arguments it checks licenses, bans (duplicate
# versions, wildcards) and sources, offline. The advisories check needs the RustSec database from
# GitHub, which the test machines cannot reach; where it can be fetched run
#   scripts/cargo-deny.sh check advisories
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CARGO_DENY_VERSION="${CARGO_DENY_VERSION:-0.20.2}"
bin=$("$root/scripts/cargo-tool.sh" cargo-deny "$CARGO_DENY_VERSION")
cd "$root"
if [ "$#" -eq 0 ]; then
  # --offline needs every package of Cargo.lock, also those of other targets (android, windows)
  # that no build here downloads: a fresh machine's registry lacks them. Fetched once, cached.
  cargo fetch --locked >&2
  exec "$bin/cargo-deny" --offline check bans licenses sources
fi
exec "$bin/cargo-deny" "$@"
