"""A rotating refresh token renewed once for all replicas (issue 11): three server processes
share a real redis-server and one refresh token of the PKCE flow, which the sandbox rotates
(the old one dies when used) like Spotify does. When every replica's access token dies at once,
one replica renews and the others adopt its token: every call succeeds and the token endpoint
sees one renewal. Without the sharing the other replicas would present the dead refresh token
and ask the user to log in again."""

from __future__ import annotations

import base64
import hashlib
import secrets
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import anyio
import httpx
import pytest

from harness import SANDBOX_CLIENT_ID, mcp_http

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
import tooling  # noqa: E402

pytestmark = pytest.mark.anyio


def pkce_refresh_token(sandbox) -> str:
    """Logs in through the sandbox's authorize endpoint (PKCE): a refresh token that rotates."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = "http://127.0.0.1:9/callback"
    r = httpx.get(f"{sandbox.base_url}/authorize", params={
        "client_id": SANDBOX_CLIENT_ID, "response_type": "code", "redirect_uri": redirect,
        "code_challenge_method": "S256", "code_challenge": challenge,
    })
    assert r.status_code == 302, r.text
    code = parse_qs(urlparse(r.headers["Location"]).query)["code"][0]
    token = httpx.post(f"{sandbox.base_url}/api/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "client_id": SANDBOX_CLIENT_ID, "code_verifier": verifier,
    })
    assert token.status_code == 200, token.text
    return token.json()["refresh_token"]


def renewals(sandbox) -> int:
    return sandbox.count_requests("/api/token")


async def call(server, query: str) -> None:
    async with mcp_http(server.mcp_url) as client:
        result = await client.call_tool("search", {"query": query, "types": ["track"], "limit": 1})
        assert not result.is_error, result.content


async def test_a_rotating_refresh_token_is_renewed_once_for_all_replicas(launcher, tmp_path):
    redis = tooling.RedisServer(tmp_path / "redis")
    sandbox = launcher.sandbox(name="tokens-sandbox")
    refresh = pkce_refresh_token(sandbox)
    replicas = [
        launcher.http_server_on(sandbox, "--cache", redis.url, refresh_token=refresh, name=f"tokens-replica-{i}")
        for i in range(3)
    ]
    try:
        # The first replica renews; the others adopt its access token.
        before = renewals(sandbox)
        for i, server in enumerate(replicas):
            await call(server, f"first {i}")
        assert renewals(sandbox) - before == 1, "each replica renewed on its own"
        keys = redis.command("KEYS", "spotify-mcp:v1:tokens:*").decode(errors="replace")
        assert "tokens:" in keys, keys
        raw = redis.command("GET", keys.split("\r\n")[2]).decode(errors="replace")
        assert refresh not in raw and "access_token" not in raw, "the shared tokens are stored sealed"

        # Every access token dies at once: all three replicas need a new one together.
        r = httpx.post(f"{sandbox.base_url}/sandbox/tokens/revoke", json={"access_tokens": True})
        assert r.status_code == 200, r.text
        before = renewals(sandbox)
        async with anyio.create_task_group() as tasks:
            for i, server in enumerate(replicas):
                tasks.start_soon(call, server, f"after revoke {i}")
        assert renewals(sandbox) - before == 1, "the replicas renewed the rotating token more than once"
    finally:
        for server in replicas:
            server.stop()
        sandbox.stop()
        redis.stop()
