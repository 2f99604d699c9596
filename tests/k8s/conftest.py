"""Fixtures of the real-node suite. The cluster itself is brought up and torn down by
tests/k8s/run.sh (scripts/real-cluster.sh up/down under a trap), so that nothing outlives a failed
or interrupted run; these fixtures only bind to it and fail, never skip, when it is absent."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kube import Cluster, Images  # noqa: E402


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def images() -> Images:
    return Images.from_env()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    kubeconfig = os.environ.get("SPOTIFY_MCP_REAL_KUBECONFIG")
    k8s_bin = os.environ.get("SPOTIFY_MCP_K8S_BIN")
    helm_bin = os.environ.get("SPOTIFY_MCP_HELM_BIN")
    if not (kubeconfig and k8s_bin and helm_bin):
        pytest.fail("no real cluster: run this suite with tests/k8s/run.sh (it brings the cluster up and down)")
    artifacts = Path(os.environ.get("SPOTIFY_MCP_K8S_ARTIFACTS") or tmp_path_factory.mktemp("k8s-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    c = Cluster(kubeconfig, k8s_bin, helm_bin, artifacts)
    node = c.kubectl_json("get", "node", "spotify-mcp-node")
    assert any(x["type"] == "Ready" and x["status"] == "True" for x in node["status"]["conditions"]), node["status"]
    return c


def pytest_runtest_makereport(item, call):
    """A failing test shows what the cluster saw: pods, events and the real node's state."""
    if call.when != "call" or call.excinfo is None:
        return
    c = item.funcargs.get("cluster")
    if c is None:
        return
    out = c.kubectl("get", "pods,smcp,deploy,svc", "-A", "-o", "wide", check=False).stdout
    events = c.kubectl("get", "events", "-A", "--sort-by=.lastTimestamp", check=False).stdout
    item.add_report_section("call", "cluster", out + "\n" + "\n".join(events.splitlines()[-40:]))
