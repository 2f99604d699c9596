"""Spotify's own error behaviours, reproduced by the sandbox, must reach the model as tool
results with isError and a message it can act on."""

from __future__ import annotations

import time
from typing import Any

import anyio
import httpx
import pytest

from harness import SANDBOX_FREE_REFRESH_TOKEN, mcp_http, result_text
from toolcalls import Tools
from tour import fill_args, sample_uris
from world import SpotifyApi, uris_in

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def idle(launcher):
    """A sandbox whose user has no active device, with its own server."""
    sb = launcher.sandbox(name="idle-sandbox", record=False)
    sb.deactivate_player()
    server = launcher.http_server_on(sb, "--cache", "none", name="idle-server")
    yield sb, server
    server.stop()
    sb.stop()


@pytest.fixture(scope="module")
def free_user(launcher, spotify):
    """The server logged in as the sandbox's free (non-Premium) user."""
    server = launcher.http_server_on(spotify, refresh_token=SANDBOX_FREE_REFRESH_TOKEN, name="free-user")
    yield server
    server.stop()


async def test_no_active_device_lists_devices_and_how_to_transfer(idle):
    sb, server = idle
    api = SpotifyApi(sb)
    devices = api.get("/me/player/devices")["devices"]
    assert devices, "the sandbox user needs devices"
    r = api.http.get("/me/player")
    assert r.status_code == 204 or not r.content, "after /sandbox/player/deactivate no device should be active"
    async with mcp_http(server.mcp_url) as client:
        t = await Tools.connect(client)
        for name, args in (("pause", {}), ("skip", {}), ("seek", {"position_ms": 1000}), ("set_volume", {"volume_percent": 10})):
            text = await t.err(name, args, "no active|not active", "transfer_playback")
            for d in devices:
                assert d["name"] in text, f"{name}: device {d['name']!r} not listed in {text!r}"
                if d.get("id"):
                    assert d["id"] in text, f"{name}: device id {d['id']} not listed in {text!r}"


async def test_premium_required_for_playback_control_with_a_free_account(free_user, spotify):
    api = SpotifyApi(spotify, SANDBOX_FREE_REFRESH_TOKEN)
    me = api.get("/me")
    track = api.get("/search", q="a", type="track", limit=1)["tracks"]["items"][0]["uri"]
    async with mcp_http(free_user.mcp_url) as client:
        t = await Tools.connect(client)
        profile = await t.ok("get_profile")
        assert me["id"] in str(profile)
        for name, args in (("play", {"uris": [track]}), ("pause", {}), ("set_volume", {"volume_percent": 5}), ("add_to_queue", {"uris": [track]})):
            await t.err(name, args, "premium")
        # Reading still works for a free account.
        await t.ok("search", {"query": "a", "types": ["track"], "limit": 2})
        await t.ok("get_devices")


async def test_playlist_not_owned_is_a_clear_403(stack, spotify):
    api = SpotifyApi(spotify)
    me = api.get("/me")["id"]
    foreign = None
    for p in api.get("/me/playlists", limit=50)["items"]:
        if p["owner"]["id"] != me and not p.get("collaborative"):
            foreign = p
            break
    if foreign is None:
        for p in api.get("/search", q="a", type="playlist", limit=10)["playlists"]["items"]:
            if p and p["owner"]["id"] != me:
                foreign = p
                break
    assert foreign is not None, "the sandbox offers no playlist owned by another user"
    r = api.http.get(f"/playlists/{foreign['id']}/items")
    assert r.status_code == 403, f"the sandbox should refuse items of a foreign playlist, got {r.status_code}"
    async with mcp_http(stack.mcp_url) as client:
        t = await Tools.connect(client)
        text = await t.err("get_playlist_items", {"playlist": foreign["uri"]}, "own|collaborat")
        assert foreign["name"] in text or foreign["id"] in text or "playlist" in text.lower()
        # The playlist's details stay readable.
        await t.ok("get_playlist", {"playlist": foreign["uri"]})


