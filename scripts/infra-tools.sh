#!/usr/bin/env bash
# Provisions the real tools the infrastructure tests (issue 3) use, idempotently, cached under
# ~/.cache/spotify-mcp-test/<tool>-<version>/, and prints `export` lines for them:
#
#     eval "$(scripts/infra-tools.sh)"
#
# Exports:
#   SPOTIFY_MCP_PROMETHEUS       prometheus server binary (Debian trixie 2.53, dpkg -x)
#   SPOTIFY_MCP_PROMTOOL         promtool of the same version
#   SPOTIFY_MCP_REDIS_SERVER     redis-server (Debian bookworm, dpkg -x, wrapper sets the library path)
#   SPOTIFY_MCP_HAPROXY          haproxy (Debian bookworm, dpkg -x, wrapper sets the library path)
#   SPOTIFY_MCP_DOCKER_COMPOSE   docker-compose v2 (Debian trixie; `docker-compose config` == `docker compose config`)
#   SPOTIFY_MCP_BUILDAH          buildah (apt-get install)
#   SPOTIFY_MCP_PODMAN           podman  (apt-get install; run with `--runtime runc`)
#   SPOTIFY_MCP_GRAFANA_NODE_MODULES  node_modules with @grafana/schema, ts-json-schema-generator, ajv
#   SPOTIFY_MCP_MUSL_TARGET      rust target for the static image binary (rustup target add + musl-tools)
#
# It never changes the system's apt sources: packages from trixie are fetched with a private apt
# configuration whose lists live in the cache directory. Set SPOTIFY_MCP_INFRA_SKIP_IMAGE=1 to skip
# the container tools (buildah/podman/runc/musl), e.g. on machines where apt-get install is not allowed.
set -euo pipefail
CACHE_ROOT="${SPOTIFY_MCP_TEST_CACHE:-$HOME/.cache/spotify-mcp-test}"
mkdir -p "$CACHE_ROOT"
log() { printf '[infra-tools] %s\n' "$*" >&2; }

# Pinned versions. Debian replaces versions on point releases; if a pinned one has left the
# archive, the script falls back to the suite's current candidate and caches that under its own name.
PROM_VERSION="2.53.3+ds1-2"          # trixie: prometheus + promtool
COMPOSE_VERSION="2.26.1-4"           # trixie: docker-compose (v2)
NPM_GRAFANA_SCHEMA="13.2.3"
NPM_TS_JSON_SCHEMA_GENERATOR="2.10.0"
NPM_AJV="8.20.0"
NPM_AJV_FORMATS="3.0.1"
MUSL_TARGET="x86_64-unknown-linux-musl"

