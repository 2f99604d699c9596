"""Resources (list, read, templates) and prompts (list, get) through the official SDK."""

from __future__ import annotations

import json

import pytest

from harness import mcp_http
from world import SpotifyApi

pytestmark = pytest.mark.anyio

RESOURCES = ["spotify://player/now-playing", "spotify://player/devices", "spotify://player/queue", "spotify://me/playlists"]
TEMPLATES = ["spotify://playlist/{id}", "spotify://album/{id}", "spotify://artist/{id}", "spotify://track/{id}"]


def _text(read) -> str:
    parts = []
    for c in read.contents:
        text = getattr(c, "text", None)
        assert text is not None, f"resource content without text: {c}"
        parts.append(text)
    return "\n".join(parts)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_resources_are_listed_and_readable(stack, mode):
    async with mcp_http(stack.mcp_url, mode=mode) as client:
        listed = (await client.list_resources()).resources
        uris = {str(r.uri) for r in listed}
        missing = [u for u in RESOURCES if u not in uris]
        assert not missing, f"resources missing: {missing} (listed {sorted(uris)})"
        for r in listed:
            assert r.name, f"{r.uri}: no name"
            assert r.description, f"{r.uri}: no description"
        for uri in RESOURCES:
            read = await client.read_resource(uri)
            assert read.contents, f"{uri}: empty"
            for c in read.contents:
                assert str(c.uri) == uri
                if (c.mime_type or "").endswith("json"):
                    json.loads(c.text)


async def test_resource_contents_reflect_spotify(stack, spotify):
    api = SpotifyApi(spotify)
    devices = api.get("/me/player/devices")["devices"]
    playlists = api.get("/me/playlists", limit=10)["items"]
    async with mcp_http(stack.mcp_url) as client:
        text = _text(await client.read_resource("spotify://player/devices"))
        for d in devices:
            assert d["name"] in text
        text = _text(await client.read_resource("spotify://me/playlists"))
        for p in playlists[:5]:
            assert p["uri"] in text or p["name"] in text, f"playlist {p['name']} missing"


async def test_resource_templates_are_listed_and_resolve(stack, spotify):
    api = SpotifyApi(spotify)
    res = api.get("/search", q="a", type="track,album,artist", limit=1)
    playlist = api.get("/me/playlists", limit=1)["items"][0]
    samples = {
        "playlist": playlist,
        "album": res["albums"]["items"][0],
        "artist": res["artists"]["items"][0],
        "track": res["tracks"]["items"][0],
    }
    async with mcp_http(stack.mcp_url) as client:
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        missing = [t for t in TEMPLATES if t not in templates]
        assert not missing, f"templates missing: {missing} (listed {sorted(templates)})"
        for kind, obj in samples.items():
            text = _text(await client.read_resource(f"spotify://{kind}/{obj['id']}"))
            assert obj["name"] in text, f"spotify://{kind}/{obj['id']} does not mention {obj['name']!r}"


async def test_reading_an_unknown_or_malformed_resource_is_an_error(stack):
    from mcp import MCPError

    async with mcp_http(stack.mcp_url) as client:
        for uri in ("spotify://track/0000000000000000000000", "spotify://track/not-an-id!", "spotify://nothing/here"):
            with pytest.raises(MCPError) as info:
                await client.read_resource(uri)
            assert str(info.value), uri


async def test_prompts_are_listed_and_render(stack):
    async with mcp_http(stack.mcp_url) as client:
        prompts = (await client.list_prompts()).prompts
        assert len(prompts) >= 2, f"a few prompts expected, got {[p.name for p in prompts]}"
        for p in prompts:
            assert p.description, f"prompt {p.name}: no description"
            args = {a.name: "jazz for a rainy evening" for a in (p.arguments or []) if a.required}
            got = await client.get_prompt(p.name, args)
            assert got.messages, f"prompt {p.name}: no messages"
            text = json.dumps([m.model_dump(mode="json") for m in got.messages])
            assert len(text) > 40, f"prompt {p.name}: trivially short"
            if args:
                assert "jazz for a rainy evening" in text, f"prompt {p.name} ignores its argument"


async def test_prompt_errors(stack):
    from mcp import MCPError

    async with mcp_http(stack.mcp_url) as client:
        with pytest.raises(MCPError):
            await client.get_prompt("no_such_prompt", {})
        prompts = (await client.list_prompts()).prompts
        needing = [p for p in prompts if any(a.required for a in (p.arguments or []))]
        for p in needing:
            with pytest.raises(MCPError) as info:
                await client.get_prompt(p.name, {})
            required = [a.name for a in p.arguments if a.required]
            assert any(r in str(info.value) for r in required), f"{p.name}: error does not name the missing argument: {info.value}"
