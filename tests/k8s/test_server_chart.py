"""The spotify-mcp chart alone (no operator) on the real node: Ready, reachable, `helm test`."""

from __future__ import annotations

import pytest

from kube import REPO_ROOT, Cluster, Images, eventually, mcp_http

pytestmark = pytest.mark.anyio

NS = "music-chart"
RELEASE = "tunes"


@pytest.fixture(scope="module")
def release(cluster: Cluster, images: Images) -> str:
    cluster.restricted_namespace(NS)
    repo, tag = images.server.rsplit(":", 1)
    cluster.helm("install", RELEASE, str(REPO_ROOT / "charts" / "spotify-mcp"), "-n", NS, "--wait", "--timeout", "180s",
                 "--set", "sandbox=true", "--set", f"image.repository={repo}", "--set", f"image.tag={tag}",
                 "--set", "image.pullPolicy=Never")
    yield "tunes-spotify-mcp"
    cluster.helm("uninstall", RELEASE, "-n", NS, "--wait", check=False)
    cluster.kubectl("delete", "namespace", NS, "--wait=true", check=False, timeout=180)


async def test_server_chart_runs_serves_and_passes_helm_test(cluster: Cluster, release: str):
    pods = cluster.ready_pods(NS, f"app.kubernetes.io/instance={RELEASE}")
    assert len(pods) == 1 and pods[0]["spec"]["nodeName"] == "spotify-mcp-node", pods
    with cluster.port_forward(NS, f"svc/{release}", 8000) as port:
        async with mcp_http(f"http://127.0.0.1:{port}/mcp") as client:
            result = await client.call_tool("get_devices", {})
            assert not result.is_error, result
    out = cluster.helm("test", RELEASE, "-n", NS, "--timeout", "120s").stdout
    assert "Succeeded" in out, out

    # Broken variant: no server behind the Service, so the hook pod (DNS name -> ClusterIP) fails.
    cluster.kubectl("-n", NS, "scale", "deployment", release, "--replicas=0")
    try:
        eventually(lambda: not cluster.pods(NS, f"app.kubernetes.io/instance={RELEASE},app.kubernetes.io/name=spotify-mcp"),
                   timeout=60, what="server pods gone")
        r = cluster.helm("test", RELEASE, "-n", NS, "--timeout", "90s", check=False)
        assert r.returncode != 0, f"helm test passed with no server running:\n{r.stdout}"
    finally:
        cluster.kubectl("-n", NS, "scale", "deployment", release, "--replicas=1")
        cluster.kubectl("-n", NS, "rollout", "status", f"deployment/{release}", "--timeout=120s")
