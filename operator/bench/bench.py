#!/usr/bin/env python3
"""Operator benchmark on a kwok cluster (a measurement, not a test).

Measures, against a real control plane with fake nodes:
  1. one SpotifyMcp applied -> its Deployment exists, and -> Ready (p50/p90 over N samples), twice:
     with `kubectl apply` (a process per sample) and with a server-side apply over a connection the
     benchmark keeps open, so the operator's share is not hidden behind kubectl's start-up;
  2. COUNT SpotifyMcps created at once -> all Ready (pods "running" on kwok nodes), observed with a
     watch (no polling), plus the CPU seconds each process spent and the write requests the API
     server served, so the bottleneck is named by measurement;
  3. write requests the operator sends during full resyncs with nothing changed (from its /metrics);
  4. the operator's RSS with COUNT objects.

Usage (from the repository root, after `cargo build --release -p spotify-mcp-operator`):
  python3 operator/bench/bench.py [--count 1000] [--samples 20] [--keep]
It creates its own cluster (`spotify-mcp-bench`, 20 fake nodes, no client QPS limits) and deletes it
at the end unless --keep is given.
"""

import argparse
import http.client
import json
import os
import ssl
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "spotify-mcp-bench"
NS = "bench"
PORT = 18181
CRS = f"/apis/spotifymcp.dev/v1alpha1/namespaces/{NS}/spotifymcps"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NS}/deployments"
CONTROL_PLANE = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"]


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


