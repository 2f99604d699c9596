#!/usr/bin/env python3
"""Real-node benchmark (a measurement, not a test): how fast a SpotifyMcp becomes a running,
Ready server pod on a real kubelet/containerd node, and what the node costs at idle.

Measures, on the cluster of scripts/real-cluster.sh (kwok control plane + one real node):
  1. kubelet, containerd (+ shims) and kube-proxy RSS and CPU at idle (only CoreDNS running), over
     --idle-seconds, read from /proc;
  2. with the operator chart installed (the operator runs as a pod): SAMPLES times, `kubectl apply` of
     a sandbox SpotifyMcp -> the SpotifyMcp's Ready condition True (its server pod started, passed
     its startup and readiness probes, the Deployment is Available and the operator saw it), p50/p90;
     each sample is deleted and its pod gone before the next.

Usage (repository root; builds the images and brings the cluster up and down itself):
  python3 operator/bench/real_node.py [--samples 20] [--idle-seconds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("SPOTIFY_MCP_TEST_CACHE") or Path.home() / ".cache" / "spotify-mcp-test")
STATE = CACHE / "real-node" / "run"
NS = "bench-real"


def sh(*args: str, env: dict | None = None, input: str | None = None) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, env=env, input=input).stdout


def exports(script: str) -> dict[str, str]:
    out = sh(str(ROOT / "scripts" / script))
    env = {}
    for line in out.splitlines():
        if line.startswith("export "):
            k, v = line[len("export "):].split("=", 1)
            env[k] = v
    return env


def proc_stat(pid: int) -> tuple[int, float]:
    """(RSS bytes, CPU seconds) of one process."""
    rss = next(int(l.split()[1]) * 1024 for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / ticks


def node_processes() -> dict[str, list[int]]:
    procs = {name: [int((STATE / f"{name}.pid").read_text())] for name in ("kubelet", "containerd", "kube-proxy")}
    sock = str(CACHE / "real-node" / "containerd" / "containerd.sock")
    # At least CoreDNS's shim runs, so pgrep finds one.
    procs["shims"] = [int(p) for p in sh("pgrep", "-f", f"containerd-shim.*{sock}").split()]
    return procs


def idle_cost(seconds: float) -> dict[str, dict[str, float]]:
    before = {n: [proc_stat(p) for p in ps] for n, ps in node_processes().items()}
    time.sleep(seconds)
    after = {n: [proc_stat(p) for p in ps] for n, ps in node_processes().items()}
    out = {}
    for n in before:
        rss = sum(r for r, _ in after[n]) / 2**20
        cpu = sum(c for _, c in after[n]) - sum(c for _, c in before[n])
        out[n] = {"rss_mib": round(rss, 1), "cpu_percent_of_one_core": round(100 * cpu / seconds, 2),
                  "processes": len(after[n])}
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--idle-seconds", type=float, default=30)
    a = ap.parse_args()

    env = {**os.environ}
    env.update(exports("images.sh"))
    helm_bin = sh(str(ROOT / "scripts" / "helm-toolchain.sh")).strip()
    k8s_bin = sh(str(ROOT / "scripts" / "k8s-toolchain.sh")).strip()
    t = time.monotonic()
    kubeconfig = sh(str(ROOT / "scripts" / "real-cluster.sh"), "up").strip()
    up_seconds = time.monotonic() - t
    env["KUBECONFIG"] = kubeconfig
    kubectl = [f"{k8s_bin}/kubectl", "--request-timeout=60s"]
    try:
        sh(str(ROOT / "scripts" / "real-cluster.sh"), "import", env["SPOTIFY_MCP_SERVER_IMAGE_TAR"],
           env["SPOTIFY_MCP_OPERATOR_IMAGE_TAR"])
        idle = idle_cost(a.idle_seconds)

        sh(*kubectl, "create", "namespace", NS, env=env)
        repo, tag = env["SPOTIFY_MCP_OPERATOR_IMAGE"].rsplit(":", 1)
        sh(f"{helm_bin}/helm", "install", "op", str(ROOT / "charts" / "spotify-mcp-operator"), "-n", NS, "--wait",
           "--timeout", "180s", "--set", f"image.repository={repo}", "--set", f"image.tag={tag}",
           "--set", "image.pullPolicy=Never", "--set", f"operator.defaultServerImage={env['SPOTIFY_MCP_SERVER_IMAGE']}",
           env=env)
        samples = []
        for i in range(a.samples):
            name = f"bench-{i}"
            cr = json.dumps({"apiVersion": "spotifymcp.dev/v1alpha1", "kind": "SpotifyMcp",
                             "metadata": {"name": name, "namespace": NS}, "spec": {"sandbox": True}})
            t0 = time.monotonic()
            sh(*kubectl, "apply", "-f", "-", env=env, input=cr)
            sh(*kubectl, "-n", NS, "wait", f"smcp/{name}", "--for=condition=Ready", "--timeout=120s", env=env)
            samples.append(time.monotonic() - t0)
            sh(*kubectl, "-n", NS, "delete", "smcp", name, "--wait=true", env=env)
            sh(*kubectl, "-n", NS, "wait", "pod", "-l", f"app.kubernetes.io/instance={name}", "--for=delete",
               "--timeout=120s", env=env)
            print(f"sample {i + 1}/{a.samples}: {samples[-1]:.2f} s", file=sys.stderr)
        q = statistics.quantiles(samples, n=10)
        result = {
            "cluster_up_seconds": round(up_seconds, 1),
            "idle_node": idle,
            "apply_to_ready_seconds": {"p50": round(statistics.median(samples), 2), "p90": round(q[8], 2),
                                       "min": round(min(samples), 2), "max": round(max(samples), 2),
                                       "samples": len(samples)},
            "loadavg_at_end": os.getloadavg(),
        }
        print(json.dumps(result, indent=2))
    finally:
        subprocess.run([str(ROOT / "scripts" / "real-cluster.sh"), "down"], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
