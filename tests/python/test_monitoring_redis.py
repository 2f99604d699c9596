"""Redis-backed cache shared by two server processes (issue 3), against a real redis-server
started here: a call on one server is a cache hit on the other; with Redis down tool calls
still work (served by Spotify, errors counted); when Redis returns the cache is used again."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from harness import mcp_http, parse_exposition

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
import tooling  # noqa: E402

pytestmark = pytest.mark.anyio


def metrics(server) -> dict[str, float]:
    return parse_exposition(httpx.get(f"{server.base_url}/metrics", timeout=5).text)


def cache_ops(server, op: str, result: str) -> float:
    return metrics(server).get(f'spotify_mcp_cache_operations_total{{operation="{op}",result="{result}"}}', 0.0)


def api_calls(server, endpoint: str) -> float:
    return sum(
        v for k, v in metrics(server).items()
        if k.startswith("spotify_mcp_spotify_api_requests_total{") and f'endpoint="{endpoint}"' in k
    )


async def call(server, tool: str, args: dict) -> None:
    async with mcp_http(server.mcp_url) as client:
        result = await client.call_tool(tool, args)
        assert not result.is_error, result


@pytest.fixture
def redis(tmp_path):
    server = tooling.RedisServer(tmp_path / "redis")
    yield server
    server.stop()


@pytest.fixture
def pair(launcher, redis):
    sandbox = launcher.sandbox(name="redis-sandbox")
    one = launcher.http_server_on(sandbox, "--cache", redis.url, name="replica-1")
    two = launcher.http_server_on(sandbox, "--cache", redis.url, name="replica-2")
    yield one, two
    one.stop()
    two.stop()
    sandbox.stop()


async def test_a_call_on_one_replica_is_a_hit_on_the_other(pair, redis):
    one, two = pair
    await call(one, "get_profile", {})
    assert api_calls(one, "/me") == 1
    assert cache_ops(one, "get", "miss") == 1 and cache_ops(one, "set", "ok") == 1
    await call(two, "get_profile", {})
    assert cache_ops(two, "get", "hit") == 1, "replica 2 found replica 1's answer in Redis"
    assert api_calls(two, "/me") == 0, "replica 2 did not ask Spotify"
    keys = redis.command("KEYS", "spotify-mcp:v1:*").decode(errors="replace")
    assert "/me" in keys, keys
    assert "sandbox-refresh-token" not in keys, "no secret in cache keys"


async def test_tool_calls_survive_a_redis_outage_and_the_cache_recovers(pair, redis, tmp_path):
    one, two = pair
    await call(one, "search", {"query": "love", "types": ["track"], "limit": 5})
    port = redis.port
    redis.stop()
    # down: answered by Spotify, the failed cache operations are counted
    await call(two, "search", {"query": "love", "types": ["track"], "limit": 5})
    await call(two, "get_profile", {})
    assert cache_ops(two, "get", "error") >= 2
    assert api_calls(two, "/search") >= 1
    # back (same port, empty): the next calls fill and use the cache again
    revived = tooling.RedisServer(tmp_path / "redis-again", port=port)
    try:
        await call(one, "get_profile", {})
        hits_before = cache_ops(two, "get", "hit")
        await call(two, "get_profile", {})
        assert cache_ops(two, "get", "hit") == hits_before + 1, "cache used again after Redis returned"
    finally:
        revived.stop()