class Kube:
    """The API server over HTTPS with the kubeconfig's client certificate: connections stay open, so
    a request costs what the API server and the network cost, not a process start."""

    def __init__(self, kubectl):
        cfg = json.loads(sh(*kubectl, "config", "view", "--raw", "--minify", "-o", "json"))
        cluster, user = cfg["clusters"][0]["cluster"], cfg["users"][0]["user"]
        server = urlparse(cluster["server"])
        self.host, self.port = server.hostname, server.port
        self.tls = ssl.create_default_context(cafile=cluster["certificate-authority"])
        self.tls.load_cert_chain(user["client-certificate"], user["client-key"])

    def connect(self):
        return http.client.HTTPSConnection(self.host, self.port, context=self.tls, timeout=120)

    @staticmethod
    def call(conn, method, path, body=None, content_type="application/json"):
        conn.request(method, path, body=body, headers={"Content-Type": content_type, "Accept": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status >= 300:
            sys.exit(f"{method} {path}: {resp.status} {data[:300]!r}")
        return json.loads(data)


def is_ready(obj):
    status = obj.get("status") or {}
    return status.get("observedGeneration") == obj["metadata"].get("generation") and any(
        c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", []))


class Watch:
    """A watch over one kept connection; records the wall-clock time at which `accept(object)` first
    held for each name."""

    def __init__(self, kube, path, accept):
        self.seen = {}
        self.stopped = False
        self.accept = accept
        self.conn = kube.connect()
        self.conn.request("GET", f"{path}?watch=1", headers={"Accept": "application/json"})
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            sys.exit(f"watch {path}: {self.resp.status}")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for line in self.resp:
                now = time.monotonic()
                event = json.loads(line)
                obj = event.get("object", {})
                name = obj.get("metadata", {}).get("name")
                if event.get("type") in ("ADDED", "MODIFIED") and name not in self.seen and self.accept(obj):
                    self.seen[name] = now
        except Exception as e:  # noqa: BLE001 - closing the socket in stop() ends the read with any of several errors
            if not self.stopped:
                print(f"watch ended: {e!r}", file=sys.stderr)

    def wait(self, name, timeout=60):
        end = time.monotonic() + timeout
        while name not in self.seen:
            if time.monotonic() > end:
                sys.exit(f"timed out waiting for {name}")
            time.sleep(0.002)
        return self.seen[name]

    def stop(self):
        self.stopped = True
        self.conn.sock and self.conn.sock.shutdown(2)
        self.conn.close()


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def api_writes(kubectl):
    """Mutating requests the API server has served, from its own metrics."""
    total = 0.0
    for line in sh(*kubectl, "get", "--raw", "/metrics").splitlines():
        if line.startswith("apiserver_request_total{") and any(
                f'verb="{v}"' in line for v in ("POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION")):
            total += float(line.rsplit(" ", 1)[1])
    return total


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


def seconds(duration):
    """A humantime duration as the operator's --resync takes it (`20s`, `1m`, `1m30s`, `500ms`)."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    total, number = 0.0, ""
    i = 0
    while i < len(duration):
        if duration[i].isdigit():
            number += duration[i]
            i += 1
            continue
        unit = "ms" if duration.startswith("ms", i) else duration[i]
        if not number or unit not in units:
            sys.exit(f"--resync {duration!r}: use a duration like 20s, 1m or 500ms")
        total += int(number) * units[unit]
        number, i = "", i + len(unit)
    if number:
        total += int(number)  # a bare number is seconds
    return total


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
    # A fresh cluster each time: a reused one would carry objects and etcd history from the last run.
    sh("bash", str(ROOT / "scripts/k8s-cluster.sh"), "delete", CLUSTER, check=False)
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
        else:
            sys.exit("the operator did not become ready in 30 s; see /tmp/spotify-mcp-operator-bench.log")
        results = {}

        # 1. Latency, one object at a time: first with kubectl, then over a kept connection.
        kube = Kube(kubectl)
        deployments = Watch(kube, DEPLOYMENTS, lambda obj: True)
        ready = Watch(kube, CRS, is_ready)
        time.sleep(1)
        for label, apply in (
                ("kubectl", lambda name: sh(*kubectl, "-n", NS, "apply", "-f", "-", stdin=cr(name))),
                ("api", lambda name, conn=kube.connect(): Kube.call(
                    conn, "PATCH", f"{CRS}/{name}?fieldManager=bench", cr(name), "application/apply-patch+yaml"))):
            to_deployment, to_ready, request = [], [], []
            for i in range(args.samples):
                name = f"latency-{label}-{i}"
                t0 = time.monotonic()
                apply(name)
                request.append(time.monotonic() - t0)
                to_deployment.append(deployments.wait(name) - t0)
                to_ready.append(ready.wait(name) - t0)
                time.sleep(0.05)
            results[f"{label}_apply_to_deployment_ms"] = (1000 * statistics.median(to_deployment), 1000 * pct(to_deployment, 90))
            results[f"{label}_apply_request_ms"] = (1000 * statistics.median(request), 1000 * pct(request, 90))
            results[f"{label}_apply_to_ready_ms"] = (1000 * statistics.median(to_ready), 1000 * pct(to_ready, 90))
        deployments.stop()

        # 2. COUNT objects at once, created by 8 threads with a kept connection each, and watched.
        expected = args.count + 2 * args.samples
        pids = {"spotify-mcp-operator": op.pid}
        pid_dir = Path(kubeconfig).parent / "pids"
        for component in CONTROL_PLANE:
            pids[component] = int((pid_dir / f"{component}.pid").read_text())
        cpu0 = {k: cpu_seconds(pid) for k, pid in pids.items()}
        writes0, op_writes0 = api_writes(kubectl), metric("spotify_mcp_operator_api_writes_total")

        def create(names):
            conn = kube.connect()
            for name in names:
                Kube.call(conn, "POST", CRS, cr(name))
            conn.close()

        names = [f"bulk-{i}" for i in range(args.count)]
        threads = [threading.Thread(target=create, args=(names[j::8],)) for j in range(8)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        applied = time.monotonic() - t0
        last = max(ready.wait(name, timeout=900) for name in names)
        results["bulk_converge_s"] = last - t0
        results["bulk_apply_s"] = applied
        ready.stop()
        time.sleep(2)
        results["bulk_cpu_s"] = {k: round(cpu_seconds(pid) - cpu0[k], 1) for k, pid in pids.items()}
        results["bulk_api_writes"] = api_writes(kubectl) - writes0
        results["bulk_operator_writes"] = metric("spotify_mcp_operator_api_writes_total") - op_writes0
        pods = sh(*kubectl, "-n", NS, "get", "pods", "--no-headers", "--field-selector=status.phase=Running")
        results["running_pods"] = len(pods.splitlines())
        results["rss_after_converge_mib"] = rss_mib(op.pid)

        # 3. Full resyncs with nothing changed.
        time.sleep(10)  # let status writes of the last rollouts settle
        writes0, rec0 = metric("spotify_mcp_operator_api_writes_total"), metric("spotify_mcp_operator_reconciliations_total")
        resync_s = seconds(args.resync)
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
        for label, what in (("kubectl", "`kubectl apply` (a process per sample)"),
                            ("api", "server-side apply over a kept connection")):
            d, r, q = (results[f"{label}_apply_{x}"] for x in ("to_deployment_ms", "to_ready_ms", "request_ms"))
            print(f"| {what} -> Deployment exists | p50 {d[0]:.0f} ms, p90 {d[1]:.0f} ms | p50 < 200 ms |")
            print(f"| {what} -> Ready | p50 {r[0]:.0f} ms, p90 {r[1]:.0f} ms | - |")
            print(f"| … the apply request itself | p50 {q[0]:.0f} ms, p90 {q[1]:.0f} ms | - |")
        print(f"| {args.count} SpotifyMcps created at once -> all Ready | {results['bulk_converge_s']:.1f} s (creating them took {applied:.1f} s) | < 60 s |")
        cpu = results["bulk_cpu_s"]
        print(f"| CPU seconds during that | {', '.join(f'{k} {v}' for k, v in cpu.items())} | - |")
        print(f"| write requests served during that | {results['bulk_api_writes']:.0f}, of which the operator's {results['bulk_operator_writes']:.0f} | - |")
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