async def test_rate_limit_beyond_the_wait_bound_fails_fast_saying_how_long(launcher, spotify):
    server = launcher.http_server_on(spotify, "--cache", "none", name="rate-limited")
    try:
        async with mcp_http(server.mcp_url) as client:
            t = await Tools.connect(client)
            with spotify.faults_set(rate_limit_probability=1.0, retry_after_secs=300):
                started = time.monotonic()
                await t.err("search", {"query": "rate", "types": ["track"]}, "rate", "300|5 min")
                assert time.monotonic() - started < 5, "a wait beyond the bound must not be slept through"
    finally:
        server.stop()


async def test_rate_limit_within_the_bound_is_waited_out(launcher, spotify):
    """429 with Retry-After: 1 for a while, then normal answers: the call succeeds after waiting."""
    server = launcher.http_server_on(spotify, "--cache", "none", name="rate-limited-briefly")
    try:
        async with mcp_http(server.mcp_url) as client:
            t = await Tools.connect(client)
            with spotify.faults_set(rate_limit_probability=1.0, retry_after_secs=1):
                results: list[Any] = []

                async def call():
                    results.append(await client.call_tool("search", {"query": "wait", "types": ["track"], "limit": 1}))

                started = time.monotonic()
                async with anyio.create_task_group() as tg:
                    tg.start_soon(call)
                    await anyio.sleep(1.5)
                    spotify.set_faults(rate_limit_probability=0.0)
                elapsed = time.monotonic() - started
            assert results and not results[0].is_error, result_text(results[0]) if results else "no result"
            assert elapsed >= 1.0
            del t
    finally:
        server.stop()


async def test_extended_tools_explain_extended_quota_on_a_development_mode_app(launcher, spotify):
    api = SpotifyApi(spotify)
    uris = sample_uris(api, extended=False)
    server = launcher.http_server_on(spotify, "--toolsets", "extended", "--cache", "none", name="extended-dev-mode")
    try:
        assert spotify.faults()["extended_quota"] is False
        async with mcp_http(server.mcp_url) as client:
            t = await Tools.connect(client)
            assert t.listed, "no extended tools"
            for name, tool in t.listed.items():
                await t.err(name, fill_args(tool.input_schema, uris), "extended")
            with spotify.faults_set(extended_quota=True):
                uris = sample_uris(api, extended=True)
                for name, tool in t.listed.items():
                    await t.ok(name, fill_args(tool.input_schema, uris))
    finally:
        server.stop()


async def test_spotify_5xx_is_retried_for_reads(launcher, spotify):
    """502/503/504 for a moment, then normal: an idempotent read succeeds after retrying."""
    server = launcher.http_server_on(spotify, "--cache", "none", name="flaky")
    try:
        async with mcp_http(server.mcp_url) as client:
            t = await Tools.connect(client)
            with spotify.faults_set(server_error_probability=1.0):
                results: list[Any] = []

                async def call():
                    results.append(await client.call_tool("get_profile", {}))

                async with anyio.create_task_group() as tg:
                    tg.start_soon(call)
                    await anyio.sleep(0.3)
                    spotify.set_faults(server_error_probability=0.0)
            assert results and not results[0].is_error, result_text(results[0]) if results else "no result"
            del t
    finally:
        server.stop()


async def test_ids_as_uris_bare_ids_and_links_are_equivalent(stack, spotify):
    api = SpotifyApi(spotify)
    res = api.get("/search", q="a", type="track,album,artist", limit=1)
    async with mcp_http(stack.mcp_url) as client:
        t = await Tools.connect(client)
        for kind in ("track", "album", "artist"):
            item = res[f"{kind}s"]["items"][0]
            forms = [
                {"id": item["uri"]},
                {"id": item["id"], "type": kind},
                {"id": f"https://open.spotify.com/{kind}/{item['id']}"},
                {"id": f"https://open.spotify.com/intl-de/{kind}/{item['id']}?si=abcdef0123456789"},
            ]
            answers = [await t.ok("get_item", f) for f in forms]
            for a in answers[1:]:
                assert a == answers[0], f"{kind}: answers differ between id forms"
            assert item["uri"] in uris_in(answers[0])
        track = res["tracks"]["items"][0]
        for form in (track["uri"], track["id"], f"https://open.spotify.com/track/{track['id']}?si=x"):
            args: dict[str, Any] = {"uris": [form]}
            if ":" not in form and "/" not in form:
                args["type"] = "track"
            sc = await t.ok("check_library", args)
            assert track["uri"] in str(sc)


