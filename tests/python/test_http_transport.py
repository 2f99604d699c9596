"""HTTP transport behaviours of the real binary: Host and Origin checks, bearer tokens,
health endpoints, malformed JSON-RPC, and graceful shutdown on SIGTERM."""

from __future__ import annotations

import logging
import signal
import time

import anyio
import httpx
import pytest

from harness import mcp_http
from rawhttp import initialize_body, jsonrpc_error, messages, post

pytestmark = pytest.mark.anyio


# --- health ----------------------------------------------------------------------------------


async def test_healthz_and_readyz_answer(sandbox_server):
    r = httpx.get(sandbox_server.base_url + "/healthz", timeout=5)
    assert r.status_code == 200
    r = httpx.get(sandbox_server.base_url + "/readyz", timeout=5)
    assert r.status_code == 200


async def test_unusable_spotify_credentials_show_in_status_not_readiness(launcher, spotify):
    """A refresh token the accounts service rejects is the same for every replica: the pod stays
    ready (failing readiness would pull every replica out of its Service at once), /status says
    what is wrong, and no secret appears anywhere."""
    server = launcher.http_server_on(spotify, refresh_token="not-a-valid-refresh-token", name="bad-credentials", wait_ready=False)
    try:
        server.wait_http("/healthz")
        r = server.wait_http("/readyz")
        assert r.status_code == 200, r.text
        status = httpx.get(server.base_url + "/status", timeout=10)
        assert status.status_code == 200, status.text
        body = status.json()
        assert body["ready"] is True and body["spotify"]["credentials"] == "unusable", body
        assert body["spotify"]["reason"], body
        assert body["redis"] == {"configured": False}, body
        for text in (status.text, server.log()):
            assert "not-a-valid-refresh-token" not in text
            assert "sandbox-client-secret" not in text
    finally:
        server.stop()


async def test_readyz_fails_while_a_configured_redis_is_unreachable(launcher):
    """Redis holds what the replicas share: a pod that cannot reach it is not ready."""
    # Port 9 (discard) on loopback: nothing listens there.
    server = launcher.http_server("--cache", "redis://127.0.0.1:9", name="redis-unreachable", wait_ready=False)
    try:
        server.wait_http("/healthz")
        r = server.wait_http("/readyz", ok=(503,))
        assert "Redis" in r.text and "127.0.0.1:9" not in r.text, r.text
        body = httpx.get(server.base_url + "/status", timeout=10).json()
        assert body["ready"] is False and body["redis"]["reachable"] is False, body
        assert body["spotify"]["credentials"] == "usable", body
    finally:
        server.stop()


# --- Host and Origin ---------------------------------------------------------------------------


async def test_foreign_host_header_is_rejected(sandbox_server):
    r = post(sandbox_server.mcp_url, initialize_body(), headers={"Host": "evil.example.com"})
    assert r.status_code == 403, f"{r.status_code}: {r.text[:200]}"
    r = post(sandbox_server.mcp_url, initialize_body(), headers={"Host": f"evil.example.com:{sandbox_server.port}"})
    assert r.status_code == 403


async def test_loopback_host_names_are_accepted(sandbox_server):
    for host in ("localhost", f"localhost:{sandbox_server.port}", f"127.0.0.1:{sandbox_server.port}"):
        r = post(sandbox_server.mcp_url, initialize_body(), headers={"Host": host})
        assert r.status_code == 200, f"Host {host}: {r.status_code} {r.text[:200]}"


async def test_probes_and_metrics_refuse_unknown_host_names_but_accept_ip_literals(sandbox_server):
    """DNS rebinding needs a DNS name; kubelet probes and Prometheus scrapes use the pod IP."""
    for path in ("/healthz", "/readyz", "/metrics"):
        for host in ("10.1.2.3:8000", "198.18.0.5:8000", "[fd00::5]:8000", f"localhost:{sandbox_server.port}"):
            r = httpx.get(sandbox_server.base_url + path, headers={"Host": host}, timeout=5)
            assert r.status_code == 200, f"{path} Host {host}: {r.status_code} {r.text[:200]}"
        r = httpx.get(sandbox_server.base_url + path, headers={"Host": "evil.example.com"}, timeout=5)
        assert r.status_code == 403, f"{path}: {r.status_code} {r.text[:200]}"
        assert r.headers["content-type"].startswith("text/plain")
        assert "evil.example.com" in r.text and "--allowed-hosts" in r.text, r.text


