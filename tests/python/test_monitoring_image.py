"""The server image (issue 3): built from the repository's Dockerfile with buildah (its `prebuilt`
stage, no image is pulled: FROM scratch plus the static musl release binary), run with podman + runc in sandbox
mode bound to 0.0.0.0, called through the published port (/mcp with the official MCP client,
/metrics, /healthz), and its HEALTHCHECK run. Reports the image size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from harness import mcp_http

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
import tooling  # noqa: E402
from tooling import REPO_ROOT  # noqa: E402

pytestmark = pytest.mark.anyio

MUSL = "x86_64-unknown-linux-musl"
MAX_IMAGE_BYTES = 20 * 1024 * 1024
RUNTIME = ["--runtime", "runc"]  # the default crun fails on this kernel's cgroup layout
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
# slirp4netns (user-mode networking) instead of podman's default bridge: the default network is
# 10.88.0.0/16 and leaves a bridge, iptables chains and ip_forward=1 on the host. This keeps the
# container's network in the benchmarking range and the host untouched.
NETWORK = ["--network", "slirp4netns:cidr=198.18.2.0/24,port_handler=slirp4netns"]


def run(args, timeout=600, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT, **kw)


def container_tools() -> tuple[str, str]:
    t = tooling.tools()
    if not t.get("SPOTIFY_MCP_BUILDAH") or not t.get("SPOTIFY_MCP_PODMAN"):
        pytest.fail("buildah/podman not provisioned: run scripts/infra-tools.sh without SPOTIFY_MCP_INFRA_SKIP_IMAGE")
    return t["SPOTIFY_MCP_BUILDAH"], t["SPOTIFY_MCP_PODMAN"]


@pytest.fixture(scope="module")
def static_binary() -> Path:
    """The binary for the image, built with the `dist` profile of published images;
    SPOTIFY_MCP_IMAGE_BIN skips the build (CI caching)."""
    if os.environ.get("SPOTIFY_MCP_IMAGE_BIN"):
        return Path(os.environ["SPOTIFY_MCP_IMAGE_BIN"])
    build = run(
        ["cargo", "build", "--profile", "dist", "--locked", "--target", MUSL, "-p", "spotify-mcp-server"],
        timeout=3600,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    meta = json.loads(run(["cargo", "metadata", "--format-version", "1", "--no-deps"]).stdout)
    return Path(meta["target_directory"]) / MUSL / "dist" / "spotify-mcp-server"


@pytest.fixture(scope="module")
def image(static_binary, tmp_path_factory) -> str:
    buildah, podman = container_tools()
    # Dockerfile's default ARG path is relative to the repository; a binary elsewhere is copied in
    context_binary = REPO_ROOT / "target" / MUSL / "dist" / "spotify-mcp-server"
    if static_binary.resolve() != context_binary.resolve():
        context_binary.parent.mkdir(parents=True, exist_ok=True)
        context_binary.write_bytes(static_binary.read_bytes())
        context_binary.chmod(0o755)
    tag = f"localhost/spotify-mcp-server:test-{uuid.uuid4().hex[:8]}"
    # The Dockerfile's `prebuilt` stage: the Rust image of its `build` stage is never needed.
    # --squash: one layer (buildah commits the metadata-only `runtime` stage as an empty layer).
    r = run([buildah, "bud", "--format", "docker", "--pull=never", "--squash", "--target", "prebuilt",
             "--ignorefile", "prebuilt.dockerignore", "-t", tag, "-f", "Dockerfile", "."])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    yield tag
    run([podman, "rmi", "-f", tag])


def test_binary_is_static(static_binary):
    r = subprocess.run(["ldd", str(static_binary)], capture_output=True, text=True)
    assert "not a dynamic executable" in (r.stdout + r.stderr) or "statically linked" in r.stdout, r.stdout + r.stderr


def test_image_config_and_size(image):
    _, podman = container_tools()
    info = json.loads(run([podman, "image", "inspect", image]).stdout)[0]
    cfg = info["Config"]
    assert cfg["User"] == "65532:65532"
    assert "8000/tcp" in cfg["ExposedPorts"]
    assert cfg["Entrypoint"] == ["/spotify-mcp-server"]
    health = info.get("HealthCheck") or info.get("Healthcheck") or cfg.get("Healthcheck")
    assert health and health["Test"] == [
        "CMD", "/spotify-mcp-server", "healthcheck", "--url", "http://127.0.0.1:8000/healthz"
    ], info
    layers = info["RootFS"]["Layers"]
    assert len(layers) == 1, "scratch + one binary"
    size = int(info["Size"])
    print(f"\nimage {image}: {size} bytes ({size / 1024 / 1024:.2f} MiB)")
    assert size <= MAX_IMAGE_BYTES, f"image is {size / 1024 / 1024:.1f} MiB, budget 20 MiB"


def netns_mounted() -> bool:
    """Whether /run/netns is a mount point (os.path.ismount misses a bind mount of its own directory)."""
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == "/run/netns" for line in f)


@pytest.fixture(scope="module")
def container(image):
    _, podman = container_tools()
    port = tooling.free_port()
    name = f"spotify-mcp-test-{uuid.uuid4().hex[:8]}"
    # podman makes /run/netns a shared bind mount of itself for the container's netns and leaves
    # it; undo that afterwards when it was not there before (the suite checks the host's mounts).
    netns_was_mounted = netns_mounted()
    r = run([podman, *RUNTIME, "run", *ULIMITS, *NETWORK, "-d", "--name", name, "--read-only",
             "-p", f"127.0.0.1:{port}:8000", image, "--sandbox"])
    assert r.returncode == 0, r.stderr
    base = f"http://127.0.0.1:{port}"
    try:
        tooling.wait_for(lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200, 60,
                         "the container to answer /healthz")
        tooling.wait_for(lambda: httpx.get(f"{base}/readyz", timeout=2).status_code == 200, 60,
                         "the container to be ready")
        yield name, base
    except Exception:
        print(run([podman, "logs", name]).stdout[-4000:])
        raise
    finally:
        run([podman, *RUNTIME, "rm", "-f", name])
        if not netns_was_mounted and netns_mounted() and not os.listdir("/run/netns"):
            run(["umount", "/run/netns"])


async def test_container_serves_mcp_and_metrics_through_the_published_port(container):
    name, base = container
    async with mcp_http(f"{base}/mcp") as client:
        tools = await client.list_tools()
        assert len(tools.tools) >= 30
        result = await client.call_tool("get_profile", {})
        assert not result.is_error, result
    metrics = httpx.get(f"{base}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert 'spotify_mcp_tool_calls_total{status="success",tool="get_profile"} 1' in metrics.text
    assert "process_resident_memory_bytes" in metrics.text


def test_container_runs_as_non_root_and_passes_its_healthcheck(container):
    name, _ = container
    _, podman = container_tools()
    r = run([podman, *RUNTIME, "inspect", name, "--format", "{{.Config.User}}"])
    assert r.stdout.strip() == "65532:65532"
    r = run([podman, *RUNTIME, "healthcheck", "run", name])
    assert r.returncode == 0, f"HEALTHCHECK failed: {r.stdout} {r.stderr}"
