"""2025-11-25 sessions across replicas (issue 11): two server processes share a real
redis-server; a session begun on one replica is served by the other (rmcp's session store, kept
in Redis), also after the first replica is gone, and DELETE ends it for both. Without Redis a
replica that never saw the session answers 404, as the transport specifies."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from rawhttp import initialize_body, messages, post

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
import tooling  # noqa: E402

PROTOCOL = {"MCP-Protocol-Version": "2025-11-25"}


@pytest.fixture
def redis(tmp_path):
    server = tooling.RedisServer(tmp_path / "redis")
    yield server
    server.stop()


def begin(server) -> str:
    r = post(server.mcp_url, initialize_body())
    assert r.status_code == 200, r.text
    session = r.headers.get("mcp-session-id")
    assert session, r.headers
    headers = {"Mcp-Session-Id": session, **PROTOCOL}
    r = post(server.mcp_url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    assert r.status_code == 202, r.text
    return session


def call(server, session: str, request_id: int, method: str, params: dict):
    headers = {"Mcp-Session-Id": session, **PROTOCOL}
    return post(server.mcp_url, {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}, headers=headers)


def result_of(response) -> dict:
    assert response.status_code == 200, f"{response.status_code}: {response.text[:300]}"
    found = [m for m in messages(response) if "result" in m or "error" in m]
    assert found and "result" in found[0], found
    return found[0]["result"]


def test_a_session_begun_on_one_replica_is_served_by_another(launcher, redis):
    sandbox = launcher.sandbox(name="replicas-sandbox")
    one = launcher.http_server_on(sandbox, "--cache", redis.url, name="replica-one")
    two = launcher.http_server_on(sandbox, "--cache", redis.url, name="replica-two")
    try:
        session = begin(one)
        keys = redis.command("KEYS", "spotify-mcp:v1:session:*").decode(errors="replace")
        assert "session:" in keys and session not in keys, f"the session ID itself must not be stored: {keys}"

        listed = result_of(call(two, session, 2, "tools/list", {}))
        assert any(t["name"] == "search" for t in listed["tools"]), listed
        found = result_of(call(two, session, 3, "tools/call", {"name": "search", "arguments": {"query": "a", "limit": 2}}))
        assert not found.get("isError"), found

        # The replica that began it goes away: the session lives on.
        one.stop()
        again = result_of(call(two, session, 4, "tools/call", {"name": "get_devices", "arguments": {}}))
        assert not again.get("isError"), again

        # DELETE on any replica ends it everywhere.
        deleted = httpx.delete(two.mcp_url, headers={"Mcp-Session-Id": session, **PROTOCOL}, timeout=10)
        assert deleted.status_code in (200, 204), f"{deleted.status_code}: {deleted.text}"
        assert redis.command("KEYS", "spotify-mcp:v1:session:*").startswith(b"*0"), "the stored session was not deleted"
    finally:
        one.stop()
        two.stop()
        sandbox.stop()


def test_without_redis_another_replica_does_not_know_the_session(launcher):
    sandbox = launcher.sandbox(name="replicas-sandbox-alone")
    one = launcher.http_server_on(sandbox, name="alone-one")
    two = launcher.http_server_on(sandbox, name="alone-two")
    try:
        session = begin(one)
        r = call(two, session, 2, "tools/list", {})
        assert r.status_code == 404, f"{r.status_code}: {r.text[:200]}"
    finally:
        one.stop()
        two.stop()
        sandbox.stop()
