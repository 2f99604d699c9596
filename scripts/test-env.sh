#!/usr/bin/env bash
# Installs what the test suite needs, idempotently, into a versioned cache, and prints
# `export` lines for the tools it provisioned (eval "$(scripts/test-env.sh)"):
#   SPOTIFY_MCP_TEST_PYTHON   the venv's python (requirements-test.txt)
#   SPOTIFY_MCP_CHROMIUM      headless Chromium (Debian `chromium`, apt-get install)
#   SPOTIFY_MCP_CHROMEDRIVER  its WebDriver (Debian `chromium-driver`, the same version), which
#                             the venv's selenium drives (tests/python/test_hosted_browser.py)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
mkdir -p "$CACHE_ROOT"
log() { printf '[test-env] %s\n' "$*" >&2; }

# Python venv with the official MCP SDK and OpenAPI validators (pinned in requirements-test.txt).
req="$here/requirements-test.txt"
hash=$(sha256sum "$req" | cut -c1-12)
VENV="$CACHE_ROOT/venv-$hash"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$VENV/.done" ]; then
  log "creating Python venv $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip >&2
  "$VENV/bin/pip" install --quiet -r "$req" >&2
  touch "$VENV/.done"
fi
echo "export SPOTIFY_MCP_TEST_PYTHON=$VENV/bin/python"

# A real browser for the sign-in pages: Debian's Chromium and its driver (one source package, so
# their versions match). Debian's packages, not a browser build of Selenium's or Playwright's own,
# which this machine cannot download. Skipped when both are there; one install at a time.
exec 8>"$CACHE_ROOT/browser.lock"
flock 8
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
# Text in screenshots needs a font; DejaVu is small.
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    { "${sudo[@]}" apt-get -qq update >&2 &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
fi
exec 8>&-
chromium=$(command -v chromium) || { log "no chromium after apt-get install"; exit 1; }
chromedriver=$(command -v chromedriver) || { log "no chromedriver after apt-get install"; exit 1; }
echo "export SPOTIFY_MCP_CHROMIUM=$chromium"
echo "export SPOTIFY_MCP_CHROMEDRIVER=$chromedriver"
