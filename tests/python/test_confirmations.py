"""Confirmations of destructive tools through the official Python SDK against the real binary:
a client with elicitation is asked before playlist items or saved items are removed (a
2025-11-25 session by elicitation/create, 2026-07-28 by an input_required result the SDK answers
and retries), and only a confirmed call changes anything; a client without elicitation is not
asked."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.anyio]


@pytest.fixture(scope="module")
def confirming(launcher):
    """A sandbox of its own (these tests edit playlists) and a server on it."""
    spotify = launcher.sandbox(name="confirmations-sandbox")
    server = launcher.http_server_on(spotify, name="confirmations-server")
    yield server
    server.stop()
    spotify.stop()


def _structured(result) -> dict:
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(result.content[0].text)


async def _playlist_with_two_tracks(client) -> tuple[str, list[str]]:
    found = _structured(await client.call_tool("search", {"query": "a", "types": ["track"], "limit": 2}))
    tracks = [t["uri"] for t in found["tracks"]]
    created = _structured(await client.call_tool("create_playlist", {"name": "confirm me"}))
    playlist = created["uri"]
    added = await client.call_tool("add_playlist_items", {"playlist": playlist, "uris": tracks})
    assert not added.is_error, added
    return playlist, tracks


async def _count(client, playlist: str) -> int:
    items = _structured(await client.call_tool("get_playlist_items", {"playlist": playlist}))
    return len(items["items"])


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_removal_is_confirmed_first(confirming, mode):
    from mcp import Client

    asked: list = []
    reply: dict = {"answer": {"confirm": False}, "action": "accept"}

    async def on_elicit(context, params):
        from mcp.types import ElicitResult

        asked.append(params)
        return ElicitResult(action=reply["action"], content=reply["answer"])

    async with Client(confirming.mcp_url, mode=mode, read_timeout_seconds=60, elicitation_callback=on_elicit) as client:
        playlist, tracks = await _playlist_with_two_tracks(client)
        assert asked == [], "adding items needs no confirmation"

        # "No": nothing removed, and the answer says so.
        refused = await client.call_tool("remove_playlist_items", {"playlist": playlist, "uris": tracks[:1]})
        assert refused.is_error, refused
        assert "Nothing was changed" in refused.content[0].text, refused
        assert len(asked) == 1, asked
        question = asked[0].message
        assert "confirm me" in question and "1 item" in question, question
        assert await _count(client, playlist) == 2

        # Declined: nothing removed either.
        reply.update(action="decline", answer=None)
        declined = await client.call_tool("remove_playlist_items", {"playlist": playlist, "uris": tracks[:1]})
        assert declined.is_error and "declined" in declined.content[0].text, declined
        assert await _count(client, playlist) == 2

        # "Yes": removed.
        reply.update(action="accept", answer={"confirm": True})
        removed = await client.call_tool("remove_playlist_items", {"playlist": playlist, "uris": tracks[:1]})
        assert not removed.is_error, removed
        assert await _count(client, playlist) == 1

        # Replacing all items is asked the same way.
        asked.clear()
        replaced = await client.call_tool("reorder_playlist_items", {"playlist": playlist, "replace_with": []})
        assert not replaced.is_error, replaced
        assert len(asked) == 1 and "Remove all items" in asked[0].message, asked
        assert await _count(client, playlist) == 0

        # So is removing saved items.
        asked.clear()
        reply.update(action="cancel", answer=None)
        kept = await client.call_tool("remove_from_library", {"uris": tracks[1:]})
        assert kept.is_error and "Nothing was changed" in kept.content[0].text, kept
        assert len(asked) == 1 and "library" in asked[0].message, asked


async def test_without_elicitation_the_tool_just_runs(confirming):
    from mcp import Client

    async with Client(confirming.mcp_url, mode="legacy", read_timeout_seconds=60) as client:
        playlist, tracks = await _playlist_with_two_tracks(client)
        removed = await client.call_tool("remove_playlist_items", {"playlist": playlist, "uris": tracks})
        assert not removed.is_error, removed
        assert await _count(client, playlist) == 0
