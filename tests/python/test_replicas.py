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


class EventStream:
    """A session's own stream (`GET /mcp`) read in a thread: the `resources/updated` URIs it
    carries, until it ends (its replica went away) or `close()`."""

    def __init__(self, server, session: str):
        import threading

        self.updated: list[str] = []
        self.ended = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(10.0, read=None))
        headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session, **PROTOCOL}
        self._response = self._client.send(
            self._client.build_request("GET", server.mcp_url, headers=headers), stream=True
        )
        assert self._response.status_code == 200, self._response.status_code
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        import json

        try:
            for line in self._response.iter_lines():
                if not line.startswith("data:") or not line[5:].strip():
                    continue
                message = json.loads(line[5:])
                if message.get("method") == "notifications/resources/updated":
                    self.updated.append(message["params"]["uri"])
        except (httpx.HTTPError, ValueError):
            pass
        finally:
            self.ended.set()

    def wait_for(self, uri: str, count: int, timeout: float = 10.0) -> bool:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.updated.count(uri) >= count:
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self._response.close()
        self._client.close()


NOW_PLAYING = "spotify://player/now-playing"
POLL = ("--subscription-poll-ms", "200")
#: Long enough for a relay to read a changed subscription set and its poller to take a baseline.
SETTLE = 1.0


def test_notifications_reach_the_stream_whichever_replica_holds_it(launcher, redis):
    """Three replicas: the session begins on one, holds its stream on a second, subscribes on
    the third, and the player changes through the first; the stream hears of it. The stream's
    replica dies: the client's next stream, on another replica, hears of the next change, and
    after an unsubscribe (on yet another replica) of none."""
    import time

    sandbox = launcher.sandbox(name="relay-sandbox")
    replicas = [launcher.http_server_on(sandbox, "--cache", redis.url, *POLL, name=f"relay-{i}", env={"SPOTIFY_MCP_LOG": "info,spotify_mcp_server=debug"}) for i in range(3)]
    one, two, three = replicas
    streams = []
    try:
        session = begin(one)
        result_of(call(one, session, 2, "tools/call", {"name": "play", "arguments": {}}))
        streams.append(EventStream(two, session))
        assert result_of(call(three, session, 3, "resources/subscribe", {"uri": NOW_PLAYING})) == {}
        keys = redis.command("KEYS", "spotify-mcp:v1:session-subs:*").decode(errors="replace")
        assert "session-subs:" in keys and session not in keys, keys
        time.sleep(SETTLE)

        result_of(call(one, session, 4, "tools/call", {"name": "pause", "arguments": {}}))
        assert streams[0].wait_for(NOW_PLAYING, 1), (
            f"the stream on replica two never heard of the change: {streams[0].updated}; "
            f"log of two:\n{two.log()[-2000:]}"
        )

        # The replica holding the stream goes away; the subscription lives on in Redis.
        two.stop()
        assert streams[0].ended.wait(10), "the stream of a stopped replica did not end"
        streams.append(EventStream(three, session))
        time.sleep(SETTLE)
        result_of(call(one, session, 5, "tools/call", {"name": "play", "arguments": {}}))
        assert streams[1].wait_for(NOW_PLAYING, 1), f"the new stream heard nothing: {streams[1].updated}; log of three:\n{three.log()[-3000:]}"

        # Unsubscribing on another replica ends the notifications of the stream on three.
        assert result_of(call(one, session, 6, "resources/unsubscribe", {"uri": NOW_PLAYING})) == {}
        time.sleep(SETTLE)
        heard = len(streams[1].updated)
        result_of(call(one, session, 7, "tools/call", {"name": "pause", "arguments": {}}))
        time.sleep(SETTLE)
        assert len(streams[1].updated) == heard, f"notified after unsubscribe: {streams[1].updated}"

        # Ending the session forgets its subscriptions for every replica.
        assert result_of(call(three, session, 8, "resources/subscribe", {"uri": NOW_PLAYING})) == {}
        assert not redis.command("KEYS", "spotify-mcp:v1:session-subs:*").startswith(b"*0")
        deleted = httpx.delete(one.mcp_url, headers={"Mcp-Session-Id": session, **PROTOCOL}, timeout=10)
        assert deleted.status_code in (200, 204), deleted.status_code
        assert redis.command("KEYS", "spotify-mcp:v1:session-subs:*").startswith(b"*0"), "subscriptions kept after DELETE"
    finally:
        for stream in streams:
            stream.close()
        for replica in replicas:
            replica.stop()
        sandbox.stop()
