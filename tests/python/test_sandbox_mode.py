"""`--sandbox` conveniences of the server itself: the free user and request recording of the
in-process sandbox (whose address the server logs at start)."""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest

from harness import clean_env, free_port, mcp_http
from toolcalls import Tools

pytestmark = pytest.mark.anyio

SANDBOX_URL = re.compile(r"running against the built-in sandbox.*?(http://127\.0\.0\.1:\d+)/v1")


def sandbox_base(server) -> str:
    m = SANDBOX_URL.search(server.log())
    assert m, f"the server did not log the built-in sandbox's address:\n{server.log()[-2000:]}"
    return m.group(1)


@pytest.mark.parametrize("how", ["flag", "env"])
async def test_sandbox_free_user_gets_premium_required(launcher, how):
    if how == "flag":
        server = launcher.http_server("--sandbox-free-user", name="sandbox-free-flag")
    else:
        server = launcher.http_server(name="sandbox-free-env", env={"SPOTIFY_MCP_SANDBOX_FREE_USER": "true"})
    try:
        async with mcp_http(server.mcp_url) as client:
            t = await Tools.connect(client)
            await t.ok("get_profile")
            await t.err("pause", {}, "premium")
    finally:
        server.stop()


async def test_sandbox_record_requests_exposes_the_exchanges(launcher):
    server = launcher.http_server("--sandbox-record-requests", name="sandbox-record")
    try:
        async with mcp_http(server.mcp_url) as client:
            t = await Tools.connect(client)
            await t.ok("get_profile")
        base = sandbox_base(server)
        log = httpx.get(f"{base}/sandbox/requests", timeout=5).json()["requests"]
        assert any(e["method"] == "GET" and e["path"] == "/v1/me" and e["status"] == 200 for e in log), log[-5:]
        assert all("sandbox-refresh-token" not in str(e) for e in log), "a token leaked into the request log"
    finally:
        server.stop()


async def test_sandbox_only_options_need_sandbox(binary, tmp_path):
    r = subprocess.run(
        [str(binary), "--port", str(free_port()), "--sandbox-free-user"],
        env=clean_env(None, tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode != 0, "--sandbox-free-user without --sandbox should be refused"
    assert "sandbox" in r.stderr


async def test_sandbox_subcommand_is_seeded_and_deterministic(launcher):
    from world import SpotifyApi

    def catalog(sb) -> list[str]:
        api = SpotifyApi(sb)
        return [t["track"]["uri"] for t in api.get("/me/tracks", limit=20)["items"]] + [
            a["uri"] for a in api.get("/search", q="the", type="album", limit=10)["albums"]["items"]
        ]

    a = launcher.sandbox("--seed", "7", name="seed-7a", record=False)
    b = launcher.sandbox("--seed", "7", name="seed-7b", record=False)
    c = launcher.sandbox("--seed", "8", name="seed-8", record=False)
    try:
        first, second, other = catalog(a), catalog(b), catalog(c)
        assert first and first == second, "the same seed must give the same catalog"
        assert other != first, "another seed should give another catalog"
    finally:
        for sb in (a, b, c):
            sb.stop()


async def test_options_work_before_the_stdio_subcommand(launcher, binary, tmp_path):
    """Issue 14: `spotify-mcp-server --sandbox stdio` was refused while `stdio --sandbox` worked.
    The shared options now go on either side; an option of the HTTP server alone is still refused
    with a subcommand, saying why."""
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=str(binary),
        args=["--sandbox", "--toolsets", "profile", "stdio", "--read-only"],
        env=clean_env(None, tmp_path),
    )
    with open(tmp_path / "stdio-options-first.log", "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
            t = await Tools.connect(client)
            await t.ok("get_profile")
            names = {tool.name for tool in (await client.list_tools()).tools}
    assert "get_profile" in names and "search" not in names, names

    r = subprocess.run(
        [str(binary), "--bind", "0.0.0.0", "stdio", "--sandbox"],
        env=clean_env(None, tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "'--bind' is an option of the HTTP server" in r.stderr, r.stderr