# ---- private apt configuration for Debian trixie (download only, no system change) ----------
TRIXIE_APT="$CACHE_ROOT/apt-trixie"
trixie_apt_opts=(
  -o "Dir::Etc::SourceList=$TRIXIE_APT/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$TRIXIE_APT/lists" -o "Dir::Cache=$TRIXIE_APT/cache"
  -o "Dir::State::Status=/dev/null" -o "APT::Architecture=amd64" -o "APT::Sandbox::User=root"
  -o "Debug::NoLocking=1"
)
trixie_apt_ready=0
trixie_apt() {
  if [ "$trixie_apt_ready" = 0 ]; then
    mkdir -p "$TRIXIE_APT/lists/partial" "$TRIXIE_APT/cache/archives/partial"
    echo "deb http://deb.debian.org/debian trixie main" >"$TRIXIE_APT/sources.list"
    log "updating the private trixie package lists"
    apt-get "${trixie_apt_opts[@]}" -qq update >&2
    trixie_apt_ready=1
  fi
  "$@"
}
# download PKG=VERSION (falling back to the candidate) with the given apt options into $dir
apt_download() { # <dir> <pinned-version|""> <pkg...> ; uses $apt_cmd (array) for options
  local dir=$1 version=$2
  shift 2
  local pkgs=() p
  for p in "$@"; do
    if [ -n "$version" ]; then pkgs+=("$p=$version"); else pkgs+=("$p"); fi
  done
  (cd "$dir" && apt-get "${apt_cmd[@]}" -qq download "${pkgs[@]}" >&2) && return 0
  if [ -n "$version" ]; then
    log "pinned $version of $* not in the archive any more; taking the current candidate"
    (cd "$dir" && apt-get "${apt_cmd[@]}" -qq download "$@" >&2)
  else
    return 1
  fi
}
debian_candidate() { # <package> <cache-dir-prefix>: the machine's candidate version of package
  local version existing
  version=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -n "$version" ] && [ "$version" != "(none)" ]; then echo "$version"; return; fi
  # No apt lists (a minimal image): a version cached before, else refresh the lists once.
  existing=$(find "$CACHE_ROOT" -maxdepth 2 -path "*/$2-*/.done" 2>/dev/null | sort | tail -n1)
  if [ -n "$existing" ]; then
    version=$(basename "$(dirname "$existing")")
    echo "${version#"$2"-}"
    return
  fi
  log "apt lists are empty; running apt-get update"
  apt-get -qq update >&2
  apt-cache policy "$1" | awk '/Candidate:/ {print $2}'
}
extract_debs() { # <dir>: dpkg -x every .deb in dir into dir/root
  local d
  mkdir -p "$1/root"
  for d in "$1"/*.deb; do dpkg -x "$d" "$1/root"; done
  rm -f "$1"/*.deb
}

# ---- Prometheus + promtool (trixie 2.53) ------------------------------------------------------
PROM_DIR="$CACHE_ROOT/prometheus-$PROM_VERSION"
if [ ! -f "$PROM_DIR/.done" ]; then
  log "fetching prometheus + promtool $PROM_VERSION (Debian trixie)"
  rm -rf "$PROM_DIR" && mkdir -p "$PROM_DIR"
  apt_cmd=("${trixie_apt_opts[@]}")
  trixie_apt apt_download "$PROM_DIR" "$PROM_VERSION" prometheus promtool
  extract_debs "$PROM_DIR"
  "$PROM_DIR/root/usr/bin/prometheus" --version >&2
  touch "$PROM_DIR/.done"
fi
echo "export SPOTIFY_MCP_PROMETHEUS=$PROM_DIR/root/usr/bin/prometheus"
echo "export SPOTIFY_MCP_PROMTOOL=$PROM_DIR/root/usr/bin/promtool"

# ---- docker-compose v2 (trixie) ---------------------------------------------------------------
COMPOSE_DIR="$CACHE_ROOT/docker-compose-$COMPOSE_VERSION"
if [ ! -f "$COMPOSE_DIR/.done" ]; then
  log "fetching docker-compose $COMPOSE_VERSION (Debian trixie)"
  rm -rf "$COMPOSE_DIR" && mkdir -p "$COMPOSE_DIR"
  apt_cmd=("${trixie_apt_opts[@]}")
  trixie_apt apt_download "$COMPOSE_DIR" "$COMPOSE_VERSION" docker-compose
  extract_debs "$COMPOSE_DIR"
  "$COMPOSE_DIR/root/usr/libexec/docker/cli-plugins/docker-compose" version >&2
  touch "$COMPOSE_DIR/.done"
fi
echo "export SPOTIFY_MCP_DOCKER_COMPOSE=$COMPOSE_DIR/root/usr/libexec/docker/cli-plugins/docker-compose"

# ---- redis-server (the machine's own Debian release, dpkg -x) ---------------------------------
redis_version=$(debian_candidate redis-tools redis)
REDIS_DIR="$CACHE_ROOT/redis-${redis_version//:/_}"
if [ ! -f "$REDIS_DIR/.done" ]; then
  log "fetching redis-server $redis_version (Debian)"
  rm -rf "$REDIS_DIR" && mkdir -p "$REDIS_DIR"
  apt_cmd=(-o "APT::Sandbox::User=root")
  apt_download "$REDIS_DIR" "" redis-tools libjemalloc2 liblzf1
  extract_debs "$REDIS_DIR"
  mkdir -p "$REDIS_DIR/bin"
  # Debian's redis-server package is only this symlink; redis-check-rdb acts as the server by argv[0]
  ln -sf redis-check-rdb "$REDIS_DIR/root/usr/bin/redis-server"
  for tool in redis-server redis-cli; do
    cat >"$REDIS_DIR/bin/$tool" <<EOF
#!/bin/sh
# wrapper: the Debian binary, with the libraries extracted next to it
LD_LIBRARY_PATH="$REDIS_DIR/root/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$REDIS_DIR/root/usr/bin/$tool" "\$@"
EOF
    chmod +x "$REDIS_DIR/bin/$tool"
  done
  "$REDIS_DIR/bin/redis-server" --version >&2
  touch "$REDIS_DIR/.done"
fi
echo "export SPOTIFY_MCP_REDIS_SERVER=$REDIS_DIR/bin/redis-server"

# ---- haproxy (the machine's own Debian release, dpkg -x): the round-robin load balancer in front
# of the replicas in the scale-out tests -----------------------------------------------------------
haproxy_version=$(debian_candidate haproxy haproxy)
HAPROXY_DIR="$CACHE_ROOT/haproxy-${haproxy_version//:/_}"
if [ ! -f "$HAPROXY_DIR/.done" ]; then
  log "fetching haproxy $haproxy_version (Debian)"
  rm -rf "$HAPROXY_DIR" && mkdir -p "$HAPROXY_DIR"
  apt_cmd=(-o "APT::Sandbox::User=root")
  apt_download "$HAPROXY_DIR" "" haproxy liblua5.3-0 libopentracing-c-wrapper0 libopentracing1
  extract_debs "$HAPROXY_DIR"
  mkdir -p "$HAPROXY_DIR/bin"
  cat >"$HAPROXY_DIR/bin/haproxy" <<WRAPPER
#!/bin/sh
# wrapper: the Debian binary, with the libraries extracted next to it
LD_LIBRARY_PATH="$HAPROXY_DIR/root/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$HAPROXY_DIR/root/usr/sbin/haproxy" "\$@"
WRAPPER
  chmod +x "$HAPROXY_DIR/bin/haproxy"
  "$HAPROXY_DIR/bin/haproxy" -v >&2
  touch "$HAPROXY_DIR/.done"
fi
echo "export SPOTIFY_MCP_HAPROXY=$HAPROXY_DIR/bin/haproxy"

# ---- Grafana dashboard validation toolchain (npm, cached node_modules) -------------------------
NPM_DIR="$CACHE_ROOT/grafana-schema-$NPM_GRAFANA_SCHEMA-tsjsg-$NPM_TS_JSON_SCHEMA_GENERATOR-ajv-$NPM_AJV"
if [ ! -f "$NPM_DIR/.done" ]; then
  log "installing @grafana/schema $NPM_GRAFANA_SCHEMA, ts-json-schema-generator, ajv (npm)"
  rm -rf "$NPM_DIR" && mkdir -p "$NPM_DIR"
  echo '{"name":"spotify-mcp-dashboard-validation","private":true}' >"$NPM_DIR/package.json"
  (cd "$NPM_DIR" && npm install --silent --no-audit --no-fund --ignore-scripts \
    "@grafana/schema@$NPM_GRAFANA_SCHEMA" "ts-json-schema-generator@$NPM_TS_JSON_SCHEMA_GENERATOR" \
    "ajv@$NPM_AJV" "ajv-formats@$NPM_AJV_FORMATS" >&2)
  touch "$NPM_DIR/.done"
fi
echo "export SPOTIFY_MCP_GRAFANA_NODE_MODULES=$NPM_DIR/node_modules"

# ---- container image tools: buildah, podman, runc, and the musl target -------------------------
if [ "${SPOTIFY_MCP_INFRA_SKIP_IMAGE:-0}" != 1 ]; then
  missing=()
  command -v buildah >/dev/null || missing+=(buildah)
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  # user-mode networking for containers with a published port: no bridge, no iptables rules,
  # no sysctl changes on the host, and a container network in 198.18.0.0/15 (tests pick the CIDR)
  command -v slirp4netns >/dev/null || missing+=(slirp4netns)
  command -v musl-gcc >/dev/null || missing+=(musl-tools)
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
      { "${sudo[@]}" apt-get -qq update >&2 &&
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
  fi
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$MUSL_TARGET"; then
    log "rustup target add $MUSL_TARGET"
    rustup target add "$MUSL_TARGET" >&2
  fi
  echo "export SPOTIFY_MCP_BUILDAH=$(command -v buildah)"
  echo "export SPOTIFY_MCP_PODMAN=$(command -v podman)"
  echo "export SPOTIFY_MCP_MUSL_TARGET=$MUSL_TARGET"
fi
