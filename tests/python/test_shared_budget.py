"""One Spotify rate budget for all replicas (issue 11): three server processes share a real
redis-server; when Spotify's rolling window answers one replica 429 with Retry-After, no replica
sends another request before that moment (each would otherwise collect its own 429)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import anyio
import pytest

from harness import mcp_http

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
import tooling  # noqa: E402

pytestmark = pytest.mark.anyio

WINDOW_LIMIT = 5
WINDOW_SECS = 3


@pytest.fixture
def replicas(launcher, tmp_path):
    redis = tooling.RedisServer(tmp_path / "redis")
    sandbox = launcher.sandbox(name="budget-sandbox")
    servers = [
        launcher.http_server_on(sandbox, "--cache", redis.url, name=f"budget-replica-{i}") for i in range(3)
    ]
    yield sandbox, servers, redis
    for server in servers:
        server.stop()
    sandbox.stop()
    redis.stop()


async def search(server, query: str) -> float:
    """Runs one uncached search on `server`; returns how long it took."""
    start = time.monotonic()
    async with mcp_http(server.mcp_url) as client:
        result = await client.call_tool("search", {"query": query, "types": ["track"], "limit": 1})
        assert not result.is_error, result
    return time.monotonic() - start


def limited(sandbox) -> list[dict]:
    return [r for r in sandbox.requests() if r["status"] == 429]


async def test_a_429_on_one_replica_holds_them_all(replicas):
    sandbox, (a, b, c), redis = replicas
    # Tokens first, outside the window.
    for i, server in enumerate((a, b, c)):
        await search(server, f"warm {i}")
    sandbox.set_faults(window_limit=WINDOW_LIMIT, window_secs=WINDOW_SECS)

    # Replica A spends the window; its next request gets 429 and waits out Retry-After.
    async with anyio.create_task_group() as tasks:
        for i in range(WINDOW_LIMIT):
            await search(a, f"spend {i}")
        tasks.start_soon(search, a, "one too many")
        with anyio.fail_after(10):
            while not limited(sandbox):
                await asyncio.sleep(0.02)
        held = redis.command("GET", "spotify-mcp:v1:hold:sandbox-client-id")
        assert held.startswith(b"$") and not held.startswith(b"$-1"), f"no hold in Redis: {held!r}"

        # B and C start while the hold runs: they wait for it instead of asking Spotify.
        durations: list[float] = []

        async def timed(server, query):
            durations.append(await search(server, query))

        async with anyio.create_task_group() as others:
            others.start_soon(timed, b, "replica b")
            others.start_soon(timed, c, "replica c")
    assert len(limited(sandbox)) == 1, (
        f"{len(limited(sandbox))} requests got 429: replicas sent into the exhausted window "
        f"instead of holding until Retry-After"
    )
    assert all(d > 1.0 for d in durations), f"B and C did not wait for the hold: {durations}"
