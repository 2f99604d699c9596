"""Harness of the real-node suite: kubectl and helm against the cluster of
scripts/real-cluster.sh (a kwok control plane with one real kubelet/containerd node), port-forwards,
and the official MCP client through them. Nothing here fakes a part of the cluster."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "python"))

from harness import mcp_http  # noqa: E402  (the same official-SDK client as the other suites)

__all__ = ["Cluster", "Images", "REPO_ROOT", "eventually", "free_port", "mcp_http"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(check: Callable[[], Any], *, timeout: float = 60, interval: float = 0.5, what: str = "") -> Any:
    """Calls `check` until it returns a truthy value without raising; fails with the last error."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            value = check()
            if value:
                return value
            last = value
        except Exception as e:  # noqa: BLE001 - the last error is what the failure shows
            last = e
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or check!r} not true within {timeout} s; last: {last!r}")
        time.sleep(interval)


@dataclass(frozen=True)
class Images:
    server: str
    operator: str
    server_tar: str
    operator_tar: str

    @classmethod
    def from_env(cls) -> "Images":
        names = ["SPOTIFY_MCP_SERVER_IMAGE", "SPOTIFY_MCP_OPERATOR_IMAGE", "SPOTIFY_MCP_SERVER_IMAGE_TAR",
                 "SPOTIFY_MCP_OPERATOR_IMAGE_TAR"]
        missing = [n for n in names if not os.environ.get(n)]
        if missing:
            raise RuntimeError(f"{', '.join(missing)} unset: run this suite with tests/k8s/run.sh")
        return cls(*(os.environ[n] for n in names))

    @property
    def repository_and_tag(self) -> tuple[str, str]:
        repo, tag = self.server.rsplit(":", 1)
        return repo, tag


class Cluster:
    """kubectl/helm bound to the real cluster's kubeconfig."""

    def __init__(self, kubeconfig: str, k8s_bin: str, helm_bin: str, artifacts: Path):
        self.kubeconfig = kubeconfig
        self.bin = Path(k8s_bin)
        self.helm_bin = Path(helm_bin) / "helm"
        self.artifacts = artifacts
        self.env = {**os.environ, "KUBECONFIG": kubeconfig}

    # -- commands -------------------------------------------------------------------------
    def kubectl(self, *args: str, check: bool = True, input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        r = subprocess.run([str(self.bin / "kubectl"), "--request-timeout=30s", *args], env=self.env, input=input,
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def kubectl_json(self, *args: str) -> Any:
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def apply(self, manifest: str, namespace: str | None = None) -> str:
        ns = ["-n", namespace] if namespace else []
        return self.kubectl(*ns, "apply", "-f", "-", input=manifest).stdout

    def helm(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        env = {**self.env, "HELM_CACHE_HOME": str(self.artifacts / "helm" / "cache"),
               "HELM_CONFIG_HOME": str(self.artifacts / "helm" / "config"),
               "HELM_DATA_HOME": str(self.artifacts / "helm" / "data")}
        r = subprocess.run([str(self.helm_bin), *args], env=env, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def import_images(self, *tars: str) -> None:
        subprocess.run([str(REPO_ROOT / "scripts" / "real-cluster.sh"), "import", *tars], check=True)

    # -- objects --------------------------------------------------------------------------
    def restricted_namespace(self, name: str) -> str:
        """A fresh namespace that enforces the restricted Pod Security Standard."""
        self.kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=true", timeout=180)
        self.kubectl("create", "namespace", name)
        self.kubectl("label", "namespace", name, "pod-security.kubernetes.io/enforce=restricted",
                     "pod-security.kubernetes.io/warn=restricted", "pod-security.kubernetes.io/audit=restricted")
        eventually(lambda: self.kubectl("-n", name, "get", "serviceaccount", "default", check=False).returncode == 0,
                   timeout=30, what=f"default ServiceAccount of {name}")
        return name

    def condition(self, namespace: str, kind: str, name: str, type_: str) -> dict[str, Any] | None:
        obj = self.kubectl_json("-n", namespace, "get", kind, name)
        return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == type_), None)

    def wait_condition(self, namespace: str, kind: str, name: str, type_: str, status: str = "True",
                       timeout: float = 120) -> dict[str, Any]:
        def check():
            c = self.condition(namespace, kind, name, type_)
            return c if c and c["status"] == status else None
        try:
            return eventually(check, timeout=timeout, what=f"{kind}/{name} {type_}={status}")
        except AssertionError:
            print(self.kubectl("-n", namespace, "get", kind, name, "-o", "yaml", check=False).stdout)
            print(self.kubectl("-n", namespace, "get", "pods,events", "-o", "wide", check=False).stdout)
            raise

    def pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        return self.kubectl_json("-n", namespace, "get", "pods", "-l", selector)["items"]

    def ready_pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        def ready(p):
            return p["status"].get("phase") == "Running" and any(
                c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
        return [p for p in self.pods(namespace, selector) if ready(p) and not p["metadata"].get("deletionTimestamp")]

    # -- reaching pods and Services ---------------------------------------------------------
    @contextlib.contextmanager
    def port_forward(self, namespace: str, target: str, remote_port: int) -> Iterator[int]:
        """`kubectl port-forward` to `target` (pod/x, svc/x); yields the local port on 127.0.0.1."""
        port = free_port()
        log = open(self.artifacts / f"port-forward-{namespace}-{target.replace('/', '-')}-{port}.log", "w")
        proc = subprocess.Popen([str(self.bin / "kubectl"), "-n", namespace, "port-forward", "--address", "127.0.0.1",
                                 target, f"{port}:{remote_port}"], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            def listening():
                if proc.poll() is not None:
                    raise AssertionError(f"kubectl port-forward exited: {Path(log.name).read_text()}")
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            eventually(listening, timeout=30, interval=0.2, what=f"port-forward to {namespace}/{target}")
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()

    def service_ip(self, namespace: str, name: str) -> str:
        ip = self.kubectl_json("-n", namespace, "get", "service", name)["spec"]["clusterIP"]
        assert re.fullmatch(r"198\.19\.\d+\.\d+", ip), f"Service {namespace}/{name} has {ip}, outside 198.19.0.0/16"
        return ip


def containerd_pid(container_id: str) -> int:
    """The host PID of a container on the real node (`containerd://<id>` from a pod's status)."""
    cid = container_id.removeprefix("containerd://")
    bin_dir = os.environ["SPOTIFY_MCP_CONTAINERD_BIN"]
    cache = Path(os.environ.get("SPOTIFY_MCP_TEST_CACHE") or Path.home() / ".cache" / "spotify-mcp-test")
    sock = cache / "real-node" / "containerd" / "containerd.sock"
    out = subprocess.run([f"{bin_dir}/ctr", "--address", str(sock), "-n", "k8s.io", "tasks", "ls"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines()[1:]:
        parts = line.split()
        if parts and parts[0] == cid:
            return int(parts[1])
    raise AssertionError(f"container {cid} is not running on the real node:\n{out}")
