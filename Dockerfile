# spotify-mcp-server container image: one static musl binary in an empty image.
#
# From the sources (a clean clone; what `docker compose up --build` and the release workflow do):
#   docker build -t ghcr.io/spotify-mcp/spotify-mcp-server:0.1.0 .
#   (the last stage, `release`, compiles the binary in the pinned official Rust image)
#
# From a binary built outside (no image is pulled: scripts/images.sh and the tests):
#   cargo build --profile dist --locked --target x86_64-unknown-linux-musl -p spotify-mcp-server
#   buildah bud --format docker --pull=never --squash --target prebuilt \
#     --ignorefile prebuilt.dockerignore -t ghcr.io/spotify-mcp/spotify-mcp-server:0.1.0 .
#   (`--target prebuilt` skips the build stage, so the Rust image is never needed; `--squash`
#   folds buildah's empty layer of the metadata-only `runtime` stage away: one layer, as BuildKit
#   gives for `release`.)
#
# .dockerignore keeps the source context to what the build stage copies; prebuilt.dockerignore
# keeps the prebuilt context to the static binaries under target/.

# ---- build: the static binary from the sources ---------------------------------------------------
# Alpine's Rust targets musl natively, and Rust links musl statically by default.
FROM docker.io/library/rust:1.95.0-alpine3.23 AS build
# BuildKit's SBOM scanner (buildx --sbom, the release workflow) lists this stage too, which holds
# Cargo.lock: the final image holds only the binary.
ARG BUILDKIT_SBOM_SCAN_STAGE=true
RUN apk add --no-cache musl-dev
WORKDIR /src
# The workspace (every member's manifest and sources; the operator embeds infra/prometheus/alerts.yml).
COPY Cargo.toml Cargo.lock ./
COPY server/Cargo.toml server/build.rs server/
COPY server/src server/src
COPY musl-memcpy/Cargo.toml musl-memcpy/Cargo.toml
COPY musl-memcpy/src musl-memcpy/src
COPY sandbox/Cargo.toml sandbox/Cargo.toml
COPY sandbox/src sandbox/src
COPY operator/Cargo.toml operator/Cargo.toml
COPY operator/src operator/src
COPY infra/prometheus/alerts.yml infra/prometheus/alerts.yml
RUN target="$(uname -m)-unknown-linux-musl" \
 && cargo build --profile dist --locked --target "$target" -p spotify-mcp-server --bin spotify-mcp-server \
 && cp "target/$target/dist/spotify-mcp-server" /spotify-mcp-server \
 && if readelf -l /spotify-mcp-server | grep -q 'program interpreter'; then \
      echo "spotify-mcp-server is dynamically linked; FROM scratch needs a static binary" >&2; exit 1; fi

# ---- runtime: the image's configuration, shared by both ways of getting the binary ---------------
FROM scratch AS runtime
LABEL org.opencontainers.image.title="spotify-mcp-server" \
      org.opencontainers.image.description="Spotify MCP server (streamable HTTP on :8000, /metrics, /healthz, /readyz)" \
      org.opencontainers.image.source="https://github.com/spotify-mcp/spotify-mcp" \
      org.opencontainers.image.licenses="Apache-2.0"

# rustls with bundled webpki roots: no CA bundle, no libc, no shell in the image.
ENV SPOTIFY_MCP_BIND=0.0.0.0 \
    SPOTIFY_MCP_PORT=8000 \
    SPOTIFY_MCP_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/spotify-mcp-server", "healthcheck", "--url", "http://127.0.0.1:8000/healthz"]
ENTRYPOINT ["/spotify-mcp-server"]

# ---- prebuilt: the image around a static binary built outside (--target prebuilt) -----------------
FROM runtime AS prebuilt
ARG BINARY=target/x86_64-unknown-linux-musl/dist/spotify-mcp-server
COPY ${BINARY} /spotify-mcp-server

# ---- release (default): the image around the binary of the build stage ---------------------------
FROM runtime AS release
COPY --from=build /spotify-mcp-server /spotify-mcp-server
