"""Hosted mode (`--oauth`) signed in to through the official TypeScript SDK's OAuth client
provider (both lines pinned in scripts/mcp-clients.sh, on Node 22), by
tests/clients/ts_oauth_client.mjs: an OAuthClientProvider that keeps everything in memory and
whose redirectToAuthorization is a browser by hand (consent page, Approve, the sandbox's
/authorize, our callback, with the sign-in cookie).

What the SDK does on its own is what is checked here: from a bare 401 it finds the metadata,
registers, builds the authorization URL (PKCE S256, state, resource, the scopes of the
challenge), throws UnauthorizedError from connect(), redeems the code in finishAuth (the 2.x
client also checks `iss` against the issuer it discovered), and the token it keeps opens /mcp
for tools/list and tools/call on the next connection and the one after, with one sign-in; when
the access token stops working it refreshes (the server rotates the refresh token) instead of
sending the person to sign in again."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from harness import REPO_ROOT, STARTED, ServerProcess, clean_env
from node_clients import client_paths, run_node
from oauth_flow import hosted_server
from surface import DEFAULT_TOOLS

SCRIPT = REPO_ROOT / "tests" / "clients" / "ts_oauth_client.mjs"
# (package, era, protocol revision): the 1.x SDK speaks up to 2025-11-25; the 2.x client pinned
# to 2026-07-28, and in its legacy era (the initialize handshake).
LINES = {
    "sdk-1.32.2": ("sdk", "legacy", "2025-11-25"),
    "client-2.4.0-modern": ("client", "modern", "2026-07-28"),
    "client-2.4.0-legacy": ("client", "legacy", "2025-11-25"),
}


@pytest.fixture(scope="module")
def fake_spotify(launcher):
    sb = launcher.sandbox(name="ts-oauth-sandbox")
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def hosted(launcher, fake_spotify):
    server = hosted_server(launcher, fake_spotify, name="hosted-ts")
    yield server
    server.stop()


def sign_in(hosted, launcher, tmp_path: Path, package: str, era: str, user: str = "premium") -> dict:
    """Runs the script against the hosted server: its JSON report."""
    sdk = client_paths("SPOTIFY_MCP_TS_CLIENT_DIR")["SPOTIFY_MCP_TS_CLIENT_DIR"]
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    run = run_node(
        str(SCRIPT), "--sdk", sdk, "--package", package, "--era", era, "--user", user, "--http", hosted.mcp_url,
        env=clean_env(None, home), cwd=tmp_path, timeout=120,
    )
    # The script's stderr (the SDK's warnings) goes with a failure like a server's log.
    log = launcher.workdir / f"ts-oauth-{package}-{era}-{len(STARTED):03d}.log"
    log.write_text(run.stderr)
    STARTED.append(ServerProcess(f"ts-oauth-{package}-{era}", [str(SCRIPT)], {}, log))
    assert run.returncode == 0, f"exit {run.returncode}\nstdout: {run.stdout[-3000:]}\nstderr: {run.stderr[-3000:]}"
    return json.loads(run.stdout)


def sign_ins_counted(hosted) -> float:
    """The server's count of successful sign-ins."""
    metrics = httpx.get(f"{hosted.base_url}/metrics", timeout=5).text
    prefix = 'spotify_mcp_oauth_events_total{event="sign_in",result="ok"} '
    return next((float(m[len(prefix):]) for m in metrics.splitlines() if m.startswith(prefix)), 0.0)


def ok(report: dict, step: str):
    got = report["steps"].get(step)
    assert got is not None, f"the script did not run {step!r}: {sorted(report['steps'])}"
    assert "error" not in got, f"{step}: {got['error']}\nreport: {json.dumps(report)[:3000]}"
    return got["result"]


