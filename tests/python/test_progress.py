"""Progress of the long composite tool through the official Python SDK against the real binary:
create_playlist_from_queries reports one step per query searched, then the playlist's creation
and its items, to a client that passed a progress callback (HTTP in both protocol revisions and
stdio)."""

from __future__ import annotations

import json

import pytest

from harness import STARTED, ServerProcess

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
