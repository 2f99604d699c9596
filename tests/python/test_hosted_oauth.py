"""Hosted multi-user mode (`--oauth`): the server is an OAuth 2.1 protected resource and the
authorization server its clients sign in with, federating each user's sign-in to (the sandbox's
fake) Spotify. Driven by the official Python SDK's OAuth client provider, in both protocol
revisions, and by hand for what the SDK never sends."""

from __future__ import annotations

import asyncio
import base64
import time

import httpx
import pytest

import sys
from pathlib import Path

from harness import LEGACY, MODERN
from oauth_flow import Browser, RawClient, SdkUser, hosted_server, mcp_post, query
from toolcalls import Tools

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
import tooling  # noqa: E402

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def fake_spotify(launcher):
    """A sandbox of this module's own: the tests change its player and tokens."""
    sb = launcher.sandbox(name="hosted-sandbox")
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def hosted(launcher, fake_spotify):
    server = hosted_server(launcher, fake_spotify, name="hosted")
    yield server
    server.stop()


def test_discovery_points_clients_at_the_metadata(hosted):
    r = mcp_post(hosted, None)
    assert r.status_code == 401, r.text
    challenge = r.headers["www-authenticate"]
    prm_url = f"{hosted.base_url}/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{prm_url}"' in challenge, challenge
    assert "user-read-private" in challenge and "offline_access" not in challenge
    for url in (prm_url, f"{hosted.base_url}/.well-known/oauth-protected-resource"):
        prm = httpx.get(url, timeout=5).json()
        assert prm["resource"] == hosted.mcp_url, prm
        assert prm["authorization_servers"] == [hosted.base_url]
    r = httpx.get(f"{hosted.base_url}/.well-known/oauth-authorization-server", timeout=5)
    assert r.headers["cache-control"] == "no-store"
    meta = r.json()
    assert meta["issuer"] == hosted.base_url
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert meta["token_endpoint_auth_methods_supported"] == ["none"]
    assert meta["registration_endpoint"] == f"{hosted.base_url}/oauth/register"
    assert "refresh_token" in meta["grant_types_supported"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_user_signs_in_through_the_sdk_and_works_as_themselves(hosted, mode):
    user = SdkUser(hosted)
    async with user.client(mode) as client:
        assert client.protocol_version == (MODERN if mode == "auto" else LEGACY)
        t = await Tools.connect(client)
        profile = await t.ok("get_profile")
        assert profile["id"] == "sandboxlistener", profile
        await t.ok("get_playback_state")
    assert user.sign_ins == 1
    page = user.browser.pages[0]
    assert "pytest client" in page and "Approve" in page and "127.0.0.1" in page
    # The SDK keeps the tokens: a new connection does not sign in again.
    async with user.client(mode) as client:
        t = await Tools.connect(client)
        assert (await t.ok("get_profile"))["id"] == profile["id"]
    assert user.sign_ins == 1
    await user.browser.aclose()


async def test_two_users_in_parallel_see_their_own_account(hosted):
    premium, free = SdkUser(hosted, "premium"), SdkUser(hosted, "free")

    async def profile_and_pause(user: SdkUser):
        async with user.client() as client:
            t = await Tools.connect(client)
            profile = await t.ok("get_profile")
            if user.browser.user == "premium":
                await t.ok("play", {})
                refusal = None
            else:
                refusal = await t.err("play", {}, "premium")
            return profile, refusal

    (p1, _), (p2, refusal) = await asyncio.gather(profile_and_pause(premium), profile_and_pause(free))
    assert p1["id"] != p2["id"], (p1, p2)
    assert refusal is not None
    for user in (premium, free):
        await user.browser.aclose()


async def test_the_consent_page_is_protected_and_deny_goes_back_to_the_client(hosted):
    raw = RawClient(hosted)
    browser = Browser()
    r = await browser.http.get(raw.authorize_url())
    assert r.status_code == 200
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert "<script" not in r.text.lower()
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    fields = await browser.consent(raw.authorize_url())
    # A forged answer (no CSRF token) is refused and the sign-in is used up.
    forged = await browser.decide(raw.authorize_url(), {"pending": fields["pending"], "csrf": "x"}, "approve")
    assert forged.status_code == 403
    again = await browser.decide(raw.authorize_url(), fields, "approve")
    assert again.status_code == 400 and "expired" in again.text
    # Another browser cannot answer this browser's consent page.
    fields = await browser.consent(raw.authorize_url())
    stranger = Browser()
    r = await stranger.decide(raw.authorize_url(), fields, "approve")
    assert r.status_code == 403
    # Deny: back to the client with access_denied, its state and our issuer.
    fields = await browser.consent(raw.authorize_url())
    r = await browser.decide(raw.authorize_url(), fields, "deny")
    assert r.status_code in (302, 303)
    q = query(r.headers["location"])
    assert r.headers["location"].startswith(raw.redirect_uri)
    assert q == {"error": "access_denied", "error_description": "the user denied access", "state": "client-state-1", "iss": hosted.base_url}
    await browser.aclose()
    await stranger.aclose()


async def test_bad_authorization_requests_end_on_our_page_or_go_back_with_an_error(hosted):
    raw = RawClient(hosted)
    browser = Browser()
    # Before the client and redirect are known good: our error page, never a redirect.
    for overrides, text in [
        ({"client_id": "smcp_client_unknown"}, "not registered"),
        ({"redirect_uri": "https://evil.example/cb"}, "not one the application registered"),
        ({"client_id": None}, "no client"),
    ]:
        r = await browser.http.get(raw.authorize_url(**overrides))
        assert r.status_code == 400 and "location" not in r.headers, (overrides, r.status_code)
        assert text in r.text, (overrides, r.text[:300])
    # After: back to the client with the RFC 6749 error.
    for overrides, error in [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"resource": "https://evil.example/mcp"}, "invalid_target"),
        ({"scope": "user-read-private admin"}, "invalid_scope"),
    ]:
        r = await browser.http.get(raw.authorize_url(**overrides))
        assert r.status_code in (302, 303), (overrides, r.status_code, r.text[:200])
        q = query(r.headers["location"])
        assert q["error"] == error and q["state"] == "client-state-1" and q["iss"] == hosted.base_url, (overrides, q)
    # A loopback redirect may change its port (RFC 8252 §7.3); the path may not change.
    r = await browser.http.get(raw.authorize_url(redirect_uri="http://127.0.0.1:5555/callback"))
    assert r.status_code == 200
    r = await browser.http.get(raw.authorize_url(redirect_uri="http://127.0.0.1:9/other"))
    assert r.status_code == 400
    await browser.aclose()


