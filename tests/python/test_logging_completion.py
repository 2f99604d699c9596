"""MCP logging (`logging/setLevel`, `notifications/message`) and completions
(`completion/complete`) through the official SDK, against the real binary over stdio with its
built-in sandbox."""

from __future__ import annotations

import asyncio

import pytest

from harness import STARTED, ServerProcess

pytestmark = [
    pytest.mark.anyio,
    # MCP logging is deprecated from protocol 2026-07-28 on; 2025-11-25 sessions still have it.
    pytest.mark.filterwarnings("ignore:The logging capability is deprecated"),
]


def _client(launcher, messages: list):
    from mcp import Client
    from mcp.client.stdio import stdio_client

    params, log_path = launcher.stdio_params()
    STARTED.append(ServerProcess("stdio", [params.command, *params.args], {}, log_path))
    errlog = open(log_path, "w")

    async def on_log(params) -> None:
        messages.append(params)

    client = Client(
        stdio_client(params, errlog=errlog),
        mode="legacy",
        read_timeout_seconds=60,
        logging_callback=on_log,
    )
    return client, errlog


async def _wait_for(messages: list, predicate, timeout: float = 10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = [m for m in messages if predicate(m)]
        if found:
            return found
        await asyncio.sleep(0.05)
    return []


async def test_capabilities_completions_and_log_messages(launcher):
    from mcp.types import PromptReference, ResourceTemplateReference

    messages: list = []
    client, errlog = _client(launcher, messages)
    with errlog:
        async with client:
            caps = client.server_capabilities
            assert caps is not None and caps.logging is not None and caps.completions is not None, caps

            # Prompt argument: fixed moods, prefix first, case-insensitive.
            mood = await client.complete(PromptReference(name="dj_set"), {"name": "mood", "value": "SUN"})
            assert mood.completion.values[0] == "sunset", mood
            assert mood.completion.has_more is False and mood.completion.total == len(mood.completion.values)

            # Resource template: the user's playlists by name, answered with their IDs.
            mine = await client.call_tool("get_my_playlists", {"limit": 50})
            items = (mine.structured_content or {}).get("items") or []
            assert items, mine
            name, uri = items[0]["name"], items[0]["uri"]
            typed = name[:3].upper()
            found = await client.complete(
                ResourceTemplateReference(uri="spotify://playlist/{id}"), {"name": "id", "value": typed}
            )
            assert uri.rsplit(":", 1)[-1] in found.completion.values, (typed, found)
            assert len(found.completion.values) <= 100

            # No log messages before a level is set.
            failed = await client.call_tool("play", {"device_id": "no-such-device"})
            assert failed.is_error, failed
            await asyncio.sleep(0.3)
            assert messages == [], messages

            await client.set_logging_level("error")
            failed = await client.call_tool("play", {"device_id": "no-such-device"})
            assert failed.is_error, failed
            logged = await _wait_for(messages, lambda m: m.data.get("tool") == "play")
            assert logged, messages
            assert logged[0].level == "error" and logged[0].logger == "spotify-mcp", logged[0]
            assert "no-such-device" in logged[0].data["message"], logged[0]
            assert all(m.level in ("error", "critical", "alert", "emergency") for m in messages), messages


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_log_messages_and_completions_over_http(stack, mode):
    """A 2025-11-25 session sets its level with logging/setLevel; a 2026-07-28 client sends its
    level with each request. Either way a failed tool call reaches it as a log message, and a
    second client that asked for nothing gets none."""
    from mcp import Client
    from mcp.types import PromptReference

    messages: list = []
    quiet: list = []

    async def on_log(params) -> None:
        messages.append(params)

    async def on_quiet(params) -> None:
        quiet.append(params)

    level = None if mode == "legacy" else "error"
    async with Client(stack.mcp_url, mode=mode, read_timeout_seconds=60, logging_callback=on_log, log_level=level) as client:
        async with Client(stack.mcp_url, mode=mode, read_timeout_seconds=60, logging_callback=on_quiet) as other:
            if mode == "legacy":
                await client.set_logging_level("error")
            ranges = await client.complete(
                PromptReference(name="explain_my_taste"), {"name": "time_range", "value": "short"}
            )
            assert ranges.completion.values == ["short_term"], ranges
            failed = await client.call_tool("play", {"device_id": "no-such-device"})
            assert failed.is_error, failed
            logged = await _wait_for(messages, lambda m: m.data.get("tool") == "play")
            assert logged and logged[0].level == "error", messages
            failed = await other.call_tool("play", {"device_id": "no-such-device"})
            assert failed.is_error, failed
            await asyncio.sleep(0.3)
            assert quiet == [], quiet
