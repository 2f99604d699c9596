"""End to end monitoring (issue 3): the server against the sandbox, a real Prometheus started
with the project's prometheus.yml (only the target rewritten to the server's loopback port),
traffic from the official Python MCP client including errors, cache hits and Spotify 429s;
then every PromQL query of infra/README.md and every panel query of the Grafana dashboard is
evaluated through Prometheus's HTTP API and must return plausible data. Also `promtool check
metrics` on a real scrape, and no declared-but-dead series."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from harness import mcp_http, parse_exposition

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
import tooling  # noqa: E402

pytestmark = pytest.mark.anyio

# Tool calls of the traffic: (tool, arguments, expected to fail)
GOOD = [
    ("get_profile", {}),
    ("search", {"query": "love", "types": ["track"], "limit": 5}),
    ("get_my_playlists", {}),
    ("get_saved_items", {"type": "tracks", "limit": 5}),
]
BAD = [
    ("get_item", {"id": "spotify:track:0000000000000000000000"}),  # not in the catalog
    ("get_item", {"id": "this is not an id"}),  # rejected before Spotify
]


def total(samples: dict[str, float], prefix: str, **labels: str) -> float:
    want = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(
        v for s, v in samples.items()
        if (s == prefix or s.startswith(prefix + "{")) and all(w in s for w in want)
    )


async def traffic(url: str) -> tuple[int, int]:
    """One round: every good call twice (the second is a cache hit), every bad call once."""
    ok = err = 0
    async with mcp_http(url) as client:
        for name, args in GOOD + GOOD:
            result = await client.call_tool(name, args)
            assert not result.is_error, f"{name}: {result}"
            ok += 1
        for name, args in BAD:
            try:
                result = await client.call_tool(name, args)
                assert result.is_error, f"{name} {args} should fail"
            except Exception:  # noqa: BLE001 - a protocol error is an error outcome too
                pass
            err += 1
    return ok, err


@pytest.fixture(scope="module")
def monitored(launcher, tmp_path_factory):
    sandbox = launcher.sandbox(name="monitoring-sandbox")
    server = launcher.http_server_on(sandbox, name="monitored-server")
    prom = tooling.Prometheus(tmp_path_factory.mktemp("prometheus"), f"127.0.0.1:{server.port}")
    try:
        tooling.wait_for(prom.targets_up, 60, "Prometheus to scrape the server")
        yield sandbox, server, prom
    finally:
        prom.stop()
        server.stop()
        sandbox.stop()


def scrape(server) -> str:
    r = httpx.get(f"{server.base_url}/metrics", timeout=5)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return r.text


def wait_scraped(prom: tooling.Prometheus, expr: str, value: float, timeout: float = 40):
    """Waits until Prometheus has scraped a sample where `expr` reaches `value`."""
    def reached():
        vals = prom.values(expr)
        return vals and vals[0][1] >= value
    tooling.wait_for(reached, timeout, f"{expr} >= {value} in Prometheus", interval=0.5)


@pytest.fixture(scope="module")
async def generated(monitored):
    sandbox, server, prom = monitored
    sel = f'job="{tooling.JOB}"'
    calls = 0
    # two rounds with a scrape in between, so every counter has two samples that differ
    for _round in range(2):
        ok, err = await traffic(server.mcp_url)
        calls += ok + err
        # one call that Spotify rate-limits (429 with Retry-After: 1), retried by the client,
        # while /metrics shows it in flight
        with sandbox.faults_set(rate_limit_probability=1.0, retry_after_secs=1):
            async with mcp_http(server.mcp_url) as client:
                task = asyncio.ensure_future(client.call_tool("get_playback_state", {}))
                seen_active = 0.0
                while not task.done():
                    seen_active = max(seen_active, parse_exposition(scrape(server)).get("spotify_mcp_active_requests", 0))
                    await asyncio.sleep(0.05)
                await task
        calls += 1
        assert seen_active >= 1, "spotify_mcp_active_requests never showed the call in flight"
        wait_scraped(prom, f"sum(spotify_mcp_tool_calls_total{{{sel}}})", calls)
    return calls


async def test_every_series_of_the_issue_is_live(generated, monitored):
    _, server, _ = monitored
    s = parse_exposition(scrape(server))
    assert total(s, "spotify_mcp_tool_calls_total", status="success") > 0
    assert total(s, "spotify_mcp_tool_calls_total", status="error") > 0
    assert total(s, "spotify_mcp_tool_call_duration_seconds_count") == total(s, "spotify_mcp_tool_calls_total")
    assert total(s, "spotify_mcp_cache_operations_total", operation="get", result="hit") > 0
    assert total(s, "spotify_mcp_cache_operations_total", operation="get", result="miss") > 0
    assert total(s, "spotify_mcp_cache_operations_total", operation="set", result="ok") > 0
    assert 0 < s["spotify_mcp_cache_hit_rate"] < 1
    assert s["spotify_mcp_cache_entries"] > 0 and s["spotify_mcp_cache_bytes"] > 0
    assert total(s, "spotify_mcp_spotify_api_requests_total", status="200") > 0
    assert total(s, "spotify_mcp_spotify_api_requests_total", status="429") > 0
    assert total(s, "spotify_mcp_spotify_api_request_duration_seconds_count") > 0
    assert s["spotify_mcp_spotify_rate_limited_total"] > 0
    assert s["spotify_mcp_spotify_retry_after_seconds_count"] > 0
    assert total(s, "spotify_mcp_token_refreshes_total", result="success") >= 1
    assert any(k.startswith("spotify_mcp_server_info{version=") and v == 1 for k, v in s.items())
    assert s["spotify_mcp_active_requests"] == 0
    assert s["process_resident_memory_bytes"] > 1e6 and s["process_open_fds"] > 0
    # bounded labels: endpoints are templates, tools are the known set
    for key in s:
        if key.startswith("spotify_mcp_spotify_api_requests_total{"):
            endpoint = key.split('endpoint="')[1].split('"')[0]
            assert endpoint.startswith("/") and "spotify:" not in endpoint, key
            for part in endpoint.split("/"):
                assert not (len(part) == 22 and part.isalnum()), f"raw ID in endpoint label: {key}"
    tools = {k.split('tool="')[1].split('"')[0] for k in s if k.startswith("spotify_mcp_tool_calls_total{")}
    assert {"get_profile", "search", "get_item"} <= tools, tools


async def test_promtool_check_metrics_on_a_real_scrape(generated, monitored):
    _, server, _ = monitored
    r = subprocess.run(
        [tooling.tools()["SPOTIFY_MCP_PROMTOOL"], "check", "metrics"],
        input=scrape(server), capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def plausible(prom: tooling.Prometheus, expr: str) -> list[tuple[dict, float]]:
    values = prom.values(expr)
    assert values, f"no data for: {expr}"
    finite = [(m, v) for m, v in values if math.isfinite(v)]
    assert finite, f"only NaN/Inf for: {expr} -> {values}"
    for _, v in finite:
        assert v >= 0, f"negative value for {expr}: {values}"
    # checks by what the query computes
    top = max(v for _, v in finite)
    if "histogram_quantile" in expr:
        assert 0 < top < 10, f"latency quantile out of range: {expr} -> {values}"
    if "cache_hit_rate" in expr or 'result="hit"' in expr:
        assert 0 < top <= 1, f"cache hit ratio not in (0, 1]: {expr} -> {values}"
    if 'status="error"' in expr:
        assert top > 0, f"errors were caused but the query shows none: {expr} -> {values}"
        if "/" in expr:
            assert top <= 1, f"error ratio above 1: {expr}"
    if "rate_limited" in expr or "retry_after" in expr:
        assert top > 0, f"429s were caused but the query shows none: {expr} -> {values}"
    if expr.startswith("topk("):
        k = int(expr[len("topk("):].split(",")[0])
        assert 0 < len(values) <= k and all(v > 0 for _, v in values), values
    if "process_resident_memory_bytes" in expr:
        assert top > 1e6
    if expr.startswith("up") or expr.startswith("sum(up"):
        assert top == 1
    if "tool_calls_total" in expr and "status" not in expr and "/" not in expr:
        assert top > 0, f"tool calls were made but {expr} -> {values}"
    return values


async def test_every_readme_query_returns_plausible_data(generated, monitored):
    _, _, prom = monitored
    queries = tooling.readme_queries()
    assert len(queries) >= 10, queries
    for expr in queries:
        plausible(prom, expr)


async def test_every_dashboard_panel_query_returns_plausible_data(generated, monitored):
    _, _, prom = monitored
    queries = tooling.dashboard_queries(rate_interval="1m", range_="10m")
    assert len(queries) >= 18
    for title, ref, expr in queries:
        try:
            plausible(prom, expr)
        except AssertionError as e:
            raise AssertionError(f"panel {title!r} query {ref}: {e}") from None


async def test_alert_rules_are_loaded_and_healthy(generated, monitored):
    _, _, prom = monitored
    data = prom.query("up")  # warm-up
    assert data
    status, body = tooling.http_get(f"{prom.url}/api/v1/rules")
    import json

    groups = json.loads(body)["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == 9
    for rule in rules:
        assert rule["health"] in ("ok", "unknown"), rule
        assert rule.get("lastError", "") == "", rule
    # the server is up: the target-down alert is not pending or firing
    down = next(r for r in rules if r["name"] == "SpotifyMcpServerDown")
    assert down["state"] == "inactive", down
