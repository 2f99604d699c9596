"""Hosted mode (`--oauth`) test helpers: a server in hosted mode, a headless "browser" that goes
through the consent page and the (fake) Spotify sign-in, and the official SDK's OAuth client
provider wired to it.

The browser is plain HTTP with a cookie jar and no redirect following, so every hop is seen:
consent page (200 HTML) -> decision (303 to Spotify's /authorize) -> the sandbox approves at once
(redirect to our /oauth/callback) -> callback (redirect to the client's redirect_uri with code,
state and iss). The client's redirect_uri is never opened: its query is the result."""

from __future__ import annotations

import contextlib
import html
import re
from dataclasses import dataclass, field
from typing import Any, AsyncIterator
from urllib.parse import parse_qs, urlencode, urlparse, urlsplit, urlunsplit

import httpx

from harness import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    Launcher,
    SandboxProcess,
    ServerProcess,
    clean_env,
    free_port,
)

REDIRECT_URI = "http://127.0.0.1:9/callback"
FORM_FIELD = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"')


def hosted_server(
    launcher: Launcher,
    spotify: SandboxProcess,
    *args: str,
    name: str = "hosted",
    env: dict[str, str] | None = None,
    public_url: str | None = None,
) -> ServerProcess:
    """`spotify-mcp-server --oauth --public-url http://127.0.0.1:P --port P ARGS`, configured
    like a deployment (client ID and secret, base URLs) against the standalone sandbox, and with
    no refresh token: every user signs in. `public_url` (default: its own address) is where
    clients reach it, the same for every replica behind one name."""
    full = {
        "SPOTIFY_CLIENT_ID": SANDBOX_CLIENT_ID,
        "SPOTIFY_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "SPOTIFY_API_BASE_URL": f"{spotify.base_url}/v1",
        "SPOTIFY_ACCOUNTS_BASE_URL": spotify.base_url,
        **(env or {}),
    }
    port = free_port()
    argv = [
        str(launcher.binary),
        "--oauth",
        "--public-url",
        public_url or f"http://127.0.0.1:{port}",
        "--port",
        str(port),
        *args,
    ]
    server = ServerProcess(name, argv, clean_env(full, launcher.home), launcher._log_path(name), port=port).start()
    server.wait_http("/readyz")
    return server


@dataclass
class Browser:
    """A person's browser: a cookie jar, no redirect following. `user` picks the sandbox user
    (the sandbox signs in the Premium user unless `sandbox_user=free` is on its /authorize)."""

    user: str = "premium"
    pages: list[str] = field(default_factory=list)
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(follow_redirects=False, timeout=15))

    async def consent(self, authorize_url: str) -> dict[str, str]:
        """Opens the authorization URL: the consent page's hidden fields."""
        r = await self.http.get(authorize_url)
        assert r.status_code == 200, f"consent page: HTTP {r.status_code}: {r.text[:500]}"
        self.pages.append(r.text)
        return {k: html.unescape(v) for k, v in FORM_FIELD.findall(r.text)}

    async def decide(self, authorize_url: str, fields: dict[str, str], decision: str) -> httpx.Response:
        url = urlparse(authorize_url)
        action = f"{url.scheme}://{url.netloc}/oauth/authorize/decision"
        return await self.http.post(action, data={**fields, "decision": decision})

    async def callback(self, authorize_url: str) -> httpx.Response:
        """Approves, passes Spotify, and returns our /oauth/callback's answer."""
        fields = await self.consent(authorize_url)
        r = await self.decide(authorize_url, fields, "approve")
        assert r.status_code in (302, 303), f"decision: HTTP {r.status_code}: {r.text[:500]}"
        spotify = r.headers["location"]
        if self.user != "premium":
            spotify += "&" + urlencode({"sandbox_user": self.user})
        r = await self.http.get(spotify)
        assert r.status_code in (302, 303, 307), f"Spotify /authorize: HTTP {r.status_code}: {r.text[:300]}"
        return await self.http.get(r.headers["location"])

    async def sign_in(self, authorize_url: str) -> str:
        """The whole sign-in with approval: the client's redirect URL with its code."""
        r = await self.callback(authorize_url)
        assert r.status_code in (302, 303), f"callback: HTTP {r.status_code}: {r.text[:800]}"
        return r.headers["location"]

    async def aclose(self) -> None:
        await self.http.aclose()


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class MemoryTokens:
    """The SDK's TokenStorage, in memory."""

    def __init__(self) -> None:
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens) -> None:
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info) -> None:
        self.client_info = client_info


