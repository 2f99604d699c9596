"""Progress of the long composite tool through the official Python SDK against the real binary:
create_playlist_from_queries reports one step per query searched, then the playlist's creation
and its items, to a client that passed a progress callback (HTTP in both protocol revisions and
stdio); and a call the client cancels midway stops searching Spotify and creates nothing (the
SDK sends notifications/cancelled when its caller abandons the call), counted at a recording
sandbox."""

from __future__ import annotations

import json

import anyio
import pytest

from harness import STARTED, ServerProcess, clean_env

pytestmark = [pytest.mark.anyio]


async def _run(client) -> list[tuple[float, float | None, str | None]]:
    found = await client.call_tool("search", {"query": "a", "types": ["track"], "limit": 5})
    names = [t["name"] for t in (found.structured_content or json.loads(found.content[0].text))["tracks"]]
    assert len(names) == 5, found
    steps: list = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        steps.append((progress, total, message))

    created = await client.call_tool(
        "create_playlist_from_queries", {"name": "progress", "queries": names}, progress_callback=on_progress
    )
    assert not created.is_error, created
    return steps


def _check(steps) -> None:
    assert [s[0] for s in steps] == [1, 2, 3, 4, 5, 6, 7], steps
    assert all(s[1] == 7 for s in steps), steps
    assert steps[0][2] == "searched 1 of 5 queries", steps
    assert steps[-1][2] == "added the tracks", steps


@pytest.fixture(scope="module")
def own_server(launcher):
    """`--sandbox` of its own: these tests create playlists."""
    server = launcher.http_server(name="progress-server")
    yield server
    server.stop()


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_progress_over_http(own_server, mode):
    from mcp import Client

    async with Client(own_server.mcp_url, mode=mode, read_timeout_seconds=60) as client:
        _check(await _run(client))


async def test_progress_over_stdio(launcher):
    from mcp import Client
    from mcp.client.stdio import stdio_client

    params, log_path = launcher.stdio_params()
    STARTED.append(ServerProcess("stdio", [params.command, *params.args], {}, log_path))
    with open(log_path, "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
            _check(await _run(client))


QUERIES = 100
LATENCY_MS = 200


@pytest.fixture(scope="module")
def slow_spotify(launcher):
    """A recording sandbox that answers every request after 200 ms: the 100 searches of one
    call (4 at a time) would take about 5 s."""
    spotify = launcher.sandbox(name="progress-cancel-sandbox")
    spotify.set_faults(latency_ms=LATENCY_MS)
    yield spotify
    spotify.stop()


async def _cancel_midway(client, spotify) -> None:
    """Cancel create_playlist_from_queries after its third progress step: Spotify's searches stop
    within the ones already sent, and no playlist is created."""

    def searches() -> int:
        return spotify.count_requests("/search")

    def playlist_writes() -> list:
        return [r for r in spotify.requests() if r["method"] == "POST" and "/playlists" in r["path"]]

    spotify.clear_requests()
    steps: list[float] = []
    with anyio.CancelScope() as scope:

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            steps.append(progress)
            if len(steps) == 3:
                scope.cancel()

        # Distinct queries: none is answered from the cache.
        queries = [f"cancel midway {i}" for i in range(QUERIES)]
        await client.call_tool(
            "create_playlist_from_queries",
            {"name": "cancelled midway", "queries": queries},
            progress_callback=on_progress,
        )
    assert scope.cancelled_caught, f"the call ended before it was cancelled: {steps}"
    # The searches already sent when the cancel arrived finish; then nothing more.
    await anyio.sleep(LATENCY_MS * 3 / 1000)
    after_cancel = searches()
    await anyio.sleep(2.0)
    assert searches() == after_cancel, f"{searches() - after_cancel} searches after the call was cancelled"
    # At 200 ms each, 4 at a time, 2.6 s after the cancel an uncancelled call would be past 50.
    assert after_cancel < QUERIES // 2, f"{after_cancel} of {QUERIES} queries searched: the cancel was not seen"
    assert playlist_writes() == [], playlist_writes()


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_cancel_stops_the_searches_over_http(launcher, slow_spotify, mode):
    from mcp import Client

    server = launcher.http_server_on(slow_spotify, name=f"progress-cancel-{mode}")
    try:
        async with Client(server.mcp_url, mode=mode, read_timeout_seconds=60) as client:
            await _cancel_midway(client, slow_spotify)
    finally:
        server.stop()


async def test_cancel_stops_the_searches_over_stdio(launcher, slow_spotify):
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    log_path = launcher.workdir / f"progress-cancel-stdio-{len(STARTED):03d}.log"
    params = StdioServerParameters(
        command=str(launcher.binary), args=["stdio"], env=clean_env(slow_spotify.spotify_env(), launcher.home)
    )
    STARTED.append(ServerProcess("stdio", [params.command, *params.args], {}, log_path))
    with open(log_path, "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
            await _cancel_midway(client, slow_spotify)
