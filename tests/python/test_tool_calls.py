"""Every default tool called through the official SDK over streamable HTTP (2026-07-28), at
least once successfully and at least once on an error path. Successful results must validate
against the tool's outputSchema, and their effect is checked through the sandbox's Web API
(what Spotify itself would report), not through the tool's own word."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from harness import mcp_http
from surface import DEFAULT_TOOLS
from toolcalls import Tools
from world import SpotifyApi, World, uris_in

pytestmark = pytest.mark.anyio

# A 1x1 baseline JPEG.
TINY_JPEG_B64 = (
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////"
    "////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA="
)
NOWHERE = "0000000000000000000000"  # a well-formed ID no catalog holds


@dataclass
class Ctx:
    t: Tools
    w: World
    api: SpotifyApi
    state: dict[str, Any]
    sandbox: Any
    uncached_url: str
    # Starts another uncached server: a 429 holds every later call of the server that got it
    # (Retry-After is remembered per client ID), so each rate-limit case gets a server of its own.
    fresh_uncached: Callable[[], Any] | None = None


@pytest.fixture(scope="module")
def api(spotify) -> SpotifyApi:
    return SpotifyApi(spotify)


@pytest.fixture(scope="module")
def world(api) -> World:
    return api.discover()


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    """What earlier tests created (a playlist), for later ones."""
    return {}


@pytest.fixture(scope="module")
def uncached(launcher, spotify):
    """A second server on the same sandbox without a response cache, so every call reaches
    the (fault-injecting) sandbox."""
    server = launcher.http_server_on(spotify, "--cache", "none", name="server-uncached")
    yield server
    server.stop()


@pytest.fixture
async def ctx(stack, uncached, spotify, world, api, state, launcher):
    def fresh_uncached():
        return launcher.http_server_on(spotify, "--cache", "none", name="server-rate-limited")

    async with mcp_http(stack.mcp_url) as client:
        yield Ctx(await Tools.connect(client), world, api, state, spotify, uncached.mcp_url, fresh_uncached)


async def spotify_fault(c: Ctx, name: str, args: dict[str, Any], kind: str) -> None:
    """Calls `name` while the sandbox answers every Web API request with a fault."""
    if kind == "rate_limit":
        assert c.fresh_uncached is not None, "fault cases need the ctx fixture's server factory"
        server = c.fresh_uncached()
        try:
            async with mcp_http(server.mcp_url) as client:
                t = await Tools.connect(client)
                with c.sandbox.faults_set(rate_limit_probability=1.0, retry_after_secs=120):
                    await t.err(name, args, "rate", "120|2 min")
        finally:
            server.stop()
    else:
        async with mcp_http(c.uncached_url) as client:
            t = await Tools.connect(client)
            with c.sandbox.faults_set(server_error_probability=1.0):
                text = await t.err(name, args, "spotify", "unavailable|server error|gateway|try again|50")
            # A server error, not a rate limit remembered from another case.
            assert "rate-limited" not in text.lower(), text
    c.t.calls += t.calls


def device_id(c: Ctx, i: int = 0) -> str:
    assert len(c.w.devices) > i, f"the sandbox user has {len(c.w.devices)} devices"
    d = c.w.devices[i]["id"]
    assert d, "device without id"
    return d


async def ensure_playing(c: Ctx, n: int = 3) -> list[str]:
    uris = [t.uri for t in c.w.some("track", n)]
    await c.t.ok("play", {"uris": uris, "device_id": device_id(c)})
    return uris


def player(c: Ctx) -> dict[str, Any]:
    r = c.api.http.get("/me/player")
    assert r.status_code == 200, f"GET /me/player -> {r.status_code} {r.text[:200]}"
    return r.json()


def playing_uri(c: Ctx) -> str | None:
    return ((player(c).get("item")) or {}).get("uri")


def library_contains(c: Ctx, uris: list[str]) -> list[bool]:
    return c.api.get("/me/library/contains", uris=",".join(uris))


def playlist_item_uris(c: Ctx, playlist_id: str) -> list[str]:
    body = c.api.get(f"/playlists/{playlist_id}/items", limit=50)
    return [(e.get("item") or {}).get("uri") for e in body.get("items", [])]


async def created_playlist(c: Ctx) -> str:
    """A playlist this test run created (so edits never touch seeded data)."""
    if "playlist" not in c.state:
        sc = await c.t.ok("create_playlist", {"name": "e2e scratch", "description": "made by the e2e suite", "public": False})
        ids = uris_in(sc, "playlist")
        assert ids, f"create_playlist did not report the new playlist's URI: {sc}"
        c.state["playlist"] = ids[0].rsplit(":", 1)[1]
    return c.state["playlist"]


def unsaved_tracks(c: Ctx, n: int) -> list[str]:
    candidates = [t.uri for t in c.w.items["track"]]
    flags = library_contains(c, candidates)
    out = [u for u, saved in zip(candidates, flags) if not saved]
    assert len(out) >= n, "not enough unsaved tracks in the discovered set"
    return out[:n]


# --- successful calls -------------------------------------------------------------------------


async def ok_get_playback_state(c: Ctx):
    uris = await ensure_playing(c)
    sc = await c.t.ok("get_playback_state")
    assert uris[0] in uris_in(sc), f"playback state does not show the playing track: {sc}"
    assert device_id(c) in json.dumps(sc)


async def ok_get_currently_playing(c: Ctx):
    uris = await ensure_playing(c)
    sc = await c.t.ok("get_currently_playing")
    assert uris[0] in uris_in(sc)


async def ok_get_devices(c: Ctx):
    sc = await c.t.ok("get_devices")
    text = json.dumps(sc)
    for d in c.w.devices:
        assert d["name"] in text, f"device {d['name']} missing from {sc}"
        if d.get("id"):
            assert d["id"] in text


async def ok_transfer_playback(c: Ctx):
    await ensure_playing(c)
    target = device_id(c, 1)
    await c.t.ok("transfer_playback", {"device_id": target, "play": True})
    assert player(c)["device"]["id"] == target


async def ok_play(c: Ctx):
    tracks = c.w.some("track", 2)
    await c.t.ok("play", {"uris": [tracks[1].uri, tracks[0].uri], "device_id": device_id(c)})
    assert playing_uri(c) == tracks[1].uri
    album = c.w.first("album")
    album_tracks = c.api.get(f"/albums/{album.id}/tracks", limit=5)["items"]
    assert len(album_tracks) >= 2, "the album needs two tracks"
    await c.t.ok("play", {"context": album.uri, "offset": 1, "position_ms": 1000})
    p = player(c)
    assert p["item"]["uri"] == album_tracks[1]["uri"]
    assert (p.get("context") or {}).get("uri") == album.uri
    await c.t.ok("play", {"context": album.link, "offset_uri": album_tracks[0]["uri"]})
    assert playing_uri(c) == album_tracks[0]["uri"]
    await c.t.ok("pause")
    await c.t.ok("play")  # resume
    assert player(c)["is_playing"] is True


async def ok_pause(c: Ctx):
    await ensure_playing(c)
    await c.t.ok("pause")
    assert player(c)["is_playing"] is False


async def ok_skip(c: Ctx):
    uris = await ensure_playing(c)
    await c.t.ok("skip", {"direction": "next"})
    assert playing_uri(c) == uris[1]
    await c.t.ok("skip")  # default: next
    assert playing_uri(c) == uris[2]
    await c.t.ok("skip", {"direction": "previous"})
    assert playing_uri(c) in (uris[1], uris[2])


async def ok_seek(c: Ctx):
    await ensure_playing(c)
    await c.t.ok("seek", {"position_ms": 30_000})
    progress = player(c)["progress_ms"]
    assert 30_000 <= progress < 40_000, progress


async def ok_set_volume(c: Ctx):
    await ensure_playing(c)
    await c.t.ok("set_volume", {"volume_percent": 37})
    assert player(c)["device"]["volume_percent"] == 37


async def ok_set_playback_mode(c: Ctx):
    await ensure_playing(c)
    await c.t.ok("set_playback_mode", {"repeat": "context", "shuffle": True})
    p = player(c)
    assert p["repeat_state"] == "context" and p["shuffle_state"] is True
    await c.t.ok("set_playback_mode", {"shuffle": False})
    assert player(c)["shuffle_state"] is False


async def ok_get_queue(c: Ctx):
    await ensure_playing(c, 1)
    extra = c.w.some("track", 4)[3].uri
    await c.t.ok("add_to_queue", {"uris": [extra]})
    sc = await c.t.ok("get_queue")
    assert extra in uris_in(sc), f"queued {extra} missing from {sc}"


async def ok_add_to_queue(c: Ctx):
    await ensure_playing(c, 1)
    a, b = c.w.some("track", 3)[1:3]
    episode = c.w.first("episode")
    await c.t.ok("add_to_queue", {"uris": [a.uri, b.link, episode.uri]})
    queue = uris_in(c.api.get("/me/player/queue").get("queue", []))
    for u in (a.uri, b.uri, episode.uri):
        assert u in queue, f"{u} not in the queue {queue}"


async def ok_get_recently_played(c: Ctx):
    await ensure_playing(c)
    sc = await c.t.ok("get_recently_played", {"limit": 5})
    assert uris_in(sc, "track"), f"no track in recently played: {sc}"
    expected = uris_in(c.api.get("/me/player/recently-played", limit=5).get("items", []), "track")
    assert uris_in(sc, "track")[:1] == expected[:1]


async def ok_search(c: Ctx):
    name = c.w.first("track").name
    sc = await c.t.ok("search", {"query": name, "types": ["track"], "limit": 3})
    assert c.w.first("track").uri in uris_in(sc, "track"), f"searching the exact name did not find it: {sc}"
    # More than Spotify's 10-per-request cap: the server pages.
    word, total = "", 0
    for word in ("a", "the", "e", "love", "night", "me"):
        total = c.api.get("/search", q=word, type="track", limit=10)["tracks"]["total"]
        if total >= 30:
            break
    assert total >= 30, "no query word matches 30 tracks in the sandbox; paging cannot be checked"
    sc = await c.t.ok("search", {"query": word, "types": ["track"], "limit": 25})
    got = list(dict.fromkeys(uris_in(sc, "track")))
    assert len(got) == min(25, total), f"asked for 25 of {total} tracks, got {len(got)}"
    sc = await c.t.ok("search", {"query": "the", "types": ["album", "artist", "show", "episode", "audiobook", "playlist"], "limit": 2})
    for kind in ("album", "artist", "show", "episode", "audiobook", "playlist"):
        direct = c.api.get("/search", q="the", type=kind, limit=1)[f"{kind}s"]["total"]
        if direct:
            assert uris_in(sc, kind), f"search over {kind} found nothing though Spotify has {direct}"


async def ok_get_item(c: Ctx):
    for kind in ("track", "album", "artist", "show", "episode", "audiobook", "chapter"):
        item = c.w.first(kind)
        sc = await c.t.ok("get_item", {"id": item.uri})
        assert item.uri in uris_in(sc), f"get_item({item.uri}) does not report its URI: {sc}"
        assert item.name in json.dumps(sc, ensure_ascii=False), f"get_item({item.uri}) lacks the name {item.name!r}"


async def ok_get_item_children(c: Ctx):
    cases = {
        "album": ("tracks", "track"),
        "artist": ("albums", "album"),
        "show": ("episodes", "episode"),
        "audiobook": ("chapters", "chapter"),
    }
    for kind, (sub, child) in cases.items():
        parent = c.w.first(kind)
        direct = c.api.get(f"/{kind}s/{parent.id}/{sub}", limit=5)["items"]
        sc = await c.t.ok("get_item_children", {"id": parent.uri, "limit": 5})
        got = uris_in(sc, child)
        assert got[: len(direct)] == [d["uri"] for d in direct], f"{kind} children differ: {got} vs {[d['uri'] for d in direct]}"
    # Artist albums come at most 10 per Spotify request: larger pages are the server's job.
    artist = max(c.w.items["artist"][:5], key=lambda a: c.api.get(f"/artists/{a.id}/albums", limit=1)["total"])
    total = c.api.get(f"/artists/{artist.id}/albums", limit=1)["total"]
    sc = await c.t.ok("get_item_children", {"id": artist.uri, "limit": 15})
    assert len(set(uris_in(sc, "album"))) == min(15, total), f"asked 15 of {total} albums"


async def ok_get_saved_items(c: Ctx):
    for kind, key in (("tracks", "track"), ("albums", "album"), ("shows", "show"), ("episodes", "episode"), ("audiobooks", "audiobook")):
        direct = c.api.get(f"/me/{kind}", limit=5)["items"]
        expected = [d[key]["uri"] for d in direct]
        assert expected, f"the sandbox user has no saved {kind}"
        sc = await c.t.ok("get_saved_items", {"type": kind, "limit": 5})
        got = uris_in(sc, key)
        assert got[: len(expected)] == expected, f"saved {kind}: {got} vs {expected}"


async def ok_save_to_library(c: Ctx):
    track, = unsaved_tracks(c, 1)
    await c.t.ok("save_to_library", {"uris": [track]})
    assert library_contains(c, [track]) == [True]
    bare = unsaved_tracks(c, 1)[0]
    await c.t.ok("save_to_library", {"uris": [bare.rsplit(":", 1)[1]], "type": "track"})
    assert library_contains(c, [bare]) == [True]


async def ok_remove_from_library(c: Ctx):
    track, = unsaved_tracks(c, 1)
    await c.t.ok("save_to_library", {"uris": [track]})
    await c.t.ok("remove_from_library", {"uris": [track]})
    assert library_contains(c, [track]) == [False]


async def ok_check_library(c: Ctx):
    saved = c.api.get("/me/tracks", limit=1)["items"][0]["track"]["uri"]
    unsaved, = unsaved_tracks(c, 1)
    sc = await c.t.ok("check_library", {"uris": [saved, unsaved]})
    text = json.dumps(sc)
    assert saved in text and unsaved in text, sc
    assert "true" in text and "false" in text, f"check_library should say saved/unsaved: {sc}"


async def ok_get_followed_artists(c: Ctx):
    direct = [a["uri"] for a in c.api.get("/me/following", type="artist", limit=5)["artists"]["items"]]
    sc = await c.t.ok("get_followed_artists", {"limit": 5})
    assert uris_in(sc, "artist")[: len(direct)] == direct


async def ok_get_my_playlists(c: Ctx):
    sc = await c.t.ok("get_my_playlists", {"limit": 50})
    got = set(uris_in(sc, "playlist"))
    for p in c.w.owned_playlists[:5]:
        assert p.uri in got, f"{p.uri} missing from get_my_playlists"


async def ok_get_playlist(c: Ctx):
    p = c.w.owned_playlists[0]
    sc = await c.t.ok("get_playlist", {"playlist": p.uri})
    assert p.name in json.dumps(sc, ensure_ascii=False)
    sc2 = await c.t.ok("get_playlist", {"playlist": p.id})
    assert sc2 == sc


async def ok_get_playlist_items(c: Ctx):
    p = c.w.owned_playlists[0]
    expected = playlist_item_uris(c, p.id)[:5]
    sc = await c.t.ok("get_playlist_items", {"playlist": p.link, "limit": 5})
    got = [u for u in uris_in(sc) if u.split(":")[1] in ("track", "episode")]
    assert got[: len(expected)] == expected, f"{got} vs {expected}"


async def ok_create_playlist(c: Ctx):
    sc = await c.t.ok("create_playlist", {"name": "e2e created", "description": "e2e", "public": False})
    pid = uris_in(sc, "playlist")[0].rsplit(":", 1)[1]
    direct = c.api.get(f"/playlists/{pid}")
    assert direct["name"] == "e2e created"
    assert direct["owner"]["id"] == c.w.me["id"]


async def ok_update_playlist_details(c: Ctx):
    pid = await created_playlist(c)
    await c.t.ok("update_playlist_details", {"playlist": pid, "name": "e2e renamed", "description": "changed"})
    direct = c.api.get(f"/playlists/{pid}")
    assert direct["name"] == "e2e renamed" and direct["description"] == "changed"


async def ok_add_playlist_items(c: Ctx):
    pid = await created_playlist(c)
    before = playlist_item_uris(c, pid)
    tracks = [t.uri for t in c.w.some("track", 3)]
    await c.t.ok("add_playlist_items", {"playlist": f"spotify:playlist:{pid}", "uris": tracks})
    assert playlist_item_uris(c, pid) == before + tracks
    ep = c.w.first("episode").uri
    await c.t.ok("add_playlist_items", {"playlist": pid, "uris": [ep], "position": 0})
    assert playlist_item_uris(c, pid)[0] == ep


async def ok_reorder_playlist_items(c: Ctx):
    pid = await created_playlist(c)
    tracks = [t.uri for t in c.w.some("track", 3)]
    await c.t.ok("reorder_playlist_items", {"playlist": pid, "replace_with": tracks})
    assert playlist_item_uris(c, pid) == tracks
    await c.t.ok("reorder_playlist_items", {"playlist": pid, "range_start": 0, "insert_before": 3})
    assert playlist_item_uris(c, pid) == [tracks[1], tracks[2], tracks[0]]


async def ok_remove_playlist_items(c: Ctx):
    pid = await created_playlist(c)
    tracks = [t.uri for t in c.w.some("track", 2)]
    await c.t.ok("add_playlist_items", {"playlist": pid, "uris": tracks})
    await c.t.ok("remove_playlist_items", {"playlist": pid, "uris": [tracks[0]]})
    assert tracks[0] not in playlist_item_uris(c, pid)


async def ok_get_playlist_cover(c: Ctx):
    p = c.w.owned_playlists[0]
    await c.t.ok("get_playlist_cover", {"playlist": p.uri})


async def ok_upload_playlist_cover(c: Ctx):
    pid = await created_playlist(c)
    await c.t.ok("upload_playlist_cover", {"playlist": pid, "jpeg_base64": TINY_JPEG_B64})
    images = c.api.get(f"/playlists/{pid}/images")
    assert images, "the uploaded cover is not reported by GET /playlists/{id}/images"
    sc = await c.t.ok("get_playlist_cover", {"playlist": pid})
    assert images[0]["url"] in json.dumps(sc), f"{sc} lacks {images[0]['url']}"


async def ok_get_profile(c: Ctx):
    sc = await c.t.ok("get_profile")
    text = json.dumps(sc, ensure_ascii=False)
    assert c.w.me["id"] in text
    if c.w.me.get("display_name"):
        assert c.w.me["display_name"] in text


async def ok_get_top_items(c: Ctx):
    for kind, child in (("tracks", "track"), ("artists", "artist")):
        direct = [x["uri"] for x in c.api.get(f"/me/top/{kind}", time_range="short_term", limit=5)["items"]]
        sc = await c.t.ok("get_top_items", {"type": kind, "time_range": "short_term", "limit": 5})
        assert uris_in(sc, child)[: len(direct)] == direct


async def ok_play_best_match(c: Ctx):
    await ensure_playing(c, 1)
    target = c.w.some("track", 3)[2]
    sc = await c.t.ok("play_best_match", {"query": target.name, "type": "track"})
    now = player(c)["item"]
    assert now["name"] == target.name, f"played {now['name']!r} for query {target.name!r}"
    assert now["uri"] in uris_in(sc)


async def ok_create_playlist_from_queries(c: Ctx):
    names = [t.name for t in c.w.some("track", 2)]
    sc = await c.t.ok("create_playlist_from_queries", {"name": "e2e from queries", "queries": names})
    pid = uris_in(sc, "playlist")[0].rsplit(":", 1)[1]
    items = c.api.get(f"/playlists/{pid}/items", limit=50)["items"]
    assert [e["item"]["name"] for e in items] == names


# --- error paths ------------------------------------------------------------------------------


async def err_get_playback_state(c: Ctx):
    await spotify_fault(c, "get_playback_state", {}, "rate_limit")


async def err_get_currently_playing(c: Ctx):
    await spotify_fault(c, "get_currently_playing", {}, "server_error")


async def err_get_devices(c: Ctx):
    await spotify_fault(c, "get_devices", {}, "rate_limit")


async def err_transfer_playback(c: Ctx):
    await c.t.err("transfer_playback", {"device_id": "no-such-device-0000"}, "device")
    await c.t.err("transfer_playback", {}, "device_id")


async def err_play(c: Ctx):
    album = c.w.first("album")
    track = c.w.first("track")
    await c.t.err("play", {"uris": [album.uri]}, "album|uris")
    await c.t.err("play", {"uris": [track.uri], "context": album.uri}, "either|both")
    await c.t.err("play", {"uris": ["spotify:track:!!"]}, "uris")
    await c.t.err("play", {"uris": [track.uri], "device_id": "no-such-device-0000"}, "device")


async def err_pause(c: Ctx):
    await c.t.err("pause", {"device_id": "   "}, "device_id")


async def err_skip(c: Ctx):
    await c.t.err("skip", {"direction": "sideways"}, "direction|sideways|variant")


async def err_seek(c: Ctx):
    await c.t.err("seek", {"position_ms": -5}, "position_ms|invalid")
    await c.t.err("seek", {}, "position_ms|missing")


async def err_set_volume(c: Ctx):
    await c.t.err("set_volume", {"volume_percent": 101}, "volume_percent")


async def err_set_playback_mode(c: Ctx):
    await c.t.err("set_playback_mode", {}, "repeat")
    await c.t.err("set_playback_mode", {"repeat": "forever"}, "repeat|forever|variant")


async def err_get_queue(c: Ctx):
    await spotify_fault(c, "get_queue", {}, "server_error")


async def err_add_to_queue(c: Ctx):
    await c.t.err("add_to_queue", {"uris": []}, "uris")
    await c.t.err("add_to_queue", {"uris": [c.w.first("album").uri]}, "album|uris")


async def err_get_recently_played(c: Ctx):
    await c.t.err("get_recently_played", {"limit": 51}, "limit")
    await c.t.err("get_recently_played", {"before": "yesterday"}, "before")


async def err_search(c: Ctx):
    await c.t.err("search", {"query": "   "}, "query")
    await c.t.err("search", {"query": "x", "types": ["podcast"]}, "types|podcast|variant")
    await c.t.err("search", {"query": "x", "limit": 51}, "limit")
    await c.t.err("search", {"query": "x", "offset": 1001}, "offset")


async def err_get_item(c: Ctx):
    await c.t.err("get_item", {"id": "spotify:track:short"}, "id")
    await c.t.err("get_item", {"id": f"spotify:track:{NOWHERE}"}, "not found|no track|does not exist")
    await c.t.err("get_item", {"id": c.w.first("track").id}, "type|kind")  # bare id without its type
    await c.t.err("get_item", {"id": "https://example.com/track/abc"}, "id")


async def err_get_item_children(c: Ctx):
    await c.t.err("get_item_children", {"id": c.w.first("track").uri}, "track|album, artist")
    await c.t.err("get_item_children", {"id": c.w.first("album").uri, "limit": 0}, "limit")


async def err_get_saved_items(c: Ctx):
    await c.t.err("get_saved_items", {"type": "planets"}, "type|planets|variant")
    await c.t.err("get_saved_items", {"type": "tracks", "limit": 51}, "limit")


async def err_save_to_library(c: Ctx):
    track = c.w.first("track").uri
    await c.t.err("save_to_library", {"uris": [track] * 41}, "40")
    await c.t.err("save_to_library", {"uris": ["spotify:user:someone"]}, "user|uris")


async def err_remove_from_library(c: Ctx):
    await c.t.err("remove_from_library", {"uris": ["not a uri at all"]}, "uris")
    await c.t.err("remove_from_library", {"uris": []}, "uris")


async def err_check_library(c: Ctx):
    await c.t.err("check_library", {"uris": []}, "uris")
    await c.t.err("check_library", {"uris": [c.w.first("track").id]}, "type|kind")


async def err_get_followed_artists(c: Ctx):
    await c.t.err("get_followed_artists", {"limit": 0}, "limit")


async def err_get_my_playlists(c: Ctx):
    await c.t.err("get_my_playlists", {"limit": 51}, "limit")
    await spotify_fault(c, "get_my_playlists", {}, "rate_limit")


async def err_get_playlist(c: Ctx):
    await c.t.err("get_playlist", {"playlist": f"spotify:playlist:{NOWHERE}"}, "not found|does not exist")
    await c.t.err("get_playlist", {"playlist": c.w.first("album").uri}, "playlist")


async def err_get_playlist_items(c: Ctx):
    assert c.w.foreign_playlists, "the sandbox offers no playlist owned by someone else"
    await c.t.err("get_playlist_items", {"playlist": c.w.foreign_playlists[0].uri}, "own|collaborat")


async def err_create_playlist(c: Ctx):
    await c.t.err("create_playlist", {"name": "  "}, "name")
    await c.t.err("create_playlist", {"description": "no name"}, "name")


async def err_update_playlist_details(c: Ctx):
    assert c.w.foreign_playlists, "the sandbox offers no playlist owned by someone else"
    await c.t.err("update_playlist_details", {"playlist": c.w.foreign_playlists[0].uri, "name": "mine now"}, "own|collaborat|403|permission")
    pid = await created_playlist(c)
    await c.t.err("update_playlist_details", {"playlist": pid}, "name|nothing|at least")


async def err_add_playlist_items(c: Ctx):
    assert c.w.foreign_playlists, "the sandbox offers no playlist owned by someone else"
    track = c.w.first("track").uri
    await c.t.err("add_playlist_items", {"playlist": c.w.foreign_playlists[0].uri, "uris": [track]}, "own|collaborat")
    pid = await created_playlist(c)
    await c.t.err("add_playlist_items", {"playlist": pid, "uris": [track] * 101}, "100")


async def err_remove_playlist_items(c: Ctx):
    pid = await created_playlist(c)
    await c.t.err("remove_playlist_items", {"playlist": pid, "uris": []}, "uris")
    await c.t.err("remove_playlist_items", {"playlist": pid, "uris": [c.w.first("album").uri]}, "album|uris")


async def err_reorder_playlist_items(c: Ctx):
    pid = await created_playlist(c)
    await c.t.err("reorder_playlist_items", {"playlist": pid}, "range_start|replace_with")
    await c.t.err("reorder_playlist_items", {"playlist": pid, "range_start": 5000, "insert_before": 0}, "range|position|out of|index")


async def err_get_playlist_cover(c: Ctx):
    await c.t.err("get_playlist_cover", {"playlist": "spotify:playlist:"}, "playlist")


async def err_upload_playlist_cover(c: Ctx):
    pid = await created_playlist(c)
    await c.t.err("upload_playlist_cover", {"playlist": pid, "jpeg_base64": "not base64 !!"}, "base64")
    big = base64.b64encode(b"\xff\xd8\xff" + b"\0" * 200_000).decode()
    await c.t.err("upload_playlist_cover", {"playlist": pid, "jpeg_base64": big}, "jpeg_base64", "262144")
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
    await c.t.err("upload_playlist_cover", {"playlist": pid, "jpeg_base64": png}, "jpeg")


async def err_get_profile(c: Ctx):
    await spotify_fault(c, "get_profile", {}, "rate_limit")


async def err_get_top_items(c: Ctx):
    await c.t.err("get_top_items", {"type": "podcasts"}, "type|podcasts|variant")
    await c.t.err("get_top_items", {"type": "tracks", "time_range": "forever"}, "time_range|forever|variant")


async def err_play_best_match(c: Ctx):
    await c.t.err("play_best_match", {"query": "zqxjv wkpfy nothing matches this", "type": "track"}, "no |nothing|found")
    await c.t.err("play_best_match", {"query": ""}, "query")


async def err_create_playlist_from_queries(c: Ctx):
    await c.t.err("create_playlist_from_queries", {"name": "x", "queries": []}, "queries")
    await c.t.err("create_playlist_from_queries", {"name": "", "queries": ["a"]}, "name")


Case = Callable[[Ctx], Awaitable[None]]
SUCCESS: dict[str, Case] = {n[3:]: f for n, f in dict(globals()).items() if n.startswith("ok_")}
FAILURE: dict[str, Case] = {n[4:]: f for n, f in dict(globals()).items() if n.startswith("err_")}


def test_every_default_tool_has_cases():
    assert set(SUCCESS) == set(DEFAULT_TOOLS), sorted(set(SUCCESS) ^ set(DEFAULT_TOOLS))
    assert set(FAILURE) == set(DEFAULT_TOOLS), sorted(set(FAILURE) ^ set(DEFAULT_TOOLS))


@pytest.mark.parametrize("name", DEFAULT_TOOLS)
async def test_tool_succeeds(ctx, name):
    await SUCCESS[name](ctx)
    assert any(n == name and ok for n, _, ok in ctx.t.calls), f"{name} was never called successfully"


@pytest.mark.parametrize("name", DEFAULT_TOOLS)
async def test_tool_error_path(ctx, name):
    await FAILURE[name](ctx)
    assert any(n == name and not ok for n, _, ok in ctx.t.calls), f"{name} never failed"


async def test_unknown_or_mistyped_arguments_are_named(ctx):
    """A misspelt argument is not silently ignored: the error names it and what is accepted."""
    track = ctx.w.first("track").uri
    await ctx.t.err("get_item", {"id": track, "market_code": "DE"}, "market_code", "id")
    await ctx.t.err("get_profile", {"user": "someone-else"}, "user")
    await ctx.t.err("set_volume", {"volume_percent": "loud"}, "volume_percent")
    await ctx.t.err("search", {"query": "a", "limit": "ten"}, "limit")