async def test_mcp_refuses_an_empty_host_header_clearly(sandbox_server):
    r = post(sandbox_server.mcp_url, initialize_body(), headers={"Host": ""})
    assert r.status_code == 400, f"{r.status_code}: {r.text[:200]}"
    assert "Host header is empty" in r.text, r.text


async def test_allowed_hosts_admit_a_service_dns_name(launcher):
    server = launcher.http_server("--allowed-hosts", "smcp.music.svc,smcp.music.svc.cluster.local", name="allowed-hosts")
    try:
        for host in ("smcp.music.svc", f"smcp.music.svc:{server.port}", f"smcp.music.svc.cluster.local:{server.port}"):
            r = post(server.mcp_url, initialize_body(), headers={"Host": host})
            assert r.status_code == 200, f"Host {host}: {r.status_code} {r.text[:200]}"
        r = post(server.mcp_url, initialize_body(), headers={"Host": "other.music.svc"})
        assert r.status_code == 403
    finally:
        server.stop()


async def test_allowed_hosts_from_environment(launcher):
    server = launcher.http_server(name="allowed-hosts-env", env={"SPOTIFY_MCP_ALLOWED_HOSTS": "mcp.internal"})
    try:
        r = post(server.mcp_url, initialize_body(), headers={"Host": "mcp.internal"})
        assert r.status_code == 200, r.text[:200]
    finally:
        server.stop()


async def test_foreign_browser_origin_is_rejected_by_default(sandbox_server):
    """DNS-rebinding defence: a web page on another origin must not drive the local server."""
    r = post(sandbox_server.mcp_url, initialize_body(), headers={"Origin": "https://evil.example.com"})
    assert r.status_code == 403, f"foreign Origin accepted by default: {r.status_code}"


async def test_request_without_origin_is_accepted(sandbox_server):
    r = post(sandbox_server.mcp_url, initialize_body())
    assert r.status_code == 200


async def test_allowed_origins_are_configurable(launcher):
    server = launcher.http_server("--allowed-origins", "https://app.example.com:443", name="allowed-origins")
    try:
        ok = post(server.mcp_url, initialize_body(), headers={"Origin": "https://app.example.com"})
        assert ok.status_code == 200, f"{ok.status_code}: {ok.text[:200]}"
        bad = post(server.mcp_url, initialize_body(), headers={"Origin": "https://evil.example.com"})
        assert bad.status_code == 403
        wrong_port = post(server.mcp_url, initialize_body(), headers={"Origin": "https://app.example.com:8443"})
        assert wrong_port.status_code == 403
    finally:
        server.stop()


