"""Helpers of the monitoring tests (issue 3): the provisioned tools, Prometheus and redis-server
processes on free loopback ports, and reading PromQL out of infra/README.md and the dashboard.

Imported by tests/python/test_monitoring*.py (which put this directory on sys.path).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA = REPO_ROOT / "infra"
PROMETHEUS_YML = INFRA / "prometheus" / "prometheus.yml"
ALERTS_YML = INFRA / "prometheus" / "alerts.yml"
ALERTS_TEST_YML = INFRA / "prometheus" / "tests" / "alerts_test.yml"
DASHBOARD_JSON = INFRA / "grafana" / "dashboards" / "spotify-mcp-server.json"
DATASOURCE_YML = INFRA / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
PROVIDER_YML = INFRA / "grafana" / "provisioning" / "dashboards" / "dashboard.yml"
README_MD = INFRA / "README.md"
VALIDATOR = Path(__file__).resolve().parent / "validate_dashboard.cjs"
JOB = "spotify-mcp-server"

TOOL_VARS = (
    "SPOTIFY_MCP_PROMETHEUS",
    "SPOTIFY_MCP_PROMTOOL",
    "SPOTIFY_MCP_REDIS_SERVER",
    "SPOTIFY_MCP_HAPROXY",
    "SPOTIFY_MCP_DOCKER_COMPOSE",
    "SPOTIFY_MCP_GRAFANA_NODE_MODULES",
)


def script_exports(script: str) -> dict[str, str]:
    """Runs scripts/<script> and returns the variables its `export NAME=value` lines set."""
    out = subprocess.run(
        [str(REPO_ROOT / "scripts" / script)], check=True, capture_output=True, text=True
    ).stdout
    found = {}
    for line in out.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            found[key] = shlex.split(value)[0] if value else ""
    return found


@functools.cache
def tools() -> dict[str, str]:
    """The tool paths exported by scripts/infra-tools.sh (run here if the environment lacks them)."""
    if all(os.environ.get(v) for v in TOOL_VARS):
        return {v: os.environ[v] for v in os.environ if v.startswith("SPOTIFY_MCP_")}
    found = script_exports("infra-tools.sh")
    missing = [v for v in TOOL_VARS if not found.get(v)]
    if missing:
        raise RuntimeError(f"scripts/infra-tools.sh did not provide {missing}")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - report the last failure on timeout
            last = e
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what} (last error: {last!r})")


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# ---- PromQL sources ------------------------------------------------------------------------------

def readme_queries() -> list[str]:
    """Every ```promql block of infra/README.md, whitespace-normalised."""
    text = README_MD.read_text()
    blocks = re.findall(r"```promql\n(.*?)```", text, flags=re.S)
    return [" ".join(b.split()) for b in blocks]


def dashboard_queries(rate_interval: str = "1m", range_: str = "10m") -> list[tuple[str, str, str]]:
    """(panel title, refId, expr) of every panel target, with Grafana's variables replaced the way
    Grafana would: $__rate_interval and $__range by durations, the instance variable by "All"."""
    dash = json.loads(DASHBOARD_JSON.read_text())
    out = []
    for panel in dash["panels"]:
        for t in panel.get("targets", []):
            expr = (
                t["expr"]
                .replace("$__rate_interval", rate_interval)
                .replace("$__range", range_)
                .replace('instance=~"$instance"', 'instance=~".*"')
            )
            if "$" in expr:
                raise AssertionError(f"unhandled Grafana variable in {panel['title']}: {expr}")
            out.append((panel["title"], t["refId"], expr))
    return out


# ---- processes -----------------------------------------------------------------------------------

class Process:
    def __init__(self, args: list[str], log: Path, env: dict | None = None, cwd: Path | None = None):
        self.log_path = log
        self._log = open(log, "wb")
        self.proc = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=cwd
        )

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-8000:]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class Prometheus(Process):
    """A real Prometheus started with the project's prometheus.yml; only the server's target is
    rewritten to the given loopback address (and Prometheus's own target to its port)."""

    def __init__(self, workdir: Path, server_target: str, scrape_interval: str | None = None):
        import yaml

        self.port = free_port()
        cfg = yaml.safe_load(PROMETHEUS_YML.read_text())
        for sc in cfg["scrape_configs"]:
            if sc["job_name"] == JOB:
                sc["static_configs"] = [{"targets": [server_target]}]
                if scrape_interval:
                    sc["scrape_interval"] = scrape_interval
            elif sc["job_name"] == "prometheus":
                sc["static_configs"] = [{"targets": [f"127.0.0.1:{self.port}"]}]
        if scrape_interval:
            cfg["global"]["scrape_interval"] = scrape_interval
            cfg["global"]["evaluation_interval"] = scrape_interval
            cfg["global"]["scrape_timeout"] = scrape_interval
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "alerts.yml").write_text(ALERTS_YML.read_text())
        config = workdir / "prometheus.yml"
        config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        self.config = config
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            [
                tools()["SPOTIFY_MCP_PROMETHEUS"],
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--web.enable-lifecycle",
                "--log.level=warn",
            ],
            workdir / "prometheus.log",
        )
        wait_for(lambda: http_get(f"{self.url}/-/ready")[0] == 200, 60, "Prometheus ready")

    def query(self, expr: str) -> dict:
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        status, body = http_get(url, timeout=10)
        data = json.loads(body)
        if status != 200 or data.get("status") != "success":
            raise AssertionError(f"query failed ({status}): {expr}\n{body}")
        return data["data"]

    def values(self, expr: str) -> list[tuple[dict, float]]:
        """The instant vector (or scalar) of a query as (labels, value) pairs."""
        data = self.query(expr)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        if data["resultType"] != "vector":
            raise AssertionError(f"unexpected result type {data['resultType']} for {expr}")
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def targets_up(self) -> bool:
        return any(v == 1.0 for _, v in self.values(f'up{{job="{JOB}"}}'))


class HAProxy(Process):
    """A real HAProxy (Debian's) balancing HTTP round-robin over `backends` (loopback ports),
    taking a backend out as soon as its /readyz fails and retrying a request whose backend
    connection failed or answered nothing on another one."""

    def __init__(self, workdir: Path, backends: list[int], port: int | None = None):
        self.port = port or free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        servers = "\n".join(
            f"    server replica{i} 127.0.0.1:{port} check inter 200ms fall 1 rise 2"
            for i, port in enumerate(backends)
        )
        config = workdir / "haproxy.cfg"
        config.write_text(
            f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    retries 3
    option redispatch 1
    option http-buffer-request
    retry-on conn-failure empty-response response-timeout
frontend mcp
    bind 127.0.0.1:{self.port}
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /readyz
{servers}
"""
        )
        super().__init__(
            [tools()["SPOTIFY_MCP_HAPROXY"], "-f", str(config), "-db"],
            workdir / f"haproxy-{self.port}.log",
        )
        wait_for(self.listening, 20, "haproxy to listen")
        self.url = f"http://127.0.0.1:{self.port}/mcp"

    def listening(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True


class RedisServer(Process):
    def __init__(self, workdir: Path, port: int | None = None):
        self.port = port or free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(
            [
                tools()["SPOTIFY_MCP_REDIS_SERVER"],
                "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(workdir),
            ],
            workdir / f"redis-{self.port}.log",
        )
        self.url = f"redis://127.0.0.1:{self.port}"
        wait_for(self.ping, 20, "redis-server to answer PING")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def command(self, *args: str) -> bytes:
        payload = f"*{len(args)}\r\n".encode() + b"".join(
            f"${len(a.encode())}\r\n{a}\r\n".encode() for a in args
        )
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(payload)
            return s.recv(65536)