async def test_codes_are_single_use_bound_to_the_client_and_the_verifier(hosted):
    raw = RawClient(hosted)
    other = RawClient(hosted)
    code = await raw.code()
    for overrides, error in [
        ({"code_verifier": "wrong-verifier-wrong-verifier-wrong-verifier-0"}, "invalid_grant"),
    ]:
        r = raw.redeem(code, **overrides)
        assert r.status_code == 400 and r.json()["error"] == error, r.text
    # The failed attempt used the code up: a second try with the right verifier fails, and
    # the grant that code was for is revoked (a replayed code).
    r = raw.redeem(code)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    for overrides, error in [
        ({"client_id": other.client_id}, "invalid_grant"),
        ({"redirect_uri": "http://127.0.0.1:9/other"}, "invalid_grant"),
        ({"resource": "https://evil.example/mcp"}, "invalid_target"),
    ]:
        r = raw.redeem(await raw.code(), **overrides)
        assert r.status_code == 400 and r.json()["error"] == error, (overrides, r.text)
    ok = raw.redeem(await raw.code())
    assert ok.status_code == 200 and ok.headers["cache-control"] == "no-store", ok.text
    body = ok.json()
    assert body["token_type"] == "Bearer" and body["access_token"].startswith("smcp_at_")
    assert body["refresh_token"].startswith("smcp_rt_")
    assert mcp_post(hosted, body["access_token"]).status_code == 200