@pytest.mark.parametrize("line", LINES)
def test_the_ts_sdk_signs_a_user_in_and_works_as_them(line, hosted, launcher, tmp_path):
    package, era, revision = LINES[line]
    before = sign_ins_counted(hosted)
    report = sign_in(hosted, launcher, tmp_path, package, era)
    assert sign_ins_counted(hosted) == before + 1
    assert line.startswith(f"{package}-{report['sdkVersion']}"), (report["package"], report["sdkVersion"])

    # connect() without tokens: one sign-in, then UnauthorizedError.
    assert report["signIns"] == 1, report
    assert report["firstConnect"].get("unauthorized") is True, report["firstConnect"]

    # What the SDK put in the authorization URL, from the metadata alone.
    auth = report["authorizationUrl"]
    assert auth["response_type"] == "code" and auth["code_challenge_method"] == "S256", auth
    assert auth["resource"] == hosted.mcp_url and auth["redirect_uri"] == "http://127.0.0.1:9/callback", auth
    assert auth["client_id"] == report["registered"]["client_id"] and auth["client_id"].startswith("smcp_client_"), auth
    assert "user-read-private" in auth["scope"].split(), auth
    # The browser's hops, every one as a person's browser would see it; the cookie of the
    # consent page goes back to the decision and the callback, never to Spotify.
    hops = [(h["method"], h["url"].removeprefix(hosted.base_url), h["status"], h["cookieSent"]) for h in report["hops"]]
    assert hops[0] == ("GET", "/oauth/authorize", 200, False), hops
    assert hops[1] == ("POST", "/oauth/authorize/decision", 303, True), hops
    assert hops[2][0] == "GET" and hops[2][1].endswith("/authorize") and hops[2][3] is False, hops
    assert hops[3][:2] == ("GET", "/oauth/callback") and hops[3][2] in (302, 303) and hops[3][3] is True, hops
    assert report["cookieOrigins"] == [hosted.base_url], report["cookieOrigins"]
    assert report["consent"] == {"hasApprove": True, "hasDeny": True, "clientName": True}, report["consent"]
    callback = report["callback"]
    assert callback["params"] == ["code", "iss", "state"] and callback["stateMatches"], callback
    assert callback["iss"] == hosted.base_url, callback

    tokens = ok(report, "finishAuth")
    assert tokens["token_type"] == "Bearer" and tokens["access"] == "smcp_at_" and tokens["refresh"] == "smcp_rt_", tokens

    connected = ok(report, "connect with tokens")
    assert connected["protocolVersion"] == revision and connected["serverName"] == "spotify-mcp-server", connected
    tools = ok(report, "tools/list")
    assert not set(DEFAULT_TOOLS) - set(tools), sorted(set(DEFAULT_TOOLS) - set(tools))
    profile = ok(report, "tools/call get_profile")
    assert profile["isError"] is False and profile["structuredContent"]["id"] == "sandboxlistener", profile

    # The next connection uses the kept token: no second sign-in.
    again = ok(report, "reconnect")
    assert again["id"] == "sandboxlistener" and again["protocolVersion"] == revision, again
    # An access token the server does not know (as after a revocation of it alone, or its
    # expiry): the 401 makes the SDK refresh, the refresh token rotates, still one sign-in.
    refreshed = ok(report, "reconnect with a bad access token")
    assert refreshed == {"id": "sandboxlistener", "signIns": 1, "refreshRotated": True, "accessReplaced": True}, refreshed
    assert report["signIns"] == 1, report["signIns"]


def test_the_ts_sdk_signs_in_the_free_user_as_themselves(hosted, launcher, tmp_path):
    """The sandbox's free user (its /authorize with sandbox_user=free): the tools run as that
    user, not as the Premium user whom everyone else here signs in as."""
    report = sign_in(hosted, launcher, tmp_path, "client", "modern", user="free")
    profile = ok(report, "tools/call get_profile")
    assert profile["isError"] is False, profile
    assert profile["structuredContent"]["id"] not in ("", "sandboxlistener"), profile
    assert ok(report, "reconnect")["id"] == profile["structuredContent"]["id"]