async def test_revoked_refresh_token_asks_to_log_in_again(launcher):
    """Spotify refresh tokens expire (invalid_grant): the tool says to log in again, and
    neither the message nor the log shows a token."""
    import httpx

    from harness import SANDBOX_REFRESH_TOKEN

    sb = launcher.sandbox(name="revoking-sandbox", record=False)
    server = launcher.http_server_on(sb, "--cache", "none", name="revoked")
    try:
        async with mcp_http(server.mcp_url) as client:
            t = await Tools.connect(client)
            await t.ok("get_profile")
            r = httpx.post(
                f"{sb.base_url}/sandbox/tokens/revoke",
                json={"refresh_token": SANDBOX_REFRESH_TOKEN, "access_tokens": True},
                timeout=5,
            )
            assert r.status_code == 200, r.text
            text = await t.err("get_profile", {}, "log in again|auth login|re-authori|reauthori")
            assert SANDBOX_REFRESH_TOKEN not in text
        assert SANDBOX_REFRESH_TOKEN not in server.log(), "the refresh token appeared in the server log"
    finally:
        server.stop()
        sb.stop()


async def test_slow_spotify_times_out_with_a_clear_error(launcher, spotify):
    server = launcher.http_server_on(spotify, "--cache", "none", name="timeouts", env={"SPOTIFY_MCP_REQUEST_TIMEOUT": "1"})
    try:
        async with mcp_http(server.mcp_url) as client:
            t = await Tools.connect(client)
            with spotify.faults_set(latency_ms=2500):
                started = time.monotonic()
                await t.err("get_profile", {}, "timed out|timeout|did not answer")
                assert time.monotonic() - started < 20
    finally:
        server.stop()


async def test_secrets_never_reach_the_log_even_at_debug_level(launcher, spotify):
    from harness import SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN

    server = launcher.http_server_on(spotify, name="debug-log", env={"SPOTIFY_MCP_LOG": "debug"})
    try:
        async with mcp_http(server.mcp_url) as client:
            t = await Tools.connect(client)
            await t.ok("get_profile")
            await t.ok("search", {"query": "a", "types": ["track"], "limit": 2})
    finally:
        server.stop()
    log = server.log()
    assert "DEBUG" in log, "the debug filter had no effect"
    for secret in (SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN):
        assert secret not in log, f"{secret} appears in the debug log"
    assert "Bearer " not in log, "an Authorization header value appears in the debug log"


async def test_a_rolling_window_is_met_by_the_shared_429_gate(launcher, spotify):
    """Issue 16: the sandbox limits like Spotify (40 requests per 3 s); four MCP clients making
    80 uncached searches through one server with the default `adaptive` pacing all succeed,
    at most a tenth of the upstream requests get 429, and the waits show in the metrics."""
    server = launcher.http_server_on(spotify, "--cache", "none", name="rolling-window")
    try:
        spotify.clear_requests()
        with spotify.faults_set(window_limit=40, window_secs=3, record_requests=True):
            failures: list[str] = []

            async def caller(n: int) -> None:
                async with mcp_http(server.mcp_url) as client:
                    for i in range(n, 80, 4):
                        r = await client.call_tool("search", {"query": f"window {i}", "types": ["track"], "limit": 1})
                        if r.is_error:
                            failures.append(result_text(r))

            async with anyio.create_task_group() as tg:
                for n in range(4):
                    tg.start_soon(caller, n)
            requests = [e for e in spotify.requests() if e["path"].startswith("/v1/search")]
        assert not failures, failures[:3]
        limited = sum(1 for e in requests if e["status"] == 429)
        assert sum(1 for e in requests if e["status"] == 200) == 80
        assert limited * 10 <= len(requests), f"{limited} of {len(requests)} upstream searches got 429"
        metrics = httpx.get(server.base_url + "/metrics", timeout=5).text
        assert "spotify_mcp_spotify_rate_limit_gate_closed " in metrics
        # 80 searches in well under 3 s must have met the window at least once.
        assert limited > 0, "the sandbox's window was never reached: the test tested nothing"
        assert 'spotify_mcp_spotify_rate_limit_wait_seconds_count{cause="gate"}' in metrics, metrics
    finally:
        server.stop()


