#!/usr/bin/env bash
# Time from a fresh clone to the first `tools/list` answer with the README's quick-start command
# (BENCHMARKS.md, "Time to first answer").
#
#   scripts/time-to-first-answer.sh [TARGET_DIR]
#
# Clones the committed HEAD into a temporary directory, runs the first command of the README's
# "Quick start" block there exactly as written, with SPOTIFY_MCP_PORT set to a free loopback port
# and CARGO_TARGET_DIR set to TARGET_DIR (default: a new empty directory, i.e. a cold build; the
# crates themselves come from the local cargo registry, no download is timed), asks `tools/list`
# (2025-11-25 handshake with curl) every 0.1 s until it is answered, prints the seconds to stdout,
# then stops the server and deletes the clone (and the target directory it created).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
log() { printf '[first-answer] %s\n' "$*" >&2; }

work=$(mktemp -d)
target="${1:-$work/target}"
pid=""
finish() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$pid" ]; then kill -TERM -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

git clone --quiet --no-hardlinks "$root" "$work/clone"
command=$(awk '/^## Quick start/ { q = 1 } q && /^```sh/ { getline; print; exit }' "$work/clone/README.md")
[ -n "$command" ] || { log "no command in the README's Quick start block"; exit 1; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/mcp"
log "in a fresh clone ($(git -C "$work/clone" rev-parse --short HEAD)), CARGO_TARGET_DIR=$target: $command"

h=(-s --max-time 5 -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
tools_list() {
  local head sid
  head=$(curl "${h[@]}" -D - -o /dev/null "$url" \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"first-answer","version":"0"}}}') || return 1
  sid=$(awk 'tolower($1) == "mcp-session-id:" { print $2 }' <<<"$head" | tr -d '\r')
  [ -n "$sid" ] || return 1
  h2=("${h[@]}" -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25')
  curl "${h2[@]}" -o /dev/null "$url" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' || return 1
  curl "${h2[@]}" "$url" -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' | grep -q '"name":"search"'
}

start=$(date +%s.%N)
(cd "$work/clone" && CARGO_TARGET_DIR="$target" SPOTIFY_MCP_PORT="$port" exec setsid bash -c "$command" \
  >"$work/server.log" 2>&1) &
pid=$!
until tools_list; do
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 30 "$work/server.log" >&2
    log "the command exited before answering"
    exit 1
  fi
  sleep 0.1
done
end=$(date +%s.%N)
built=$(grep -Eo 'Finished .* in [0-9.]+(m [0-9]+)?s' "$work/server.log" | tail -n 1 || true)
log "cargo: ${built:-no build line}"
python3 -c "print(f'{$end - $start:.1f}')"
