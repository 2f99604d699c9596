# spotify-mcp-server container image: one static binary in an empty image.
#
# The binary is built outside (no image pull, no network needed at image build time):
#   cargo build --release --locked --target x86_64-unknown-linux-musl -p spotify-mcp-server
#   buildah bud --format docker -t ghcr.io/spotify-mcp/spotify-mcp-server:0.1.0 .
#   (or: docker build -t ... .)
# .dockerignore keeps the build context down to that one file.
FROM scratch

ARG BINARY=target/x86_64-unknown-linux-musl/release/spotify-mcp-server
COPY ${BINARY} /spotify-mcp-server

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