def test_an_invalid_rate_limit_is_refused_at_start_up_with_the_accepted_forms(launcher):
    for value in ("fast", "0/s", "20/s,40"):
        server = launcher.http_server("--spotify-rate-limit", value, name="bad-rate-limit", wait_ready=False)
        code = server.wait_exit(15.0)
        assert code != 0, f"{value!r} was accepted"
        log = server.log()
        assert "invalid Spotify rate limit" in log and "`adaptive` (the default), `off`, or `N/s`" in log, log[-2000:]
    server = launcher.http_server(name="env-rate-limit", env={"SPOTIFY_MCP_SPOTIFY_RATE_LIMIT": "50/s,burst=100"})
    server.stop()


@pytest.mark.parametrize("revision", ["2026-07-28", "2025-11-25"])
def test_a_client_that_goes_away_stops_its_read_calls(launcher, revision):
    """Issue 10 #9: a read-only call whose client disconnects stops issuing Spotify requests, in
    both protocol revisions (2025-11-25: a call inside a session, whose answer would go to that
    request's own stream). Spotify answers 502/503/504 after 0.4 s, so a `get_profile` keeps
    retrying (with backoff) for about 3 s; the client drops its connection 0.5 s in. Without the
    fix the sandbox saw every attempt (4 requests); now at most the two made before the client
    left."""
    import json as _json
    import socket

    import rawhttp

    sb = launcher.sandbox(name=f"disconnect-sandbox-{revision}")
    server = launcher.http_server_on(sb, "--cache", "none", name=f"disconnect-{revision}")
    try:
        params = {"name": "get_profile", "arguments": {}}
        extra = f"MCP-Protocol-Version: {revision}\r\n"
        if revision == "2026-07-28":
            params["_meta"] = {
                "io.modelcontextprotocol/protocolVersion": revision,
                "io.modelcontextprotocol/clientCapabilities": {}}
            extra += "Mcp-Method: tools/call\r\nMcp-Name: get_profile\r\n"
        else:
            url = f"http://127.0.0.1:{server.port}/mcp"
            init = rawhttp.post(url, rawhttp.initialize_body(version=revision))
            session = init.headers["mcp-session-id"]
            rawhttp.post(url, {"jsonrpc": "2.0", "method": "notifications/initialized"},
                         headers={"Mcp-Session-Id": session, "MCP-Protocol-Version": revision})
            extra += f"Mcp-Session-Id: {session}\r\n"
        sb.clear_requests()
        with sb.faults_set(latency_ms=400, server_error_probability=1.0, record_requests=True):
            body = _json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}).encode()
            head = (
                f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
                f"Accept: application/json, text/event-stream\r\n{extra}Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(head + body)
            time.sleep(0.5)
            s.close()
            time.sleep(5)
            seen = [e for e in sb.requests() if e["path"] == "/v1/me"]
        assert len(seen) <= 2, f"the server kept calling Spotify for a client that left: {len(seen)} requests"
        assert server.alive()
    finally:
        server.stop()
        sb.stop()


async def test_one_deadline_covers_every_spotify_request_of_a_tool_call(launcher, spotify):
    """Issue 10 #7: the deadline is per tool call, not per Spotify request. With 1 s per request,
    `create_playlist_from_queries` needs at least three in a row (searches, create, add): about
    3 s, each request within a 2 s budget of its own. With one 2 s deadline for the whole call it
    answers by then (here: the create gets what is left of the 2 s, and its lost answer is reported
    as possibly applied), instead of running on."""
    server = launcher.http_server_on(spotify, "--cache", "none", "--call-timeout-secs", "2", name="call-deadline")
    try:
        async with mcp_http(server.mcp_url) as client:
            t = await Tools.connect(client)
            with spotify.faults_set(latency_ms=1000):
                started = time.monotonic()
                text = await t.err(
                    "create_playlist_from_queries",
                    {"name": "deadline", "queries": ["a", "b", "c"]},
                    "did not|time",
                )
                elapsed = time.monotonic() - started
            assert elapsed < 2.9, f"the call ran {elapsed:.2f} s past its 2 s deadline: {text}"
    finally:
        server.stop()
