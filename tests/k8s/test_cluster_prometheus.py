"""A real prometheus-operator and its Prometheus scrape the operator-managed servers on the REAL
node, evaluate the shipped alert rules, and one provoked fault fires an alert.

prometheus-operator, its config reloader and Prometheus (Debian's 2.53 binary) are built here by
scripts/prometheus-operator-toolchain.sh (no registry) and imported into the node's containerd.
The Prometheus object selects ServiceMonitors and PrometheusRules by `release: kube-prometheus-stack`,
the label examples/spotifymcp.yaml and the charts document. Tool calls go to each server pod with
the official MCP client through `kubectl port-forward`; Prometheus is asked through its HTTP API
(also through a port-forward). Nothing is faked: if the operator's ServiceMonitor, Prometheus's
service discovery or the rules do not work, these tests fail."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import string
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kube import REPO_ROOT, Cluster, Images, eventually, mcp_http

pytestmark = pytest.mark.anyio

MANIFESTS = Path(__file__).resolve().parent / "manifests" / "prometheus"
MONITORING_NS = "monitoring"
OPERATOR_NS = "spotify-mcp-monitored-system"
APPS_NS = "tunes"
RELEASE = "mon"
SELECTOR_LABELS = {"release": "kube-prometheus-stack"}
# The job the shipped alert rules and the dashboard select (infra/prometheus/alerts.yml).
JOB = "spotify-mcp-server"
SERVER = "spotify-mcp-sandbox"   # examples/sandbox.yaml
REPLICAS = 2

GOOD = [
    ("get_profile", {}),
    ("search", {"query": "love", "types": ["track"], "limit": 3}),
    ("get_my_playlists", {}),
]
BAD = [("get_item", {"id": "spotify:track:0000000000000000000000"})]  # not in the sandbox catalog


# ---- provisioning ----------------------------------------------------------------------------
def toolchain() -> dict[str, str]:
    """What scripts/prometheus-operator-toolchain.sh exports: from the environment when
    tests/k8s/run.sh already ran it, else by running it (idempotent, cached)."""
    if os.environ.get("SPOTIFY_MCP_PROMETHEUS_OPERATOR_ARCHIVE"):
        return {k: v for k, v in os.environ.items() if k.startswith("SPOTIFY_MCP_PROMETHEUS")}
    r = subprocess.run([str(REPO_ROOT / "scripts" / "prometheus-operator-toolchain.sh")],
                       capture_output=True, text=True, timeout=3600)
    assert r.returncode == 0, f"prometheus-operator-toolchain.sh failed:\n{r.stderr[-4000:]}"
    out = {}
    for line in r.stdout.splitlines():
        if line.startswith("export "):
            k, _, v = line[len("export "):].partition("=")
            out[k] = v
    return out


def render(name: str, **values: str) -> str:
    return string.Template((MANIFESTS / name).read_text()).substitute(values)


def crd_name(path: Path) -> str:
    """monitoring.coreos.com_servicemonitors.yaml -> servicemonitors.monitoring.coreos.com (the
    upstream file naming; PyYAML cannot load these CRDs: a `=` enum value trips its constructor)."""
    group, plural = path.stem.split("_", 1)
    return f"{plural}.{group}"


@dataclass
class Prom:
    """The Prometheus of the test, reached through a port-forward kept open for the module."""

    cluster: Cluster
    port: int

    def api(self, path: str, **params: str) -> Any:
        r = httpx.get(f"http://127.0.0.1:{self.port}/api/v1/{path}", params=params, timeout=15)
        assert r.status_code == 200, f"{path} {params}: {r.status_code} {r.text[:500]}"
        body = r.json()
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.api("query", query=expr)
        assert data["resultType"] == "vector", data
        return data["result"]

    def targets(self, namespace: str) -> list[dict[str, Any]]:
        return [t for t in self.api("targets", state="active")["activeTargets"]
                if t["labels"].get("namespace") == namespace]


@pytest.fixture(scope="module")
def prometheus(cluster: Cluster) -> Prom:
    """prometheus-operator (CRDs, RBAC, Deployment) and one Prometheus, in a restricted namespace."""
    env = toolchain()
    cluster.import_images(env["SPOTIFY_MCP_PROMETHEUS_OPERATOR_ARCHIVE"],
                          env["SPOTIFY_MCP_PROMETHEUS_CONFIG_RELOADER_ARCHIVE"],
                          env["SPOTIFY_MCP_PROMETHEUS_ARCHIVE"])
    crds = sorted(Path(env["SPOTIFY_MCP_PROMETHEUS_OPERATOR_CRDS"]).glob("*.yaml"))
    assert len(crds) >= 10, crds
    # Server-side: the Prometheus CRD is larger than the last-applied annotation allows.
    for crd in crds:
        cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(crd))
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                    *[f"crd/{crd_name(c)}" for c in crds])

    cluster.restricted_namespace(MONITORING_NS)
    cluster.apply(render("operator.yaml", NAMESPACE=MONITORING_NS,
                         OPERATOR_IMAGE=env["SPOTIFY_MCP_PROMETHEUS_OPERATOR_IMAGE"],
                         RELOADER_IMAGE=env["SPOTIFY_MCP_PROMETHEUS_CONFIG_RELOADER_IMAGE"]))
    cluster.kubectl("-n", MONITORING_NS, "rollout", "status", "deployment/prometheus-operator", "--timeout=180s",
                    timeout=200)
    t0 = time.monotonic()
    cluster.apply(render("prometheus.yaml", NAMESPACE=MONITORING_NS,
                         PROMETHEUS_IMAGE=env["SPOTIFY_MCP_PROMETHEUS_IMAGE"],
                         PROMETHEUS_VERSION=env["SPOTIFY_MCP_PROMETHEUS_VERSION"]))
    cluster.wait_condition(MONITORING_NS, "prometheus", "k8s", "Available", timeout=300)
    print(f"Prometheus Available {time.monotonic() - t0:.1f} s after apply")
    try:
        with cluster.port_forward(MONITORING_NS, "svc/prometheus-operated", 9090) as port:
            prom = Prom(cluster, port)
            eventually(lambda: httpx.get(f"http://127.0.0.1:{port}/-/ready", timeout=5).status_code == 200,
                       timeout=60, what="Prometheus /-/ready")
            yield prom
    finally:
        for path in (Path(cluster.artifacts) / "prometheus-operator.log", Path(cluster.artifacts) / "prometheus.log"):
            what = ("deployment/prometheus-operator" if "operator" in path.name
                    else "statefulset/prometheus-k8s")
            path.write_text(cluster.kubectl("-n", MONITORING_NS, "logs", what, "--all-containers",
                                            check=False).stdout)
        cluster.kubectl("-n", MONITORING_NS, "delete", "prometheus", "--all", "--wait=true", check=False, timeout=180)
        cluster.kubectl("delete", "namespace", MONITORING_NS, "--wait=true", check=False, timeout=180)
        cluster.kubectl("delete", "clusterrole,clusterrolebinding", "spotify-mcp-test-prometheus-operator",
                        "spotify-mcp-test-prometheus", check=False)
        for crd in crds:
            cluster.kubectl("delete", "-f", str(crd), "--ignore-not-found", "--wait=true", check=False, timeout=120)


@pytest.fixture(scope="module")
def operator(cluster: Cluster, images: Images, prometheus: Prom) -> str:
    """The spotify-mcp operator chart, installed after the monitoring CRDs exist. Its own
    PrometheusRule stays off: the example's SpotifyMcp carries per-server rules
    (spec.metrics.prometheusRule), and the chart says to use one of the two."""
    cluster.restricted_namespace(OPERATOR_NS)
    cluster.restricted_namespace(APPS_NS)
    repo, tag = images.operator.rsplit(":", 1)
    cluster.helm("install", RELEASE, str(REPO_ROOT / "charts" / "spotify-mcp-operator"), "-n", OPERATOR_NS,
                 "--wait", "--timeout", "180s",
                 "--set", f"image.repository={repo}", "--set", f"image.tag={tag}", "--set", "image.pullPolicy=Never",
                 "--set", f"operator.defaultServerImage={images.server}", "--set", f"tests.image={images.server}")
    yield RELEASE
    cluster.kubectl("-n", APPS_NS, "delete", "smcp,prometheusrule", "--all", "--wait=true", check=False, timeout=180)
    cluster.helm("uninstall", RELEASE, "-n", OPERATOR_NS, "--wait", check=False)
    cluster.kubectl("delete", "namespace", APPS_NS, OPERATOR_NS, "--wait=true", check=False, timeout=180)


def monitored_server() -> dict[str, Any]:
    """examples/sandbox.yaml with the metrics of examples/spotifymcp.yaml (ServiceMonitor and
    PrometheusRule, labelled for kube-prometheus-stack); 2 replicas and a 5 s scrape interval (the example's 30 s would only make the test wait)."""
    obj = yaml.safe_load((REPO_ROOT / "examples" / "sandbox.yaml").read_text())
    example = next(d for d in yaml.safe_load_all((REPO_ROOT / "examples" / "spotifymcp.yaml").read_text())
                   if d and d["kind"] == "SpotifyMcp")
    metrics = copy.deepcopy(example["spec"]["metrics"])
    assert metrics["serviceMonitor"]["labels"] == SELECTOR_LABELS, metrics
    assert metrics["prometheusRule"] == {"enabled": True, "labels": SELECTOR_LABELS}, metrics
    metrics["serviceMonitor"].update(interval="5s", scrapeTimeout="4s")
    obj["spec"].update(replicas=REPLICAS, metrics=metrics)
    return obj


@pytest.fixture(scope="module")
def server(cluster: Cluster, operator: str) -> list[str]:
    """The monitored SpotifyMcp, Ready; returns its Ready pods' names."""
    cluster.apply(json.dumps(monitored_server()), APPS_NS)
    cluster.wait_condition(APPS_NS, "smcp", SERVER, "Ready", timeout=180)
    cluster.wait_condition(APPS_NS, "smcp", SERVER, "ServiceMonitorReady", timeout=60)
    cluster.wait_condition(APPS_NS, "smcp", SERVER, "PrometheusRuleReady", timeout=60)
    def all_ready():
        pods = [p["metadata"]["name"] for p in cluster.ready_pods(APPS_NS, f"app.kubernetes.io/instance={SERVER}")]
        return sorted(pods) if len(pods) == REPLICAS else None
    return eventually(all_ready, timeout=120, what=f"{REPLICAS} Ready server pods")


async def call_tools(cluster: Cluster, pod: str, calls: list[tuple[str, dict[str, Any]]]) -> tuple[int, int]:
    """Tool calls on one pod (port-forward to the pod itself); returns (succeeded, failed)."""
    ok = failed = 0
    with cluster.port_forward(APPS_NS, f"pod/{pod}", 8000) as port:
        async with mcp_http(f"http://127.0.0.1:{port}/mcp") as client:
            for name, args in calls:
                result = await client.call_tool(name, args)
                if result.is_error:
                    failed += 1
                else:
                    ok += 1
    return ok, failed


def series_by_pod(prom: Prom, expr: str) -> dict[str, dict[str, Any]]:
    return {r["metric"]["pod"]: r for r in prom.query(expr)}


# ---- tests -----------------------------------------------------------------------------------
def test_prometheus_and_its_operator_run_on_the_real_node(cluster: Cluster, prometheus: Prom):
    for selector in ("app.kubernetes.io/name=prometheus-operator", "app.kubernetes.io/name=prometheus"):
        pods = cluster.ready_pods(MONITORING_NS, selector)
        assert pods, f"no Ready pod for {selector}"
        for p in pods:
            assert p["spec"]["nodeName"] == "spotify-mcp-node"
            assert all(cs["ready"] for cs in p["status"]["containerStatuses"]), p["status"]
    sts = cluster.kubectl_json("-n", MONITORING_NS, "get", "statefulset", "prometheus-k8s")
    reloader = next(c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "config-reloader")
    assert "--watch-interval=10s" in reloader["args"], reloader["args"]
    info = prometheus.api("status/buildinfo")
    assert info["version"].startswith("2.53."), info
    # The config the operator generated selects by the examples' label and was loaded.
    config = prometheus.api("status/config")["yaml"]
    assert "rule_files:" in config, config[:2000]
    assert prometheus.api("status/runtimeinfo")["reloadConfigSuccess"] is True


async def test_every_server_pod_is_scraped_and_its_tool_calls_are_counted(cluster: Cluster, prometheus: Prom,
                                                                          server: list[str]):
    # The operator made the ServiceMonitor with the example's labels.
    sm = cluster.kubectl_json("-n", APPS_NS, "get", "servicemonitor", SERVER)
    assert sm["metadata"]["labels"].get("release") == "kube-prometheus-stack", sm["metadata"]

    # up == 1 for every Ready server pod, with the namespace/pod/service labels of the ServiceMonitor.
    def all_up():
        ups = series_by_pod(prometheus, f'up{{namespace="{APPS_NS}", service="{SERVER}"}}')
        return ups if sorted(ups) == server and all(r["value"][1] == "1" for r in ups.values()) else None
    ups = eventually(all_up, timeout=180, interval=2, what=f"up == 1 for pods {server}")
    for pod, r in ups.items():
        m = r["metric"]
        assert m["namespace"] == APPS_NS and m["service"] == SERVER and m["pod"] == pod, m
        assert m["job"] == JOB, f"job label {m['job']!r}: the shipped rules and dashboard select job=\"{JOB}\""
    targets = prometheus.targets(APPS_NS)
    assert sorted(t["labels"]["pod"] for t in targets) == server, targets
    assert all(t["health"] == "up" and t["scrapeUrl"].startswith("http://198.18.0.") for t in targets), targets

    # A different number of calls on each pod; Prometheus must show exactly those, per pod.
    made: dict[str, int] = {}
    for i, pod in enumerate(server):
        calls = GOOD * (i + 1)
        ok, failed = await call_tools(cluster, pod, calls)
        assert (ok, failed) == (len(calls), 0)
        made[pod] = len(calls)

    expr = f'sum by (namespace, pod, service, job) (spotify_mcp_tool_calls_total{{namespace="{APPS_NS}"}})'

    def counted():
        got = {p: int(float(r["value"][1])) for p, r in series_by_pod(prometheus, expr).items()}
        return got if got == made else None
    try:
        eventually(counted, timeout=60, interval=2, what=f"tool calls per pod == {made}")
    except AssertionError:
        print(prometheus.query(expr))
        raise
    for pod, r in series_by_pod(prometheus, expr).items():
        assert r["metric"] == {"namespace": APPS_NS, "pod": pod, "service": SERVER, "job": JOB}, r["metric"]
    # Per tool and status, too.
    by_tool = prometheus.query(
        f'sum by (tool, status) (spotify_mcp_tool_calls_total{{namespace="{APPS_NS}", service="{SERVER}"}})')
    # The server exports every tool x status series from the start (at 0), so count the non-zero ones.
    got = {(r["metric"]["tool"], r["metric"]["status"]): int(float(r["value"][1])) for r in by_tool}
    assert len(got) >= 2 * len(GOOD), got
    got = {k: v for k, v in got.items() if v}
    want = {(name, "success"): sum(made.values()) // len(GOOD) for name, _ in GOOD}
    assert got == want, got


def test_the_shipped_alert_rules_are_loaded(cluster: Cluster, prometheus: Prom, server: list[str]):
    shipped = yaml.safe_load((REPO_ROOT / "infra" / "prometheus" / "alerts.yml").read_text())
    want = {r["alert"] for g in shipped["groups"] for r in g["rules"] if "alert" in r}
    assert len(want) >= 6, want

    # The SpotifyMcp operator made a PrometheusRule named after the server, with the example's label;
    # prometheus-operator writes each PrometheusRule to a file <namespace>-<name>-<uid>.yaml.
    pr = cluster.kubectl_json("-n", APPS_NS, "get", "prometheusrule", SERVER)
    assert pr["metadata"]["labels"].get("release") == "kube-prometheus-stack", pr["metadata"]
    rule_file = f"{APPS_NS}-{SERVER}-{pr['metadata']['uid']}.yaml"

    def loaded():
        groups = prometheus.api("rules", type="alert")["groups"]
        got = {r["name"]: r for g in groups if rule_file in g["file"] for r in g["rules"]}
        return got if set(got) == want else None
    got = eventually(loaded, timeout=180, interval=3, what=f"the rules API listing {sorted(want)}")
    # The shipped `for` durations (expressions are narrowed to the server's namespace and Service).
    for g in shipped["groups"]:
        for rule in g["rules"]:
            r = got[rule["alert"]]
            assert r["health"] == "ok", r
            assert f'namespace="{APPS_NS}"' in r["query"] and f'service="{SERVER}"' in r["query"], r["query"]
            if "for" in rule:
                assert r["duration"] == parse_duration(rule["for"]), (rule, r)


def parse_duration(s: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return float(s[:-1]) * units[s[-1]]


async def test_a_provoked_fault_fires_an_alert(cluster: Cluster, prometheus: Prom, server: list[str]):
    """Failing tool calls raise the error ratio above 5 %: SpotifyMcpHighErrorRatio fires. The
    test uses a copy of the shipped rule with `for: 0s` (the shipped 5 m stays as it is: the
    original rule is seen pending on the same data)."""
    rule_obj = cluster.kubectl_json("-n", APPS_NS, "get", "prometheusrule", SERVER)
    original = next(r for g in rule_obj["spec"]["groups"] for r in g["rules"]
                    if r.get("alert") == "SpotifyMcpHighErrorRatio")
    assert original["for"] == "5m", original
    fast = {**copy.deepcopy(original), "for": "0s", "labels": {**original.get("labels", {}), "test": "for-0s"}}
    cluster.apply(json.dumps({
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": "error-ratio-for-0s", "labels": SELECTOR_LABELS},
        "spec": {"groups": [{"name": "spotify-mcp-server-for-0s", "rules": [fast]}]},
    }), APPS_NS)

    def not_firing_yet():
        return not [a for a in prometheus.api("alerts")["alerts"]
                    if a["labels"].get("alertname") == "SpotifyMcpHighErrorRatio"
                    and a["labels"].get("namespace") == APPS_NS]
    assert not_firing_yet(), prometheus.api("alerts")

    # The fault: calls for an item that does not exist fail (Spotify answers 404), on one pod.
    # Three rounds a scrape interval apart, so rate() sees the error counter grow.
    pod = server[0]
    for round_ in range(3):
        if round_:
            await asyncio.sleep(6)
        ok, failed = await call_tools(cluster, pod, GOOD + BAD * 2)
        assert (ok, failed) == (len(GOOD), 2)

    def firing():
        alerts = [a for a in prometheus.api("alerts")["alerts"]
                  if a["labels"].get("alertname") == "SpotifyMcpHighErrorRatio"
                  and a["labels"].get("test") == "for-0s" and a["state"] == "firing"]
        return alerts or None
    alerts = eventually(firing, timeout=120, interval=2, what="SpotifyMcpHighErrorRatio firing")
    labels = alerts[0]["labels"]
    assert labels["namespace"] == APPS_NS and labels["pod"] == pod and labels["service"] == SERVER, labels
    assert labels["severity"] == "warning", labels
    assert float(alerts[0]["value"]) > 0.05, alerts[0]
    # The shipped rule (for: 5m) sees the same fault and is pending, not firing.
    pending = [a for a in prometheus.api("alerts")["alerts"]
               if a["labels"].get("alertname") == "SpotifyMcpHighErrorRatio" and "test" not in a["labels"]]
    assert pending and all(a["state"] == "pending" for a in pending), pending
    # The other pod had no failures: no alert for it.
    assert all(a["labels"]["pod"] == pod for a in alerts), alerts


def dashboard_targets() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query in the shipped Grafana dashboard."""
    dashboard = json.loads((REPO_ROOT / "infra" / "grafana" / "dashboards" / "spotify-mcp-server.json").read_text())

    def panels(ps: list[dict[str, Any]]):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))
    return [(p.get("title", "?"), t["expr"]) for p in panels(dashboard["panels"]) for t in p.get("targets", [])
            if t.get("expr")]


async def test_every_dashboard_query_answers_from_the_cluster_prometheus(cluster: Cluster, prometheus: Prom,
                                                                         server: list[str]):
    """Grafana itself cannot be built here (see infra/README.md), so the shipped dashboard's queries
    are asked of the real Prometheus the way Grafana would: the `instance` variable's own query
    lists the server pods, and every panel's PromQL (Grafana's $__rate_interval and $__range
    expanded) is valid and, after tool calls, returns data, so no panel shows "No data" against
    the series a ServiceMonitor scrape produces."""
    # Runs after test_a_provoked_fault_fires_an_alert, so the error series exist too.
    for pod in server:
        await call_tools(cluster, pod, GOOD)
    # The dashboard's variable: label_values(up{job="spotify-mcp-server"}, instance).
    r = httpx.get(f"http://127.0.0.1:{prometheus.port}/api/v1/label/instance/values",
                  params={"match[]": f'up{{job="{JOB}", namespace="{APPS_NS}"}}'}, timeout=15)
    instances = r.json()["data"]
    ips = sorted(p["status"]["podIP"] for p in cluster.ready_pods(APPS_NS, f"app.kubernetes.io/instance={SERVER}"))
    assert sorted(i.rsplit(":", 1)[0] for i in instances) == ips, (instances, ips)

    # Counters that only move on a fault (429s, refresh failures) may be legitimately empty.
    may_be_empty = ("spotify_rate_limited_total", "spotify_retry_after_seconds")
    targets = dashboard_targets()
    assert len(targets) >= 15, targets
    empty: list[str] = []

    def answer(expr: str) -> list[dict[str, Any]]:
        q = (expr.replace("$instance", "|".join(instances)).replace("$__rate_interval", "30s")
             .replace("$__range", "10m"))
        assert "$" not in q, f"an unexpanded Grafana variable in {expr}"
        return prometheus.query(q)

    # Two scrapes after the calls, so that every rate() has two samples that differ.
    eventually(lambda: answer(f'sum(rate(spotify_mcp_tool_calls_total{{job="{JOB}", instance=~"$instance"}}[$__rate_interval])) > 0'),
               timeout=60, interval=2, what="a tool call rate from the scrapes after the calls")
    for title, expr in targets:
        if not answer(expr) and not any(m in expr for m in may_be_empty):
            empty.append(f"{title}: {expr}")
    assert not empty, "dashboard panels without data:\n" + "\n".join(empty)


def test_turning_the_service_monitor_off_removes_the_targets(cluster: Cluster, prometheus: Prom,
                                                             server: list[str]):
    assert sorted(t["labels"]["pod"] for t in prometheus.targets(APPS_NS)) == server
    cluster.kubectl("-n", APPS_NS, "patch", "smcp", SERVER, "--type=merge",
                    "-p", json.dumps({"spec": {"metrics": {"serviceMonitor": {"enabled": False}}}}))
    eventually(lambda: cluster.kubectl("-n", APPS_NS, "get", "servicemonitor", SERVER, check=False).returncode != 0,
               timeout=60, what="the ServiceMonitor deleted by the operator")
    t0 = time.monotonic()
    # Prometheus drops the targets once the operator's new config reached the reloader (the
    # kubelet's Secret volume sync, about 12 s here, then the reloader's 10 s poll).
    eventually(lambda: prometheus.targets(APPS_NS) == [], timeout=120, interval=3,
               what=f"no targets in {APPS_NS}")
    print(f"targets gone {time.monotonic() - t0:.1f} s after the ServiceMonitor was deleted")
    # The pods still run; only scraping stopped.
    assert len(cluster.ready_pods(APPS_NS, f"app.kubernetes.io/instance={SERVER}")) == REPLICAS
    # And back on: the targets return.
    cluster.kubectl("-n", APPS_NS, "patch", "smcp", SERVER, "--type=merge",
                    "-p", json.dumps({"spec": {"metrics": {"serviceMonitor": {"enabled": True}}}}))
    eventually(lambda: sorted(t["labels"]["pod"] for t in prometheus.targets(APPS_NS)) == server,
               timeout=120, interval=3, what="the targets back")
