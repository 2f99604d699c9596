#!/usr/bin/env python3
"""Operator benchmark on a kwok cluster (a measurement, not a test).

Measures, against a real control plane with fake nodes:
  1. `kubectl apply` of one SpotifyMcp -> its Deployment exists (p50/p90 over N samples), and -> Ready;
  2. COUNT SpotifyMcps applied at once -> all Ready (pods "running" on kwok nodes);
  3. write requests the operator sends during full resyncs with nothing changed (from its /metrics);
  4. the operator's RSS with COUNT objects.

Usage (from the repository root, after `cargo build --release -p spotify-mcp-operator`):
  python3 operator/bench/bench.py [--count 1000] [--samples 20] [--keep]
It creates its own cluster (`spotify-mcp-bench`, 20 fake nodes, no client QPS limits) and deletes it
at the end unless --keep is given.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "spotify-mcp-bench"
NS = "bench"
PORT = 18181


def sh(*args, stdin=None, check=True, env=None):
    out = subprocess.run(args, input=stdin, capture_output=True, text=True, env=env)
    if check and out.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{out.stderr}")
    return out.stdout.strip()


def cr(name):
    return json.dumps({
        "apiVersion": "spotifymcp.dev/v1alpha1",
        "kind": "SpotifyMcp",
        "metadata": {"name": name},
        "spec": {"sandbox": True},
    })


class Watch:
    """`kubectl get -w` with a wall-clock time for the first line mentioning each name."""

    def __init__(self, kubectl, kind, jsonpath):
        self.seen = {}
        self.proc = subprocess.Popen(
            kubectl + ["-n", NS, "get", kind, "--watch", "-o", f"jsonpath={jsonpath}"],
            stdout=subprocess.PIPE, text=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            now = time.monotonic()
            parts = line.split()
            if parts and parts[0] not in self.seen and (len(parts) == 1 or parts[1] == "True"):
                self.seen[parts[0]] = now

    def wait(self, name, timeout=60):
        end = time.monotonic() + timeout
        while name not in self.seen:
            if time.monotonic() > end:
                sys.exit(f"timed out waiting for {name}")
            time.sleep(0.005)
        return self.seen[name]

    def stop(self):
        self.proc.terminate()


def metric(name):
    body = urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=5).read().decode()
    total = 0.0
    for line in body.splitlines():
        if line.startswith(name) and line[len(name)] in "{ ":
            total += float(line.rsplit(" ", 1)[1])
    return total


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--resync", default="20s")
    ap.add_argument("--concurrency", default="16", help="operator --concurrency (its default is 16)")
    ap.add_argument("--operator", default=str(ROOT / "target/release/spotify-mcp-operator"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if not Path(args.operator).exists():
        sys.exit(f"{args.operator} not found: cargo build --release -p spotify-mcp-operator")

    bin_dir = sh("bash", str(ROOT / "scripts/k8s-toolchain.sh"), "--check")
    env = dict(os.environ, SPOTIFY_MCP_KWOK_NODES="20", SPOTIFY_MCP_KWOK_DISABLE_QPS_LIMITS="1")
    kubeconfig = sh("bash", str(ROOT / "scripts/k8s-cluster.sh"), "create", CLUSTER, env=env)
    kubectl = [f"{bin_dir}/kubectl", "--kubeconfig", kubeconfig]
    sh(*kubectl, "apply", "--server-side", "-f", str(ROOT / "crds/spotifymcp.dev_spotifymcps.yaml"))
    sh(*kubectl, "wait", "--for=condition=Established", "crd/spotifymcps.spotifymcp.dev")
    sh(*kubectl, "delete", "namespace", NS, "--ignore-not-found", "--wait=true", "--timeout=300s")
    sh(*kubectl, "create", "namespace", NS)
    while sh(*kubectl, "-n", NS, "get", "serviceaccount", "default", "--ignore-not-found") == "":
        time.sleep(0.2)

    log = open("/tmp/spotify-mcp-operator-bench.log", "w")
    op = subprocess.Popen(
        [args.operator, "run", "--namespace", NS, "--bind", f"127.0.0.1:{PORT}", "--resync", args.resync,
         "--concurrency", args.concurrency,
         "--log", "warn", "--default-image", "ghcr.io/spotify-mcp/spotify-mcp-server:bench"],
        env=dict(os.environ, KUBECONFIG=kubeconfig), stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{PORT}/readyz", timeout=1).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        results = {}

        # 1. Latency, one object at a time.
        deployments = Watch(kubectl, "deployments", "{.metadata.name}{\"\\n\"}")
        ready = Watch(kubectl, "spotifymcps", "{.metadata.name} {.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}")
        time.sleep(1)
        to_deployment, to_ready, kubectl_apply = [], [], []
        for i in range(args.samples):
            name = f"latency-{i}"
            t0 = time.monotonic()
            sh(*kubectl, "-n", NS, "apply", "-f", "-", stdin=cr(name))
            kubectl_apply.append(time.monotonic() - t0)
            to_deployment.append(deployments.wait(name) - t0)
            to_ready.append(ready.wait(name) - t0)
        deployments.stop()
        ready.stop()
        results["apply_to_deployment_ms"] = (1000 * statistics.median(to_deployment), 1000 * pct(to_deployment, 90))
        results["kubectl_apply_process_ms"] = (1000 * statistics.median(kubectl_apply), 1000 * pct(kubectl_apply, 90))
        results["apply_to_ready_ms"] = (1000 * statistics.median(to_ready), 1000 * pct(to_ready, 90))

        # 2. COUNT objects at once.
        # Created by 10 parallel `kubectl create` processes: one kubectl creates only ~10 objects/s.
        chunks = ["\n---\n".join(cr(f"bulk-{i}") for i in range(j, args.count, 10)) for j in range(10)]
        t0 = time.monotonic()
        procs = [subprocess.Popen(kubectl + ["-n", NS, "create", "-f", "-"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, text=True) for _ in chunks]
        for proc, chunk in zip(procs, chunks):
            proc.stdin.write(chunk)
            proc.stdin.close()
        if any(proc.wait() != 0 for proc in procs):
            sys.exit("kubectl create failed")
        applied = time.monotonic() - t0
        expected = args.count + args.samples
        while True:
            items = json.loads(sh(*kubectl, "-n", NS, "get", "spotifymcps", "-o", "json"))["items"]
            n_ready = sum(
                1 for s in items
                if any(c["type"] == "Ready" and c["status"] == "True" for c in s.get("status", {}).get("conditions", []))
                and s["status"].get("observedGeneration") == s["metadata"]["generation"])
            if n_ready == expected:
                break
            if time.monotonic() - t0 > 900:
                sys.exit(f"only {n_ready}/{expected} Ready after 900 s")
            time.sleep(1)
        results["bulk_converge_s"] = time.monotonic() - t0
        results["bulk_apply_s"] = applied
        pods = sh(*kubectl, "-n", NS, "get", "pods", "--no-headers", "--field-selector=status.phase=Running")
        results["running_pods"] = len(pods.splitlines())
        results["rss_after_converge_mib"] = rss_mib(op.pid)

        # 3. Full resyncs with nothing changed.
        time.sleep(10)  # let status writes of the last rollouts settle
        writes0, rec0 = metric("spotify_mcp_operator_api_writes_total"), metric("spotify_mcp_operator_reconciliations_total")
        resync_s = int(args.resync.rstrip("s"))
        time.sleep(2 * resync_s + 5)
        writes1, rec1 = metric("spotify_mcp_operator_api_writes_total"), metric("spotify_mcp_operator_reconciliations_total")
        results["resync_reconciles"] = rec1 - rec0
        results["resync_writes"] = writes1 - writes0
        results["rss_after_resyncs_mib"] = rss_mib(op.pid)
        results["objects"] = expected

        print(json.dumps(results, indent=2))
        print()
        print("| measure | result | target |")
        print("|---|---|---|")
        print(f"| `kubectl apply` -> Deployment exists | p50 {results['apply_to_deployment_ms'][0]:.0f} ms, p90 {results['apply_to_deployment_ms'][1]:.0f} ms | p50 < 200 ms |")
        print(f"| the `kubectl apply` process alone (included above) | p50 {results['kubectl_apply_process_ms'][0]:.0f} ms, p90 {results['kubectl_apply_process_ms'][1]:.0f} ms | - |")
        print(f"| `kubectl apply` -> Ready (pod running on a kwok node) | p50 {results['apply_to_ready_ms'][0]:.0f} ms, p90 {results['apply_to_ready_ms'][1]:.0f} ms | - |")
        print(f"| {args.count} SpotifyMcps applied at once -> all Ready | {results['bulk_converge_s']:.1f} s (creating them took {applied:.1f} s) | < 60 s |")
        print(f"| full resyncs with nothing changed ({results['resync_reconciles']:.0f} reconciles) | {results['resync_writes']:.0f} writes | 0 writes |")
        print(f"| operator RSS with {expected} objects | {results['rss_after_resyncs_mib']:.1f} MiB (after convergence {results['rss_after_converge_mib']:.1f} MiB) | < 60 MiB |")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    finally:
        op.send_signal(signal.SIGTERM)
        try:
            op.wait(timeout=20)
        except subprocess.TimeoutExpired:
            op.kill()
        if not args.keep:
            sh("bash", str(ROOT / "scripts/k8s-cluster.sh"), "delete", CLUSTER, check=False)


if __name__ == "__main__":
    main()