async def test_origin_without_scheme_is_a_startup_error(binary, tmp_path):
    import subprocess

    from harness import clean_env, free_port

    r = subprocess.run(
        [str(binary), "--sandbox", "--port", str(free_port()), "--allowed-origins", "app.example.com"],
        env=clean_env(None, tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode != 0
    assert "app.example.com" in r.stderr


# --- bearer tokens -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_server(launcher):
    server = launcher.http_server(name="bearer-env", env={"SPOTIFY_MCP_AUTH_TOKENS": "tok-alpha-1234567890,tok-beta-0987654321"})
    yield server
    server.stop()


async def test_mcp_without_token_is_401_with_www_authenticate(token_server):
    r = post(token_server.mcp_url, initialize_body())
    assert r.status_code == 401, f"{r.status_code}: {r.text[:200]}"
    challenge = r.headers.get("www-authenticate", "")
    assert challenge.lower().startswith("bearer"), f"WWW-Authenticate: {challenge!r}"


async def test_mcp_with_wrong_token_is_401(token_server):
    r = post(token_server.mcp_url, initialize_body(), headers={"Authorization": "Bearer tok-gamma"})
    assert r.status_code == 401
    assert "bearer" in r.headers.get("www-authenticate", "").lower()
    assert "tok-alpha" not in r.text and "tok-beta" not in r.text
    r = post(token_server.mcp_url, initialize_body(), headers={"Authorization": "Basic dG9rLWFscGhhOng="})
    assert r.status_code == 401


async def test_health_and_metrics_stay_open_with_tokens(token_server):
    assert httpx.get(token_server.base_url + "/healthz", timeout=5).status_code == 200
    assert httpx.get(token_server.base_url + "/readyz", timeout=5).status_code == 200
    metrics = httpx.get(token_server.base_url + "/metrics", timeout=5)
    assert metrics.status_code == 200, metrics.status_code
    assert "tok-alpha" not in metrics.text and "tok-beta" not in metrics.text


async def test_refused_tokens_are_counted_by_reason_without_the_token(token_server):
    def failures() -> dict[str, float]:
        text = httpx.get(token_server.base_url + "/metrics", timeout=5).text
        assert "not-a-token" not in text
        return {
            line.split('reason="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("spotify_mcp_http_auth_failures_total{")
        }

    before = failures()
    assert set(before) == {"missing", "wrong_scheme", "invalid"}, before
    post(token_server.mcp_url, initialize_body())
    post(token_server.mcp_url, initialize_body(), headers={"Authorization": "Basic bm90LWEtdG9rZW4="})
    post(token_server.mcp_url, initialize_body(), headers={"Authorization": "Bearer not-a-token"})
    post(token_server.mcp_url, initialize_body(), headers={"Authorization": "Bearer not-a-token-either"})
    after = failures()
    assert {k: after[k] - before[k] for k in after} == {"missing": 1, "wrong_scheme": 1, "invalid": 2}, after
    assert "not-a-token" not in token_server.log()
    assert "bm90LWEtdG9rZW4" not in token_server.log()


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_valid_token_works_with_the_sdk(token_server, mode):
    async with mcp_http(token_server.mcp_url, mode=mode, headers={"Authorization": "Bearer tok-beta-0987654321"}) as client:
        tools = await client.list_tools()
        assert len(tools.tools) > 0
        result = await client.call_tool("get_profile", {})
        assert not result.is_error, result


async def test_sdk_without_token_fails_clearly(token_server):
    with pytest.raises(Exception):
        async with mcp_http(token_server.mcp_url) as client:
            await client.list_tools()
    # The SDK reports the 401 its own way; the raw tests above check status and header.


async def test_tokens_from_a_file(launcher, tmp_path):
    f = tmp_path / "tokens"
    f.write_text("# access tokens\nfile-token-aaaaaaaaaaaa\n\nfile-token-bbbbbbbbbbbb\n")
    server = launcher.http_server("--auth-tokens-file", str(f), name="bearer-file")
    try:
        assert post(server.mcp_url, initialize_body()).status_code == 401
        ok = post(server.mcp_url, initialize_body(), headers={"Authorization": "Bearer file-token-bbbbbbbbbbbb"})
        assert ok.status_code == 200, ok.text[:200]
        assert "file-token" not in server.log(), "a bearer token appeared in the server log"
    finally:
        server.stop()


# --- malformed requests ------------------------------------------------------------------------


async def test_unparseable_body_gets_a_jsonrpc_parse_error(sandbox_server):
    r = post(sandbox_server.mcp_url, None, raw=b'{"jsonrpc": "2.0", "id": 1, "method": ')
    assert 400 <= r.status_code < 500, f"{r.status_code}: {r.text[:200]}"
    err = jsonrpc_error(r)
    assert err is not None, f"no JSON-RPC error object in the answer: {r.status_code} {r.headers.get('content-type')} {r.text[:200]!r}"
    assert err["code"] == -32700, err
    assert httpx.get(sandbox_server.base_url + "/healthz", timeout=5).status_code == 200


async def test_json_that_is_not_jsonrpc_gets_an_invalid_request_error(sandbox_server):
    r = post(sandbox_server.mcp_url, {"hello": "world"})
    assert 400 <= r.status_code < 500, f"{r.status_code}: {r.text[:200]}"
    err = jsonrpc_error(r)
    assert err is not None, f"no JSON-RPC error object: {r.status_code} {r.text[:200]!r}"
    assert err["code"] in (-32600, -32700), err
    assert httpx.get(sandbox_server.base_url + "/healthz", timeout=5).status_code == 200


async def test_unknown_method_in_a_session_is_method_not_found(sandbox_server):
    init = post(sandbox_server.mcp_url, initialize_body())
    assert init.status_code == 200
    session = init.headers.get("mcp-session-id")
    assert session, "legacy initialize did not create a session"
    headers = {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"}
    r = post(sandbox_server.mcp_url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    assert r.status_code in (200, 202)
    r = post(sandbox_server.mcp_url, {"jsonrpc": "2.0", "id": 2, "method": "spotify/nope", "params": {}}, headers=headers)
    err = jsonrpc_error(r)
    assert err is not None, f"{r.status_code}: {r.text[:300]}"
    assert err["code"] == -32601, err
    # A tool call with arguments of the wrong type is a clear error, not a crash.
    r = post(
        sandbox_server.mcp_url,
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "set_volume", "arguments": {"volume_percent": "loud"}}},
        headers=headers,
    )
    msgs = messages(r)
    assert msgs, f"{r.status_code}: {r.text[:300]}"
    reply = msgs[-1]
    if "error" in reply:
        assert reply["error"]["code"] == -32602, reply
    else:
        assert reply["result"].get("isError") is True, reply
    assert httpx.get(sandbox_server.base_url + "/healthz", timeout=5).status_code == 200


# --- the end of a session ---------------------------------------------------------------------


async def test_the_official_client_ends_a_session_without_a_warning(sandbox_server, caplog):
    """Issue 14: DELETE /mcp of a 2025-11-25 session answered 202 (rmcp's), and the official
    client, which takes only 200 or 204, logged "Session termination failed: 202" at the end of
    every session. It is 204 now, and the client ends its session quietly."""
    deletes: list[int] = []

    async def on_response(response) -> None:
        if response.request.method == "DELETE":
            deletes.append(response.status_code)

    caplog.set_level(logging.DEBUG, logger="mcp.client.streamable_http")
    async with mcp_http(sandbox_server.mcp_url, mode="legacy", event_hooks={"response": [on_response]}) as client:
        await client.list_tools()
    assert deletes == [204], f"DELETE /mcp answered {deletes}"
    failed = [r.getMessage() for r in caplog.records if "termination failed" in r.getMessage()]
    assert not failed, failed


# --- graceful shutdown -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_sigterm_finishes_the_in_flight_call_and_exits_zero(launcher, mode):
    sb = launcher.sandbox(name="slow-sandbox", record=False)
    server = launcher.http_server_on(sb, name="shutdown")
    try:
        async with mcp_http(server.mcp_url, mode=mode) as client:
            await client.list_tools()
            sb.set_faults(latency_ms=1500)
            results: list = []

            async def slow_call():
                results.append(await client.call_tool("search", {"query": "shutdown drain", "types": ["track"]}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(slow_call)
                await anyio.sleep(0.5)
                started = time.monotonic()
                server.signal(signal.SIGTERM)
            elapsed = time.monotonic() - started
        assert results, "the in-flight call got no answer"
        assert not results[0].is_error, results[0]
        assert elapsed >= 0.5, "the call finished before the slow sandbox answered"
        code = await anyio.to_thread.run_sync(server.wait_exit, 15.0)
        assert code == 0, f"exit status {code} after SIGTERM"
        # Open streams (a legacy session's GET stream) must not hold the process for the whole grace period.
        assert time.monotonic() - started < 6, f"exit took {time.monotonic() - started:.1f}s after SIGTERM"
    finally:
        server.stop()
        sb.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_signal_on_an_idle_server_exits_zero_quickly(launcher, sig):
    server = launcher.http_server(name="idle-shutdown")
    started = time.monotonic()
    server.signal(sig)
    code = await anyio.to_thread.run_sync(server.wait_exit, 10.0)
    assert code == 0
    assert time.monotonic() - started < 5, "idle shutdown should not wait for the grace period"


# --- healthcheck subcommand and concurrency ------------------------------------------------------


async def test_healthcheck_subcommand(binary, sandbox_server, tmp_path):
    import subprocess

    from harness import clean_env, free_port

    ok = subprocess.run(
        [str(binary), "healthcheck", "--url", sandbox_server.base_url + "/healthz"],
        env=clean_env(None, tmp_path), capture_output=True, text=True, timeout=30,
    )
    assert ok.returncode == 0, ok.stderr
    down = subprocess.run(
        [str(binary), "healthcheck", "--url", f"http://127.0.0.1:{free_port()}/healthz"],
        env=clean_env(None, tmp_path), capture_output=True, text=True, timeout=30,
    )
    assert down.returncode != 0
    assert "healthz" in down.stderr or "127.0.0.1" in down.stderr, down.stderr
    # Why it failed, not only that it did (reqwest's message alone says "error sending request").
    assert "caused by" in down.stderr and "refused" in down.stderr.lower(), down.stderr
    unresolvable = subprocess.run(
        [str(binary), "healthcheck", "--url", "http://no-such-service.invalid:8000/healthz"],
        env=clean_env(None, tmp_path), capture_output=True, text=True, timeout=30,
    )
    assert unresolvable.returncode != 0
    assert "dns" in unresolvable.stderr.lower(), unresolvable.stderr


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_concurrent_calls_on_one_connection(sandbox_server, mode):
    async with mcp_http(sandbox_server.mcp_url, mode=mode) as client:
        saved = await client.call_tool("get_saved_items", {"type": "tracks", "limit": 10})
        assert not saved.is_error, saved
        from world import uris_in

        tracks = uris_in(saved.structured_content, "track")
        assert len(tracks) >= 5
        results: dict[str, object] = {}

        async def one(uri: str) -> None:
            results[uri] = await client.call_tool("get_item", {"id": uri})

        async with anyio.create_task_group() as tg:
            for uri in tracks:
                tg.start_soon(one, uri)
        for uri, r in results.items():
            assert not r.is_error, r
            assert uri in str(r.structured_content), "answers got mixed up between concurrent calls"


# --- bind address ----------------------------------------------------------------------------------


def _host_address() -> str | None:
    """A non-loopback IPv4 address of this machine, if it has one."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


async def test_loopback_by_default_and_bind_changes_it(launcher, sandbox_server):
    assert f"127.0.0.1:{sandbox_server.port}" in sandbox_server.log()
    addr = _host_address()
    if addr is not None:
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://{addr}:{sandbox_server.port}/healthz", timeout=2)
    server = launcher.http_server("--bind", "0.0.0.0", "--allowed-hosts", addr or "localhost", name="bind-all")
    try:
        assert f"0.0.0.0:{server.port}" in server.log()
        assert "without" in server.log() and "token" in server.log(), "no warning about an open, token-less bind"
        if addr is not None:
            r = httpx.get(f"http://{addr}:{server.port}/healthz", timeout=5)
            assert r.status_code == 200
            r = post(f"http://{addr}:{server.port}/mcp", initialize_body())
            assert r.status_code == 200, r.text[:200]
    finally:
        server.stop()


async def test_non_object_arguments_are_invalid_params(sandbox_server):
    """Issue 10 #9: `arguments` that is not an object is -32602 Invalid params naming it (it was
    -32601 Method not found); a well-formed call on the same path still works."""
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "get_profile"}
    for arguments, kind in ([], "an array"), ("x", "a string"), (5, "a number"):
        body = {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                "params": {"name": "get_profile", "arguments": arguments, "_meta": meta}}
        r = post(sandbox_server.mcp_url, body, headers=headers)
        (msg,) = messages(r)
        assert msg["id"] == 3 and msg["error"]["code"] == -32602, msg
        assert "`arguments` must be an object" in msg["error"]["message"] and kind in msg["error"]["message"], msg
    body = {"jsonrpc": "2.0", "id": 4, "method": "tools/call",
            "params": {"name": "get_profile", "arguments": {}, "_meta": meta}}
    (msg,) = messages(post(sandbox_server.mcp_url, body, headers=headers))
    assert msg["id"] == 4 and "result" in msg and not msg["result"].get("isError"), msg