class SdkUser:
    """One person using the official Python SDK's OAuth client provider: their storage (kept
    across connections), their browser, and how many times they were sent to sign in."""

    def __init__(self, server: ServerProcess, user: str = "premium", name: str = "pytest client"):
        self.server = server
        self.browser = Browser(user=user)
        self.storage = MemoryTokens()
        self.sign_ins = 0
        self.name = name
        self._pending: str | None = None

    def provider(self):
        from mcp.client.auth import OAuthClientProvider
        from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

        async def redirect_handler(url: str) -> None:
            self.sign_ins += 1
            self._pending = await self.browser.sign_in(url)

        async def callback_handler() -> AuthorizationCodeResult:
            assert self._pending is not None
            q = query(self._pending)
            assert "code" in q, f"no code in {self._pending}"
            return AuthorizationCodeResult(code=q["code"], state=q.get("state"), iss=q.get("iss"))

        metadata = OAuthClientMetadata(
            client_name=self.name,
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        )
        return OAuthClientProvider(
            server_url=self.server.mcp_url,
            client_metadata=metadata,
            storage=self.storage,
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
        )

    @contextlib.asynccontextmanager
    async def client(self, mode: str = "auto") -> AsyncIterator[Any]:
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        async with create_mcp_http_client(auth=self.provider()) as http_client:
            transport = streamable_http_client(self.server.mcp_url, http_client=http_client)
            async with Client(transport, mode=mode, read_timeout_seconds=60) as client:
                yield client


def pkce() -> tuple[str, str]:
    import base64
    import hashlib
    import secrets

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class RawClient:
    """An OAuth client by hand (raw HTTP), for the negative cases the SDK never sends."""

    def __init__(self, server: ServerProcess, redirect_uri: str = REDIRECT_URI, issuer: str | None = None):
        self.server = server
        self.redirect_uri = redirect_uri
        # Where clients know the server by (its --public-url): the issuer and the resource.
        self.issuer = issuer or server.base_url
        self.resource = f"{self.issuer}/mcp"
        r = httpx.post(
            f"{server.base_url}/oauth/register",
            json={"client_name": "raw client", "redirect_uris": [redirect_uri], "token_endpoint_auth_method": "none"},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        self.client_id = r.json()["client_id"]
        self.verifier, self.challenge = pkce()

    def authorize_url(self, **overrides: str) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            "state": "client-state-1",
            "resource": self.resource,
        }
        params.update(overrides)
        params = {k: v for k, v in params.items() if v is not None}
        return f"{self.server.base_url}/oauth/authorize?{urlencode(params)}"

    async def code(self, browser: Browser | None = None) -> str:
        browser = browser or Browser()
        back = await browser.sign_in(self.authorize_url())
        q = query(back)
        assert q.get("state") == "client-state-1" and q.get("iss") == self.issuer, back
        return q["code"]

    def redeem(self, code: str, **overrides: str) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self.verifier,
            "resource": self.resource,
        }
        form.update(overrides)
        return httpx.post(f"{self.server.base_url}/oauth/token", data={k: v for k, v in form.items() if v is not None}, timeout=10)

    def refresh(self, refresh_token: str, **overrides: str) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self.client_id}
        form.update(overrides)
        return httpx.post(f"{self.server.base_url}/oauth/token", data=form, timeout=10)

    async def tokens(self) -> dict[str, Any]:
        r = self.redeem(await self.code())
        assert r.status_code == 200, r.text
        return r.json()


def mcp_post(server: ServerProcess, token: str | None, body: dict[str, Any] | None = None) -> httpx.Response:
    """One request to /mcp (an `initialize` unless `body` says otherwise) with `token` as the
    bearer."""
    from rawhttp import initialize_body

    body = body or initialize_body()
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    version = ((body.get("params") or {}).get("_meta") or {}).get("io.modelcontextprotocol/protocolVersion")
    if version:
        headers["mcp-protocol-version"] = version
        headers["mcp-method"] = body["method"]
        name = (body.get("params") or {}).get("name")
        if name:
            headers["mcp-name"] = name
    if token:
        headers["authorization"] = f"Bearer {token}"
    return httpx.post(server.mcp_url, json=body, headers=headers, timeout=15)
