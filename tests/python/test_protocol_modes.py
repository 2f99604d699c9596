"""The same MCP conversation over every way a client can reach the server: streamable HTTP at
2026-07-28 (stateless), streamable HTTP at 2025-11-25 (sessionful), and stdio."""

from __future__ import annotations

import contextlib
import json

import httpx
import jsonschema
import pytest

from harness import LEGACY, MODERN, mcp_http, mcp_stdio
from surface import DEFAULT_TOOLS
from world import uris_in

pytestmark = pytest.mark.anyio

TRANSPORTS = ["http-2026-07-28", "http-2025-11-25", "stdio"]


@contextlib.asynccontextmanager
async def connect(transport: str, sandbox_server, launcher):
    if transport == "http-2026-07-28":
        async with mcp_http(sandbox_server.mcp_url) as client:
            assert client.protocol_version == MODERN, f"default mode negotiated {client.protocol_version}"
            yield client
    elif transport == "http-2025-11-25":
        async with mcp_http(sandbox_server.mcp_url, mode="legacy") as client:
            assert client.protocol_version == LEGACY, f"legacy mode negotiated {client.protocol_version}"
            yield client
    else:
        async with mcp_stdio(launcher) as client:
            yield client


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_conversation_over_transport(transport, sandbox_server, launcher):
    async with connect(transport, sandbox_server, launcher) as client:
        caps = client.server_capabilities
        assert caps.tools is not None, "server does not announce tools"
        assert caps.resources is not None, "server does not announce resources"
        assert caps.prompts is not None, "server does not announce prompts"

        tools = (await client.list_tools()).tools
        names = {t.name for t in tools}
        missing = sorted(set(DEFAULT_TOOLS) - names)
        assert not missing, f"{transport}: tools missing: {missing}"

        profile = await client.call_tool("get_profile", {})
        assert not profile.is_error, profile
        schema = next(t for t in tools if t.name == "get_profile").output_schema
        assert profile.structured_content is not None
        jsonschema.validate(profile.structured_content, schema)

        saved = await client.call_tool("get_saved_items", {"type": "tracks", "limit": 2})
        assert not saved.is_error, saved
        tracks = uris_in(saved.structured_content, "track")
        assert tracks, f"no saved track: {saved.structured_content}"
        item = await client.call_tool("get_item", {"id": tracks[0]})
        assert not item.is_error, item
        assert tracks[0] in json.dumps(item.structured_content)
        found = await client.call_tool("search", {"query": "a", "types": ["track", "album"], "limit": 3})
        assert not found.is_error, found

        resources = (await client.list_resources()).resources
        assert any(str(r.uri) == "spotify://me/playlists" for r in resources), [str(r.uri) for r in resources]
        read = await client.read_resource("spotify://me/playlists")
        assert read.contents, "spotify://me/playlists has no contents"

        prompts = (await client.list_prompts()).prompts
        assert prompts, "no prompts"


async def test_legacy_mode_uses_a_session_and_modern_mode_does_not(sandbox_server):
    seen: list[dict] = []

    async def on_response(response):
        seen.append({"session": response.headers.get("mcp-session-id"), "path": response.request.url.path})

    async with mcp_http(sandbox_server.mcp_url, mode="legacy", event_hooks={"response": [on_response]}) as client:
        await client.list_tools()
    assert any(s["session"] for s in seen), "2025-11-25 initialize returned no Mcp-Session-Id"

    seen.clear()
    async with mcp_http(sandbox_server.mcp_url, event_hooks={"response": [on_response]}) as client:
        assert client.protocol_version == MODERN
        await client.list_tools()
        await client.call_tool("get_profile", {})
    assert seen and not any(s["session"] for s in seen), f"2026-07-28 answers carried a session id: {seen}"


async def test_any_replica_answers_a_2026_request(sandbox_server, launcher):
    """Capture a stateless tools/call sent to one server and replay it, byte for byte, to a
    second server that never saw this client: it must answer it."""
    captured: list[tuple[dict, bytes]] = []

    async def on_request(request):
        body = request.content
        if b'"tools/call"' in body:
            captured.append(({k: v for k, v in request.headers.items()}, body))

    async with mcp_http(sandbox_server.mcp_url, event_hooks={"request": [on_request]}) as client:
        assert client.protocol_version == MODERN
        first = await client.call_tool("get_profile", {})
        assert not first.is_error
    assert captured, "no tools/call request seen on the wire"
    headers, body = captured[-1]
    replica = launcher.http_server(name="replica")
    try:
        headers = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
        r = httpx.post(replica.mcp_url, content=body, headers=headers, timeout=10)
        assert r.status_code == 200, f"replica answered {r.status_code}: {r.text[:300]}"
        from rawhttp import messages

        msgs = [m for m in messages(r) if "result" in m or "error" in m]
        assert msgs and "result" in msgs[-1], f"replica did not answer the call: {r.text[:300]}"
        assert msgs[-1]["result"].get("isError") is not True, msgs[-1]
    finally:
        replica.stop()
