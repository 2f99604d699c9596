"""Static checks of the monitoring stack (issue 3) with the real tools: promtool, docker-compose
v2, and the Grafana dashboard schema from @grafana/schema validated by ajv. No server needed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
import tooling  # noqa: E402
from tooling import REPO_ROOT, tools  # noqa: E402

FAMILIES_RS = REPO_ROOT / "server" / "src" / "metrics" / "families.rs"


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, cwd=REPO_ROOT, **kw)


def declared_metric_names() -> set[str]:
    """The metric names the server declares (server/src/metrics/families.rs)."""
    names = set(re.findall(r'const [A-Z_]+: &str =\s*"(spotify_mcp_[a-z_]+)"', FAMILIES_RS.read_text()))
    assert len(names) >= 13, names
    return names


def referenced_metric_names(text: str) -> set[str]:
    found = set(re.findall(r"\b(spotify_mcp_[a-z_]+)", text))
    return {re.sub(r"_(bucket|sum|count)$", "", n) for n in found}


# ---- promtool ------------------------------------------------------------------------------------

def test_promtool_check_config():
    r = run([tools()["SPOTIFY_MCP_PROMTOOL"], "check", "config", str(tooling.PROMETHEUS_YML)])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 9 rules found" in r.stdout + r.stderr


def test_promtool_check_rules():
    r = run([tools()["SPOTIFY_MCP_PROMTOOL"], "check", "rules", str(tooling.ALERTS_YML)])
    assert r.returncode == 0, r.stdout + r.stderr


def test_promtool_test_rules():
    r = run([tools()["SPOTIFY_MCP_PROMTOOL"], "test", "rules", str(tooling.ALERTS_TEST_YML)])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


def test_every_alert_has_a_firing_and_a_quiet_unit_test():
    alerts = {
        rule["alert"]
        for group in yaml.safe_load(tooling.ALERTS_YML.read_text())["groups"]
        for rule in group["rules"]
    }
    assert alerts == {
        "SpotifyMcpServerDown",
        "SpotifyMcpHighErrorRatio",
        "SpotifyMcpHighLatencyP95",
        "SpotifyApiRateLimited",
        "SpotifyMcpLowCacheHitRatio",
        "SpotifyTokenRefreshFailures",
        "SpotifyTokenRefreshFailing",
        "SpotifyCredentialsExpiring",
        "SpotifyCredentialsExpiryUnknown",
    }
    fires, quiet = set(), set()
    for test in yaml.safe_load(tooling.ALERTS_TEST_YML.read_text())["tests"]:
        for case in test.get("alert_rule_test", []):
            (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
    assert fires == alerts, f"alerts without a firing test: {alerts - fires}"
    assert quiet == alerts, f"alerts without a not-firing test: {alerts - quiet}"


def test_alerts_and_scrape_config_agree_on_job_and_metric_names():
    cfg = yaml.safe_load(tooling.PROMETHEUS_YML.read_text())
    jobs = {sc["job_name"]: sc for sc in cfg["scrape_configs"]}
    assert set(jobs) == {tooling.JOB, "prometheus"}
    server = jobs[tooling.JOB]
    assert server["metrics_path"] == "/metrics"
    assert server.get("scrape_interval", cfg["global"]["scrape_interval"]) == "10s"
    assert server["static_configs"][0]["targets"] == ["spotify-mcp-server:8000"]
    assert cfg["rule_files"] == ["alerts.yml"]
    declared = declared_metric_names()
    for group in yaml.safe_load(tooling.ALERTS_YML.read_text())["groups"]:
        for rule in group["rules"]:
            expr = rule["expr"]
            assert f'job="{tooling.JOB}"' in expr, rule["alert"]
            unknown = referenced_metric_names(expr) - declared
            assert not unknown, f"{rule['alert']} uses undeclared metrics {unknown}"


def test_readme_and_dashboard_use_only_declared_metrics():
    declared = declared_metric_names()
    readme = referenced_metric_names("\n".join(tooling.readme_queries()))
    dash = referenced_metric_names("\n".join(e for _, _, e in tooling.dashboard_queries()))
    assert not readme - declared, readme - declared
    assert not dash - declared, dash - declared
    # the dashboard shows what the issue lists
    for name in [
        "spotify_mcp_tool_calls_total",
        "spotify_mcp_tool_call_duration_seconds",
        "spotify_mcp_cache_hit_rate",
        "spotify_mcp_cache_operations_total",
        "spotify_mcp_active_requests",
        "spotify_mcp_spotify_api_requests_total",
        "spotify_mcp_spotify_rate_limited_total",
    ]:
        assert name in dash, f"dashboard has no panel on {name}"
    exprs = [e for _, _, e in tooling.dashboard_queries()]
    for q in ("0.5", "0.95", "0.99"):
        assert any(e.startswith(f"histogram_quantile({q},") for e in exprs), f"no p{q} panel"
    assert any(e.startswith("topk(") and "by (tool)" in e for e in exprs), "no top tools panel"


# ---- docker compose ------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", [[], ["--profile", "monitoring"]], ids=["default", "monitoring"])
def test_compose_config_is_valid(profile):
    r = run([tools()["SPOTIFY_MCP_DOCKER_COMPOSE"], *profile, "config", "-q"])
    assert r.returncode == 0, r.stdout + r.stderr


def compose_json(*profile: str) -> dict:
    r = run([tools()["SPOTIFY_MCP_DOCKER_COMPOSE"], *profile, "config", "--format", "json"])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_compose_default_profile_is_server_and_redis():
    services = compose_json()["services"]
    assert set(services) == {"spotify-mcp-server", "redis"}
    server = services["spotify-mcp-server"]
    assert server["build"]["dockerfile"] == "Dockerfile"
    assert Path(server["build"]["context"]).resolve() == REPO_ROOT
    assert [(p["target"], p["published"]) for p in server["ports"]] == [(8000, "8000")]
    assert server["environment"]["SPOTIFY_MCP_CACHE"].startswith("redis://redis:6379")
    assert server["environment"]["SPOTIFY_MCP_BIND"] == "0.0.0.0"


def test_compose_monitoring_mounts_what_prometheus_and_grafana_read():
    services = compose_json("--profile", "monitoring")["services"]
    assert {"prometheus", "grafana"} <= set(services)
    prom = services["prometheus"]
    assert [p["published"] for p in prom["ports"]] == ["9090"]
    mounts = {Path(v["source"]).resolve(): v["target"] for v in prom["volumes"] if v["type"] == "bind"}
    assert mounts[(REPO_ROOT / "infra" / "prometheus").resolve()] == "/etc/prometheus"
    assert "--config.file=/etc/prometheus/prometheus.yml" in prom["command"]

    graf = services["grafana"]
    assert [p["published"] for p in graf["ports"]] == ["3000"]
    mounts = {Path(v["source"]).resolve(): v["target"] for v in graf["volumes"] if v["type"] == "bind"}
    provisioning = mounts[(REPO_ROOT / "infra" / "grafana" / "provisioning").resolve()]
    assert provisioning == "/etc/grafana/provisioning"
    dashboards_at = mounts[(REPO_ROOT / "infra" / "grafana" / "dashboards").resolve()]
    provider = yaml.safe_load(tooling.PROVIDER_YML.read_text())["providers"][0]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == dashboards_at, "the provider must read the mounted dir"
    assert tooling.DASHBOARD_JSON.parent == REPO_ROOT / "infra" / "grafana" / "dashboards"
    datasource = yaml.safe_load(tooling.DATASOURCE_YML.read_text())["datasources"][0]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090", "compose service name and port"


# ---- Grafana dashboard ---------------------------------------------------------------------------

def test_dashboard_validates_against_grafana_schema():
    uid = yaml.safe_load(tooling.DATASOURCE_YML.read_text())["datasources"][0]["uid"]
    r = run(
        [
            "node",
            str(tooling.VALIDATOR),
            tools()["SPOTIFY_MCP_GRAFANA_NODE_MODULES"],
            str(tooling.DASHBOARD_JSON),
            uid,
        ],
        timeout=180,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("valid:"), r.stdout


def test_dashboard_validator_rejects_a_broken_dashboard(tmp_path):
    dash = json.loads(tooling.DASHBOARD_JSON.read_text())
    dash["panels"][0]["options"]["colorMode"] = "rainbow"
    dash["panels"][-1]["gridPos"].pop("w")
    dash["refreshEvery"] = "1s"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(dash))
    r = run(
        ["node", str(tooling.VALIDATOR), tools()["SPOTIFY_MCP_GRAFANA_NODE_MODULES"], str(broken), "prometheus"],
        timeout=180,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "colorMode" in r.stdout and "refreshEvery" in r.stdout and "'w'" in r.stdout, r.stdout
