"""What the sandbox holds, found the way any Spotify client finds it: through the Web API with
the user's token. Tests use it to pick real IDs and to check that tool results report them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness import SANDBOX_REFRESH_TOKEN, SandboxProcess

URI_RE = re.compile(r"spotify:(track|album|artist|playlist|show|episode|audiobook|chapter|user):([A-Za-z0-9]+)")


@dataclass
class Item:
    kind: str
    id: str
    name: str
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def uri(self) -> str:
        return f"spotify:{self.kind}:{self.id}"

    @property
    def link(self) -> str:
        return f"https://open.spotify.com/{self.kind}/{self.id}"

    @property
    def intl_link(self) -> str:
        return f"https://open.spotify.com/intl-de/{self.kind}/{self.id}?si=0123456789abcdef"


@dataclass
class World:
    me: dict[str, Any]
    items: dict[str, list[Item]]
    owned_playlists: list[Item]
    foreign_playlists: list[Item]
    devices: list[dict[str, Any]]

    def first(self, kind: str) -> Item:
        found = self.items.get(kind) or []
        assert found, f"the sandbox has no {kind} reachable through the Web API"
        return found[0]

    def some(self, kind: str, n: int) -> list[Item]:
        found = self.items.get(kind) or []
        assert len(found) >= n, f"the sandbox offers {len(found)} {kind}s, the test needs {n}"
        return found[:n]


def _item(kind: str, obj: dict[str, Any]) -> Item:
    return Item(kind=kind, id=obj["id"], name=obj.get("name", ""), raw=obj)


class SpotifyApi:
    """A tiny direct client of the (sandboxed) Web API."""

    def __init__(self, sandbox: SandboxProcess, refresh_token: str = SANDBOX_REFRESH_TOKEN):
        token = sandbox.user_token(refresh_token)
        self.http = httpx.Client(
            base_url=f"{sandbox.base_url}/v1",
            headers={"Authorization": f"Bearer {token}", "User-Agent": "spotify-mcp-e2e-discovery"},
            timeout=10,
        )

    def get(self, path: str, **params: Any) -> Any:
        r = self.http.get(path, params=params)
        assert r.status_code == 200, f"GET {path} -> {r.status_code}: {r.text[:300]}"
        return r.json()

    def discover(self) -> World:
        me = self.get("/me")
        items: dict[str, list[Item]] = {k: [] for k in ("track", "album", "artist", "show", "episode", "audiobook", "chapter")}

        def add(kind: str, obj: dict[str, Any] | None) -> None:
            if obj and obj.get("id") and all(i.id != obj["id"] for i in items[kind]):
                items[kind].append(_item(kind, obj))

        for path, kind, key in (
            ("/me/tracks", "track", "track"),
            ("/me/albums", "album", "album"),
            ("/me/shows", "show", "show"),
            ("/me/episodes", "episode", "episode"),
            ("/me/audiobooks", "audiobook", "audiobook"),
        ):
            for entry in self.get(path, limit=10).get("items", []):
                add(kind, entry.get(key))
        for entry in self.get("/me/following", type="artist", limit=10).get("artists", {}).get("items", []):
            add("artist", entry)
        # Then search, the way a user would find things (this also brings items not saved).
        for n, q in enumerate(("the", "a", "love", "night", "jazz", "rock")):
            if n >= 2 and all(len(items[k]) >= 3 for k in ("track", "album", "artist", "show", "episode", "audiobook")):
                break
            res = self.get("/search", q=q, type="track,album,artist,show,episode,audiobook", limit=10)
            for kind in ("track", "album", "artist", "show", "episode", "audiobook"):
                for obj in (res.get(f"{kind}s") or {}).get("items", []) or []:
                    add(kind, obj)
        for track in items["track"][:3]:
            for artist in track.raw.get("artists", []):
                add("artist", artist)
        for show in items["show"][:2]:
            if len(items["episode"]) < 3:
                for ep in self.get(f"/shows/{show.id}/episodes", limit=5).get("items", []):
                    add("episode", ep)
        for book in items["audiobook"][:2]:
            for ch in self.get(f"/audiobooks/{book.id}/chapters", limit=5).get("items", []):
                add("chapter", ch)

        owned, foreign = [], []
        for p in self.get("/me/playlists", limit=50).get("items", []):
            if (p.get("owner") or {}).get("id") == me["id"]:
                owned.append(_item("playlist", p))
            elif not p.get("collaborative"):  # collaborators may edit: not "foreign"
                foreign.append(_item("playlist", p))
        if not foreign:
            for q in ("the", "a", "mix", "hits"):
                res = self.get("/search", q=q, type="playlist", limit=10)
                for p in (res.get("playlists") or {}).get("items", []) or []:
                    if p and (p.get("owner") or {}).get("id") != me["id"] and not p.get("collaborative"):
                        foreign.append(_item("playlist", p))
                if foreign:
                    break
        devices = self.get("/me/player/devices").get("devices", [])
        return World(me=me, items=items, owned_playlists=owned, foreign_playlists=foreign, devices=devices)


def uris_in(obj: Any, kind: str | None = None) -> list[str]:
    """Every Spotify URI (of `kind`) anywhere in a JSON value, in order."""
    out: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, str):
            for m in URI_RE.finditer(v):
                if kind is None or m.group(1) == kind:
                    out.append(m.group(0))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(obj)
    return out