async def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_grant(hosted):
    raw = RawClient(hosted)
    first = await raw.tokens()
    r = raw.refresh(first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert mcp_post(hosted, second["access_token"]).status_code == 200
    # A refresh may narrow the scope, never widen it.
    r = raw.refresh(second["refresh_token"], scope="user-read-private")
    assert r.status_code == 200 and r.json()["scope"] == "user-read-private", r.text
    third = r.json()
    assert raw.refresh(third["refresh_token"], scope="user-read-private ugc-image-upload").json()["error"] == "invalid_scope"
    # Replaying a used refresh token revokes the grant: every token of it stops working.
    r = raw.refresh(first["refresh_token"])
    assert r.status_code == 400 and "already used" in r.json()["error_description"], r.text
    assert mcp_post(hosted, second["access_token"]).status_code == 401
    assert mcp_post(hosted, third["access_token"]).status_code == 401


async def test_revocation_ends_the_grant(hosted):
    raw = RawClient(hosted)
    tokens = await raw.tokens()
    assert mcp_post(hosted, tokens["access_token"]).status_code == 200
    r = httpx.post(f"{hosted.base_url}/oauth/revoke", data={"token": tokens["refresh_token"]}, timeout=5)
    assert r.status_code == 200
    r = mcp_post(hosted, tokens["access_token"])
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
    assert raw.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    # Unknown tokens are fine to revoke (RFC 7009 §2.2).
    assert httpx.post(f"{hosted.base_url}/oauth/revoke", data={"token": "nonsense"}, timeout=5).status_code == 200


async def test_only_our_own_tokens_open_mcp(hosted, fake_spotify):
    spotify_token = fake_spotify.user_token()
    for token in [spotify_token, "smcp_at_" + "A" * 43, "not-a-token"]:
        r = mcp_post(hosted, token)
        assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"], (token[:12], r.status_code)
    # A token in the query string is not a bearer token.
    raw = RawClient(hosted)
    tokens = await raw.tokens()
    r = httpx.post(
        f"{hosted.mcp_url}?access_token={tokens['access_token']}",
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={"accept": "application/json, text/event-stream"},
        timeout=5,
    )
    assert r.status_code == 401


async def test_a_callback_without_the_browser_cookie_or_replayed_is_refused(hosted):
    raw = RawClient(hosted)
    browser = Browser()
    fields = await browser.consent(raw.authorize_url())
    r = await browser.decide(raw.authorize_url(), fields, "approve")
    r = await browser.http.get(r.headers["location"])
    callback = r.headers["location"]
    # Another browser (an attacker's link) cannot complete this sign-in...
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as stranger:
        r = await stranger.get(callback)
        assert r.status_code == 403 and "location" not in r.headers
    # ...and it was used up by that attempt: the state is single use.
    r = await browser.http.get(callback)
    assert r.status_code == 400 and "expired" in r.text
    # A callback without a state, or with one this server never made, ends on a page too.
    base = callback.split("?")[0]
    for url in (f"{base}?code=x", f"{base}?code=x&state=smcp_st_" + "A" * 43):
        r = await browser.http.get(url)
        assert r.status_code == 400 and "location" not in r.headers, url
    await browser.aclose()


def test_secrets_stay_out_of_the_log_and_metrics(hosted):
    log = hosted.log()
    for needle in ("smcp_at_", "smcp_rt_", "smcp_ac_", "smcp_st_", "sandbox-refresh-token"):
        assert needle not in log, f"{needle} appears in the log"
    metrics = httpx.get(f"{hosted.base_url}/metrics", timeout=5).text
    assert 'spotify_mcp_oauth_events_total{event="sign_in",result="ok"}' in metrics
    assert "smcp_" not in metrics


def test_hosted_mode_refuses_configurations_that_would_open_access(launcher):
    import subprocess

    from harness import clean_env

    base = [str(launcher.binary), "--oauth", "--port", "0"]
    env = {"SPOTIFY_CLIENT_ID": "x", "SPOTIFY_CLIENT_SECRET": "y"}
    for args, extra, message in [
        ([], {}, "--public-url"),
        (["--public-url", "http://music.example.com"], {}, "https://"),
        (["--public-url", "https://music.example.com"], {"SPOTIFY_MCP_AUTH_TOKENS": "t"}, "static MCP tokens"),
        (["--public-url", "https://music.example.com"], {"SPOTIFY_REFRESH_TOKEN": "r"}, "SPOTIFY_REFRESH_TOKEN"),
        (["--public-url", "https://music.example.com", "--oauth-store", "redis://127.0.0.1:1"], {}, "--oauth-keys-file"),
    ]:
        r = subprocess.run(base + args, env=clean_env({**env, **extra}, launcher.home), capture_output=True, text=True, timeout=20)
        assert r.returncode != 0 and message in r.stderr, (args, extra, r.stderr[-500:])
    r = subprocess.run(
        [str(launcher.binary), "stdio", "--sandbox"],
        env=clean_env({"SPOTIFY_MCP_OAUTH": "true"}, launcher.home),
        capture_output=True,
        text=True,
        timeout=20,
        input="",
    )
    assert r.returncode != 0 and "HTTP only" in r.stderr, r.stderr[-500:]


async def test_the_sdk_refreshes_an_expired_access_token_without_a_new_sign_in(launcher, fake_spotify):
    server = hosted_server(launcher, fake_spotify, "--oauth-access-ttl", "2", name="hosted-short-tokens")
    try:
        user = SdkUser(server)
        async with user.client() as client:
            t = await Tools.connect(client)
            await t.ok("get_profile")
            first = user.storage.tokens.access_token
            await asyncio.sleep(3)
            assert mcp_post(server, first).status_code == 401, "an expired access token still opened /mcp"
            await t.ok("get_profile")
        assert user.sign_ins == 1
        assert user.storage.tokens.access_token != first
        await user.browser.aclose()
    finally:
        server.stop()


def refreshes(sandbox) -> int:
    return sum(1 for e in sandbox.requests() if e["method"] == "POST" and e["path"] == "/api/token")


async def test_replicas_sharing_redis_serve_each_others_users_and_renew_spotify_tokens_once(launcher, tmp_path):
    """Two replicas behind one public URL, one Redis, one (recording) fake Spotify: a user signs
    in through one and calls through the other; when Spotify's access token dies, concurrent
    calls on both replicas cause one renewal at Spotify (the grant's lock), not one per replica."""
    redis = tooling.RedisServer(tmp_path / "redis")
    sandbox = launcher.sandbox(name="hosted-replicas-sandbox")
    keys = tmp_path / "oauth-keys"
    keys.write_text("k1:" + base64.b64encode(bytes(range(32))).decode() + "\n")
    args = ("--oauth-store", redis.url, "--oauth-keys-file", str(keys))
    # The public URL names replica a (Spotify sends the browser back there); b is reached
    # directly, as a load balancer would send the next request anywhere.
    a = hosted_server(launcher, sandbox, *args, name="hosted-replica-a")
    public = a.base_url
    b = hosted_server(launcher, sandbox, *args, name="hosted-replica-b", public_url=public)
    try:
        raw = RawClient(a, issuer=public)
        r = raw.redeem(await raw.code())
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        for replica in (a, b):
            assert mcp_post(replica, token).status_code == 200, replica.name
        # Spotify's access tokens all expire: the next calls on both replicas renew once.
        httpx.post(f"{sandbox.base_url}/sandbox/tokens/revoke", json={"access_tokens": True}, timeout=5).raise_for_status()
        sandbox.clear_requests()
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_profile", "arguments": {}}}

        async def profile(replica):
            return await asyncio.to_thread(mcp_post, replica, token, _stateless(call))

        answers = await asyncio.gather(*(profile(r) for r in (a, b, a, b)))
        for answer in answers:
            assert answer.status_code == 200 and "sandboxlistener" in answer.text, answer.text[:300]
        assert refreshes(sandbox) == 1, [e for e in sandbox.requests() if e["path"] == "/api/token"]
        # Nothing in Redis is a token: the Spotify tokens are sealed, ours are digests.
        dump = redis.command("KEYS", "spotify-mcp:v1:oauth:*").decode(errors="replace")
        for prefix in ("smcp_at_", "smcp_rt_", "smcp_ac_", "smcp_st_"):
            assert prefix not in dump, f"a {prefix} token is a Redis key"
            for key in [k for k in dump.split("\r\n") if k.startswith("spotify-mcp:")]:
                assert prefix not in redis.command("GET", key).decode(errors="replace"), key
        for key in [k for k in dump.split("\r\n") if k.startswith("spotify-mcp:v1:oauth:upstream:")]:
            value = redis.command("GET", key).decode(errors="replace")
            assert "sandbox" not in value and value.count(".") >= 1, value[:80]
        # A replica with other keys on the same Redis cannot open the users' Spotify tokens, so
        # it serves nobody's grant: the token is refused, not acted on.
        other_keys = tmp_path / "other-keys"
        other_keys.write_text("k9:" + base64.b64encode(bytes(range(1, 33))).decode() + "\n")
        c = hosted_server(launcher, sandbox, "--oauth-store", redis.url, "--oauth-keys-file", str(other_keys),
                          name="hosted-replica-other-keys", public_url=public)
        try:
            assert mcp_post(c, token).status_code == 401
        finally:
            c.stop()
        # A revocation through one replica holds on the other.
        httpx.post(f"{b.base_url}/oauth/revoke", data={"token": token}, timeout=5).raise_for_status()
        assert mcp_post(b, token).status_code == 401
    finally:
        for p in (a, b, sandbox):
            p.stop()
        redis.stop()


def _stateless(body: dict) -> dict:
    """A 2026-07-28 request: the client's protocol and identity in `_meta`."""
    params = dict(body.get("params") or {})
    params["_meta"] = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "pytest", "version": "0"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    return {**body, "params": params}


async def test_a_spotify_revocation_makes_the_client_sign_in_again_by_itself(launcher):
    sandbox = launcher.sandbox(name="hosted-revoke-sandbox")
    server = hosted_server(launcher, sandbox, name="hosted-revoke")
    try:
        user = SdkUser(server)
        async with user.client() as client:
            t = await Tools.connect(client)
            await t.ok("get_profile")
            # The user removes the app's access at Spotify: its tokens of this user die.
            r = httpx.post(f"{sandbox.base_url}/sandbox/tokens/revoke", json={"user": "premium"}, timeout=5)
            assert r.json()["refresh_tokens_revoked"] >= 1, r.text
            # The call that finds out says so; the grant is revoked at once...
            await t.err("get_playback_state", {}, "sign")
            assert user.sign_ins == 1
            # ...so the next request is answered 401 and the SDK signs the user in again.
            await t.ok("get_playback_state")
            assert user.sign_ins == 2
        await user.browser.aclose()
    finally:
        server.stop()
        sandbox.stop()


async def test_an_account_not_on_the_development_mode_allow_list_gets_a_clear_page(launcher):
    sandbox = launcher.sandbox(name="hosted-allowlist-sandbox")
    server = hosted_server(launcher, sandbox, name="hosted-allowlist")
    try:
        r = httpx.put(f"{sandbox.base_url}/sandbox/allowlist", json={"users": ["premium"]}, timeout=5)
        assert r.status_code == 200, r.text
        raw = RawClient(server)
        browser = Browser(user="free")
        r = await browser.callback(raw.authorize_url())
        assert r.status_code == 403 and "location" not in r.headers, r.status_code
        assert "Development Mode" in r.text and "Users Management" in r.text
        # No code was issued, so nothing can be redeemed; the listed user still signs in.
        assert (await Browser(user="premium").sign_in(raw.authorize_url())).startswith(raw.redirect_uri)
        metrics = httpx.get(f"{server.base_url}/metrics", timeout=5).text
        assert 'spotify_mcp_oauth_events_total{event="sign_in",result="not_allow_listed"} 1' in metrics
        await browser.aclose()
    finally:
        server.stop()
        sandbox.stop()


def test_the_readme_command_starts_a_hosted_sandbox_that_asks_clients_to_sign_in(launcher):
    """The README's hosted-mode command, run as written but on a free port."""
    import re
    import shlex

    from harness import REPO_ROOT, ServerProcess, clean_env, free_port

    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("## Hosted mode"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    (command,) = [line for line in block.splitlines() if line.startswith("spotify-mcp-server")]
    port = free_port()
    argv = [str(launcher.binary), *shlex.split(command.replace("8000", str(port)))[1:], "--port", str(port)]
    server = ServerProcess("readme-hosted", argv, clean_env(None, launcher.home), launcher._log_path("readme-hosted"), port=port).start()
    try:
        server.wait_http("/readyz")
        r = mcp_post(server, None)
        assert r.status_code == 401 and "resource_metadata" in r.headers["www-authenticate"]
        meta = httpx.get(f"{server.base_url}/.well-known/oauth-authorization-server", timeout=5).json()
        assert meta["issuer"] == f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_registration_and_authorization_floods_are_turned_away(launcher, fake_spotify):
    """Each registration is kept 90 days and each authorization request 10 minutes: a replica
    takes a bounded number of them (a burst, then a few per second) and answers 429 beyond."""
    server = hosted_server(launcher, fake_spotify, name="hosted-flood")
    try:
        body = {"client_name": "flood", "redirect_uris": ["http://127.0.0.1:9/cb"]}
        with httpx.Client(timeout=10) as http:
            codes = [http.post(f"{server.base_url}/oauth/register", json=body).status_code for _ in range(80)]
            assert codes.count(201) >= 50 and codes.count(429) >= 10, codes
            r = http.post(f"{server.base_url}/oauth/register", json=body)
            assert r.status_code == 429 and r.headers["retry-after"] == "2", r.text
            assert r.json()["error"] == "temporarily_unavailable"
            url = f"{server.base_url}/oauth/authorize?client_id=smcp_client_none"
            codes = [http.get(url).status_code for _ in range(260)]
            assert codes.count(400) >= 200 and codes.count(429) >= 20, codes
        metrics = httpx.get(f"{server.base_url}/metrics", timeout=5).text
        assert 'spotify_mcp_oauth_events_total{event="client_registered",result="rate_limited"}' in metrics
    finally:
        server.stop()
