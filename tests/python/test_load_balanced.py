"""Three replicas behind a real round-robin load balancer (Debian's HAProxy), one real
redis-server (issue 11): many concurrent sessions of the official Python SDK, in both protocol
revisions, succeed on every call although consecutive requests of a session land on different
replicas; one replica is killed mid-run and no session is lost."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest

from harness import parse_exposition

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
import tooling  # noqa: E402

pytestmark = pytest.mark.anyio

SESSIONS = 24
ROUNDS = 10


@pytest.fixture
def cluster(launcher, tmp_path):
    redis = tooling.RedisServer(tmp_path / "redis")
    sandbox = launcher.sandbox(name="lb-sandbox", record=False)
    lb_port = tooling.free_port()
    hosts = f"127.0.0.1:{lb_port},localhost:{lb_port}"
    replicas = [
        launcher.http_server_on(
            sandbox, "--cache", redis.url, "--allowed-hosts", hosts, "--subscription-poll-ms", "300", name=f"lb-replica-{i}",
            env={"SPOTIFY_MCP_LOG": "info,spotify_mcp_server=debug"},
        )
        for i in range(3)
    ]
    balancer = tooling.HAProxy(tmp_path / "haproxy", [r.port for r in replicas], port=lb_port)
    yield balancer, replicas, redis
    balancer.stop()
    for r in replicas:
        r.stop()
    sandbox.stop()
    redis.stop()


def searches_served(replica) -> float:
    text = httpx.get(f"{replica.base_url}/metrics", timeout=5).text
    return sum(v for k, v in parse_exposition(text).items() if k.startswith("spotify_mcp_tool_calls_total{") and 'tool="search"' in k)


async def test_sessions_survive_round_robin_and_a_killed_replica(cluster):
    from mcp import Client

    balancer, replicas, _redis = cluster
    failures: list[str] = []
    killed_after: list[int] = []
    calls = 0

    async def one_session(i: int, mode: str) -> None:
        nonlocal calls
        try:
            async with Client(balancer.url, mode=mode, read_timeout_seconds=60) as client:
                for round_ in range(ROUNDS):
                    found = await client.call_tool("search", {"query": f"session {i} round {round_}", "limit": 2})
                    if found.is_error:
                        failures.append(f"{mode} session {i} round {round_}: {found.content}")
                    tools = await client.list_tools()
                    if not any(t.name == "search" for t in tools.tools):
                        failures.append(f"{mode} session {i}: tools/list without search")
                    read = await client.read_resource("spotify://player/devices")
                    if not read.contents:
                        failures.append(f"{mode} session {i}: empty devices")
                    calls += 3
                    await anyio.sleep(0.3)
        except Exception as e:  # noqa: BLE001 — every failure is reported with its session
            failures.append(f"{mode} session {i}: {type(e).__name__}: {e}")

    async def kill_one() -> None:
        # Once round-robin has sent searches to every replica, replica 0 dies (SIGKILL) with
        # sessions in the middle of their rounds.
        served: list[float] = []
        with anyio.move_on_after(60):
            while not all(s >= 2 for s in served):
                await anyio.sleep(0.1)
                served = [searches_served(r) for r in replicas]
        assert all(s >= 2 for s in served), f"round-robin did not reach every replica: {served}"
        replicas[0].proc.kill()
        replicas[0].proc.wait()
        killed_after.append(calls)

    start = time.monotonic()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(kill_one)
        for i in range(SESSIONS):
            tasks.start_soon(one_session, i, "legacy" if i % 2 == 0 else "auto")
    took = time.monotonic() - start
    print(f"{SESSIONS} sessions x {ROUNDS} rounds: {calls} calls in {took:.1f} s through HAProxy, one replica killed")
    assert not failures, "\n".join(failures[:20])
    assert calls == SESSIONS * ROUNDS * 3
    assert killed_after and killed_after[0] < calls, f"the replica was killed after the run ({killed_after})"
    # The survivors served the rest, restoring sessions they never began.
    assert all(searches_served(r) > 0 for r in replicas[1:])


async def test_a_subscription_through_the_balancer_reaches_the_client(cluster):
    """The official client's 2025-11-25 session through round-robin: its stream, its subscribe
    and the call that changes the player land on different replicas, and the change still
    reaches it; unsubscribing ends it."""
    from mcp import Client

    balancer, _replicas, _redis = cluster
    now_playing = "spotify://player/now-playing"
    seen: list[str] = []

    async def handle(message) -> None:
        inner = getattr(message, "root", message)
        if getattr(inner, "method", None) == "notifications/resources/updated":
            seen.append(inner.params.uri)

    async def heard(count: int) -> bool:
        with anyio.move_on_after(10):
            while seen.count(now_playing) < count:
                await anyio.sleep(0.05)
            return True
        return False

    async with Client(balancer.url, mode="legacy", read_timeout_seconds=60, message_handler=handle) as client:
        await client.call_tool("play", {})
        await client.subscribe_resource(now_playing)
        # A relay reads the session's subscriptions every poll (300 ms) and takes a baseline.
        await anyio.sleep(1.0)
        for n, tool in enumerate(["pause", "play", "pause"], start=1):
            changed = await client.call_tool(tool, {})
            assert not changed.is_error, changed
            assert await heard(n), f"no update {n} after {tool} through the balancer: {seen}"
        await client.unsubscribe_resource(now_playing)
        await anyio.sleep(1.0)
        before = len(seen)
        await client.call_tool("play", {})
        await anyio.sleep(1.5)
        assert len(seen) == before, f"notified after unsubscribe: {seen}"
