"""Faithfulness of the built-in sandbox to Spotify's own definition (spotify-openapi.yml).

Starts the real binary's standalone sandbox (`spotify-mcp-server sandbox --bind ADDR
--record-requests`; until that subcommand exists, the `sandbox` example of the crate with the
same flags), drives every current operation of the definition and every deprecated one over
HTTP, and validates each recorded exchange with openapi_validate: request path, method and
parameters; response status and body against the operation's response schema; and that no
field the definition marks deprecated (removed in 2024/2026) appears unless it still requires it.
Error paths (Spotify's error bodies, player reasons, OAuth errors) are checked too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

import openapi_validate as ov

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
PREMIUM = "sandbox-refresh-token"
FREE = "sandbox-free-refresh-token"
REPO_ROOT = Path(__file__).resolve().parents[2]
# A 1x1 JPEG.
TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/"
    "wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q=="
)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _target_dir() -> Path:
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=REPO_ROOT, check=True, capture_output=True, text=True
    ).stdout
    return Path(json.loads(out)["target_directory"])


def _sandbox_command(binary: Path) -> list[str]:
    """`spotify-mcp-server sandbox`, or the crate's `sandbox` example while the subcommand is
    not wired into the binary yet."""
    probe = subprocess.run([str(binary), "sandbox", "--help"], capture_output=True, text=True, timeout=30)
    if probe.returncode == 0 and "--bind" in probe.stdout:
        return [str(binary), "sandbox"]
    build = subprocess.run(
        ["cargo", "build", "-p", "spotify-mcp-server", "--example", "sandbox"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    if build.returncode != 0:
        pytest.fail(f"cargo build --example sandbox failed:\n{build.stderr[-4000:]}", pytrace=False)
    return [str(_target_dir() / "debug" / "examples" / "sandbox")]


class Sandbox:
    def __init__(self, cmd: list[str], log: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc = subprocess.Popen(
            [*cmd, "--bind", f"127.0.0.1:{self.port}", "--record-requests"],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("SPOTIFY_")},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.base}/sandbox/faults", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the sandbox did not start:\n{log.read_text()[-3000:]}", pytrace=False)
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def token(self, refresh: str = PREMIUM) -> str:
        r = httpx.post(
            f"{self.base}/api/token", data={"grant_type": "refresh_token", "refresh_token": refresh}, auth=(CLIENT_ID, CLIENT_SECRET)
        )
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def api(self, refresh: str = PREMIUM) -> httpx.Client:
        return httpx.Client(base_url=f"{self.base}/v1", headers={"Authorization": f"Bearer {self.token(refresh)}"}, timeout=10)

    def faults(self, **knobs: Any) -> dict[str, Any]:
        r = httpx.put(f"{self.base}/sandbox/faults", json=knobs)
        assert r.status_code == 200, r.text
        return r.json()

    def requests(self) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.base}/sandbox/requests")
        assert r.status_code == 200
        return r.json()["requests"]

    def clear(self) -> None:
        assert httpx.delete(f"{self.base}/sandbox/requests").status_code == 204

    def world(self) -> dict[str, Any]:
        return httpx.get(f"{self.base}/sandbox/world").json()


@pytest.fixture(scope="module")
def spec(openapi_file):
    return ov.load_spec(openapi_file)


@pytest.fixture(scope="module")
def sandbox(binary, tmp_path_factory):
    sb = Sandbox(_sandbox_command(binary), tmp_path_factory.mktemp("sandbox-openapi") / "sandbox.log")
    yield sb
    sb.stop()


@pytest.fixture
def fresh(sandbox):
    assert httpx.post(f"{sandbox.base}/sandbox/reset").status_code == 204
    sandbox.faults(record_requests=True)
    sandbox.clear()
    return sandbox


def _check_all(
    spec: ov.Spec, exchanges: list[dict[str, Any]], allow_deprecated: bool = False, requests: bool = True
) -> tuple[set[str], list[str]]:
    """Validates every recorded /v1 exchange (both sides, or only responses when the requests
    were bad on purpose); returns the operations seen and the problems."""
    seen: set[str] = set()
    problems: list[str] = []
    for ex in exchanges:
        if not ex["path"].startswith("/v1/"):
            continue
        op = ov.match_operation(spec, ex["method"], ex["path"])
        label = f"{ex['method']} {ex['path']}?{ex.get('query') or ''} -> {ex['status']}"
        if op is None:
            problems.append(f"{label}: no such operation")
            continue
        seen.add(op.operation_id)
        if requests:
            problems += [f"{label}: {p}" for p in ov.validate_request(spec, ex["method"], ex["path"], ex.get("query"), ex.get("request_body"))]
        problems += [f"{label}: {p}" for p in ov.validate_response(spec, ex["method"], ex["path"], ex["status"], ex.get("response_body"))]
        if not allow_deprecated and ex["status"] < 300:
            problems += [f"{label}: deprecated field {p}" for p in ov.deprecated_fields(spec, ex["method"], ex["path"], ex["status"], ex.get("response_body"))]
    return seen, problems


def _tour_current(sb: Sandbox) -> None:
    """One successful call of each of the 49 current operations."""
    w = sb.world()
    s = w["samples"]
    owned = w["playlists"]["owned"][0]
    laptop = w["devices"]["premium"][0]["id"]
    api = sb.api()

    def call(method: str, path: str, expect: int, **kw: Any) -> httpx.Response:
        r = api.request(method, path, **kw)
        assert r.status_code == expect, f"{method} {path} -> {r.status_code}: {r.text[:300]}"
        return r

    call("GET", f"/albums/{s['album']}", 200, params={"market": "US"})
    call("GET", f"/albums/{s['album']}/tracks", 200, params={"limit": 2, "offset": 1})
    call("GET", f"/artists/{s['artist']}", 200)
    call("GET", f"/artists/{s['artist']}/albums", 200, params={"include_groups": "album,single,appears_on,compilation", "limit": 10})
    call("GET", f"/shows/{s['show']}", 200, params={"market": "US"})
    call("GET", f"/shows/{s['show']}/episodes", 200, params={"limit": 5})
    call("GET", f"/episodes/{s['episode']}", 200)
    call("GET", f"/audiobooks/{s['audiobook']}", 200)
    call("GET", f"/audiobooks/{s['audiobook']}/chapters", 200, params={"limit": 3})
    call("GET", "/me/audiobooks", 200)
    call("GET", f"/chapters/{s['chapter']}", 200)
    call("GET", f"/tracks/{s['track']}", 200, params={"market": "from_token"})
    res = call("GET", "/search", 200, params={"q": "a", "type": "album,artist,playlist,track,show,episode,audiobook", "limit": 10, "offset": 3}).json()
    assert set(res) == {"albums", "artists", "playlists", "tracks", "shows", "episodes", "audiobooks"}
    call("GET", "/me", 200)
    call("GET", f"/playlists/{owned}", 200)
    call("PUT", f"/playlists/{owned}", 200, json={"name": "Renamed", "description": "changed"})
    items = call("GET", f"/playlists/{owned}/items", 200, params={"limit": 50}).json()["items"]
    tracks = [f"spotify:track:{s['track']}", items[0]["item"]["uri"]]
    snap = call("POST", f"/playlists/{owned}/items", 201, json={"uris": tracks, "position": 0}).json()["snapshot_id"]
    call("PUT", f"/playlists/{owned}/items", 200, json={"range_start": 0, "insert_before": 3, "range_length": 1, "snapshot_id": snap})
    call("DELETE", f"/playlists/{owned}/items", 200, json={"items": [{"uri": tracks[0]}]})
    call("GET", "/me/playlists", 200, params={"limit": 50})
    created = call("POST", "/me/playlists", 201, json={"name": "Faithful", "public": False, "description": "x"}).json()
    call("PUT", f"/me/library", 200, params={"uris": f"spotify:track:{s['track']},spotify:album:{s['album']},spotify:playlist:{created['id']}"})
    call("DELETE", "/me/library", 200, params={"uris": f"spotify:album:{s['album']}"})
    assert call("GET", "/me/library/contains", 200, params={"uris": f"spotify:track:{s['track']},spotify:album:{s['album']}"}).json() == [True, False]
    call("GET", "/me/albums", 200, params={"limit": 2})
    call("GET", "/me/tracks", 200, params={"limit": 50, "offset": 10})
    call("GET", "/me/episodes", 200)
    call("GET", "/me/shows", 200)
    call("PUT", f"/playlists/{created['id']}/images", 202, content=base64.b64encode(TINY_JPEG), headers={"Content-Type": "image/jpeg"})
    call("GET", f"/playlists/{created['id']}/images", 200)
    call("GET", "/me/following", 200, params={"type": "artist", "limit": 5})
    call("GET", "/me/player/devices", 200)
    call("PUT", "/me/player/play", 204, params={"device_id": laptop}, json={"context_uri": f"spotify:album:{s['album']}", "offset": {"position": 1}, "position_ms": 1000})
    call("GET", "/me/player", 200, params={"market": "US"})
    call("GET", "/me/player/currently-playing", 200)
    call("PUT", "/me/player", 204, json={"device_ids": [w["devices"]["premium"][2]["id"]], "play": True})
    call("PUT", "/me/player/pause", 204)
    call("POST", "/me/player/next", 204)
    call("POST", "/me/player/previous", 204)
    call("PUT", "/me/player/seek", 204, params={"position_ms": 5000})
    call("PUT", "/me/player/repeat", 204, params={"state": "context"})
    call("PUT", "/me/player/volume", 204, params={"volume_percent": 40})
    call("PUT", "/me/player/shuffle", 204, params={"state": "true"})
    call("POST", "/me/player/queue", 204, params={"uri": f"spotify:episode:{s['episode']}"})
    call("GET", "/me/player/queue", 200)
    call("GET", "/me/player/recently-played", 200, params={"limit": 10})
    call("GET", "/me/top/artists", 200, params={"time_range": "short_term", "limit": 5})
    call("GET", "/me/top/tracks", 200, params={"time_range": "long_term", "limit": 5, "offset": 2})


def test_every_current_operation_matches_the_definition(fresh, spec):
    _tour_current(fresh)
    seen, problems = _check_all(spec, fresh.requests())
    missing = sorted(o.operation_id for o in spec.current() if o.operation_id not in seen)
    assert len(spec.current()) == 49
    assert not missing, f"current operations not exercised: {missing}"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


def _tour_deprecated(sb: Sandbox, expect_ok: bool) -> list[tuple[str, int, dict[str, Any]]]:
    """Calls each of the 48 deprecated operations; returns (operation, status, body)."""
    w = sb.world()
    s = w["samples"]
    pid = w["playlists"]["owned"][0]
    api = sb.api()
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/albums", {"params": {"ids": s["album"]}}),
        ("GET", "/artists", {"params": {"ids": s["artist"]}}),
        ("GET", f"/artists/{s['artist']}/top-tracks", {"params": {"market": "US"}}),
        ("GET", f"/artists/{s['artist']}/related-artists", {}),
        ("GET", "/shows", {"params": {"ids": s["show"]}}),
        ("GET", "/episodes", {"params": {"ids": s["episode"]}}),
        ("GET", "/audiobooks", {"params": {"ids": s["audiobook"]}}),
        ("GET", "/chapters", {"params": {"ids": s["chapter"]}}),
        ("GET", "/tracks", {"params": {"ids": s["track"]}}),
        ("GET", "/browse/featured-playlists", {"params": {"limit": 5}}),
        ("GET", "/browse/categories", {"params": {"limit": 5}}),
        ("GET", "/browse/categories/rock", {}),
        ("GET", "/browse/categories/rock/playlists", {"params": {"limit": 5}}),
        ("GET", "/browse/new-releases", {"params": {"limit": 5}}),
        ("GET", "/audio-features", {"params": {"ids": s["track"]}}),
        ("GET", f"/audio-features/{s['track']}", {}),
        ("GET", f"/audio-analysis/{s['track']}", {}),
        ("GET", "/recommendations", {"params": {"seed_tracks": s["track"], "seed_genres": "rock", "limit": 5}}),
        ("GET", "/recommendations/available-genre-seeds", {}),
        ("GET", "/markets", {}),
    ]
    removed: list[tuple[str, str, dict[str, Any]]] = []
    for kind, key in (("audiobooks", "audiobook"), ("albums", "album"), ("tracks", "track"), ("episodes", "episode"), ("shows", "show")):
        removed += [
            ("PUT", f"/me/{kind}", {"params": {"ids": s[key]}} if kind != "tracks" else {"json": {"ids": [s[key]]}}),
            ("DELETE", f"/me/{kind}", {"params": {"ids": s[key]}}),
            ("GET", f"/me/{kind}/contains", {"params": {"ids": s[key]}}),
        ]
    removed += [
        ("GET", "/users/sandboxcurator", {}),
        ("GET", "/users/sandboxcurator/playlists", {}),
        ("POST", "/users/sandboxlistener/playlists", {"json": {"name": "x"}}),
        ("PUT", f"/playlists/{pid}/followers", {}),
        ("DELETE", f"/playlists/{pid}/followers", {}),
        ("GET", f"/playlists/{pid}/followers/contains", {"params": {"ids": "sandboxlistener"}}),
        ("PUT", "/me/following", {"params": {"type": "artist", "ids": s["artist"]}}),
        ("DELETE", "/me/following", {"params": {"type": "artist", "ids": s["artist"]}}),
        ("GET", "/me/following/contains", {"params": {"type": "artist", "ids": s["artist"]}}),
        ("GET", f"/playlists/{pid}/tracks", {}),
        ("POST", f"/playlists/{pid}/tracks", {"json": {"uris": [f"spotify:track:{s['track']}"]}}),
        ("PUT", f"/playlists/{pid}/tracks", {"json": {"range_start": 0, "insert_before": 1}}),
        ("DELETE", f"/playlists/{pid}/tracks", {"json": {"tracks": [{"uri": f"spotify:track:{s['track']}"}]}}),
    ]
    out = []
    for method, path, kw in calls:
        r = api.request(method, path, **kw)
        if expect_ok:
            assert r.status_code == 200, f"{method} {path} -> {r.status_code}: {r.text[:300]}"
        else:
            assert r.status_code in (403, 404), f"{method} {path} -> {r.status_code}"
            assert "development-mode" in r.json()["error"]["message"]
        out.append((f"{method} {path}", r.status_code, r.json()))
    for method, path, kw in removed:
        r = api.request(method, path, **kw)
        assert r.status_code == 403, f"{method} {path} -> {r.status_code}: {r.text[:200]}"
        msg = r.json()["error"]["message"]
        assert "removed" in msg and "use " in msg, msg
        out.append((f"{method} {path}", r.status_code, r.json()))
    return out


def test_deprecated_operations_in_development_mode_say_why(fresh, spec):
    answers = _tour_deprecated(fresh, expect_ok=False)
    seen, problems = _check_all(spec, fresh.requests())
    missing = sorted(o.operation_id for o in spec.deprecated() if o.operation_id not in seen)
    assert len(spec.deprecated()) == 48 and len(answers) == 48
    assert not missing, f"deprecated operations not exercised: {missing}"
    assert not problems, "\n".join(problems[:40])


def test_deprecated_operations_with_extended_quota_return_data(fresh, spec):
    fresh.faults(extended_quota=True)
    _tour_deprecated(fresh, expect_ok=True)
    _, problems = _check_all(spec, fresh.requests(), allow_deprecated=True)
    assert not problems, "\n".join(problems[:40])
    # An editorial playlist is readable with extended quota, 404 without.
    editorial = fresh.world()["playlists"]["editorial"][0]
    api = fresh.api()
    assert api.get(f"/playlists/{editorial}").status_code == 200
    fresh.faults(extended_quota=False)
    r = api.get(f"/playlists/{editorial}")
    assert r.status_code == 404 and r.json()["error"]["status"] == 404


def _error(r: httpx.Response, status: int, reason: str | None = None) -> str:
    assert r.status_code == status, f"{r.request.method} {r.request.url} -> {r.status_code} (wanted {status}): {r.text[:300]}"
    body = r.json()["error"]
    assert body["status"] == status and body["message"]
    if reason:
        assert body.get("reason") == reason, body
    return body["message"]


def test_error_paths_are_spotify_errors(fresh, spec):
    sb = fresh
    w = sb.world()
    s = w["samples"]
    api = sb.api()
    # Parameters out of bounds.
    assert "limit" in _error(api.get("/search", params={"q": "a", "type": "track", "limit": 11}), 400)
    _error(api.get("/search", params={"type": "track"}), 400)
    _error(api.get("/search", params={"q": "a", "type": "song"}), 400)
    _error(api.get("/me/tracks", params={"limit": 51}), 400)
    _error(api.get(f"/artists/{s['artist']}/albums", params={"limit": 11}), 400)
    _error(api.get("/tracks/not-an-id"), 400)
    _error(api.get("/tracks/0000000000000000000000"), 404)
    _error(api.get("/me/top/artists", params={"time_range": "forever"}), 400)
    uris = ",".join([f"spotify:track:{s['track']}"] * 41)
    _error(api.put("/me/library", params={"uris": uris}), 400)
    _error(api.get("/me/library/contains", params={"uris": "spotify:chapter:" + s["chapter"]}), 400)
    # Playlists: not owned, editorial, edits.
    foreign = w["playlists"]["not_owned"][0]
    assert api.get(f"/playlists/{foreign}").status_code == 200
    assert "own" in _error(api.get(f"/playlists/{foreign}/items"), 403)
    _error(api.post(f"/playlists/{foreign}/items", json={"uris": [f"spotify:track:{s['track']}"]}), 403)
    _error(api.get(f"/playlists/{w['playlists']['editorial'][0]}/items"), 404)
    owned = w["playlists"]["owned"][0]
    _error(api.put(f"/playlists/{owned}/items", json={"range_start": 999, "insert_before": 0}), 400)
    _error(api.post(f"/playlists/{owned}/items", json={"uris": ["spotify:track:x"]}), 400)
    _error(api.post("/me/playlists", json={"public": True}), 400)
    _error(api.put(f"/playlists/{owned}/images", content=b"not base64!", headers={"Content-Type": "image/jpeg"}), 400)
    big = base64.b64encode(TINY_JPEG[:-2] + b"\0" * 300_000 + TINY_JPEG[-2:])
    _error(api.put(f"/playlists/{owned}/images", content=big, headers={"Content-Type": "image/jpeg"}), 413)
    _error(api.put(f"/playlists/{owned}/images", content=b"A" * 3_000_000, headers={"Content-Type": "image/jpeg"}), 413)
    _error(api.put(f"/playlists/{owned}/images", content=base64.b64encode(b"GIF89a...."), headers={"Content-Type": "image/jpeg"}), 400)
    # Auth.
    _error(httpx.get(f"{sb.base}/v1/me"), 401)
    _error(httpx.get(f"{sb.base}/v1/me", headers={"Authorization": "Bearer nope"}), 401)
    cc = httpx.post(f"{sb.base}/api/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET)).json()
    assert "refresh_token" not in cc and cc["expires_in"] == 3600
    app = httpx.Client(base_url=f"{sb.base}/v1", headers={"Authorization": f"Bearer {cc['access_token']}"})
    assert app.get(f"/tracks/{s['track']}").status_code == 200
    _error(app.get("/me"), 401)
    _error(app.get("/me/player"), 401)
    # Player: Premium, devices, volume, transfer.
    free = sb.api(FREE)
    assert free.get("/me/player/devices").status_code == 200
    _error(free.put("/me/player/pause"), 403, "PREMIUM_REQUIRED")
    _error(free.put("/me/player/play", json={"uris": [f"spotify:track:{s['track']}"]}), 403, "PREMIUM_REQUIRED")
    devices = w["devices"]["premium"]
    phone = next(d for d in devices if not d["supports_volume"])
    tv = next(d for d in devices if d["is_restricted"])
    _error(api.put("/me/player", json={"device_ids": [devices[0]["id"], phone["id"]]}), 400)
    _error(api.put("/me/player", json={"device_ids": [tv["id"]]}), 403)
    _error(api.put("/me/player/play", params={"device_id": "f" * 40}, json={"uris": [f"spotify:track:{s['track']}"]}), 404)
    assert api.put("/me/player", json={"device_ids": [phone["id"]], "play": True}).status_code == 204
    _error(api.put("/me/player/volume", params={"volume_percent": 50}), 400, "VOLUME_CONTROL_DISALLOW")
    assert api.put("/me/player", json={"device_ids": [devices[0]["id"]]}).status_code == 204
    _error(api.put("/me/player/volume", params={"volume_percent": 101}), 400)
    _error(api.put("/me/player/repeat", params={"state": "sometimes"}), 400)
    _error(api.put("/me/player/play", content=b"{nope", headers={"Content-Type": "application/json"}), 400)
    assert httpx.post(f"{sb.base}/sandbox/player/deactivate", json={"user": "premium"}).status_code == 204
    assert api.get("/me/player").status_code == 204
    for method, path, params in (("PUT", "/me/player/pause", {}), ("POST", "/me/player/next", {}), ("PUT", "/me/player/seek", {"position_ms": 1}),
                                 ("PUT", "/me/player/volume", {"volume_percent": 5}), ("POST", "/me/player/queue", {"uri": f"spotify:track:{s['track']}"})):
        _error(api.request(method, path, params=params), 404, "NO_ACTIVE_DEVICE")
    _error(api.put("/me/player/play"), 404, "NO_ACTIVE_DEVICE")
    # Every answer above is an error object the definition allows (or the operation lists).
    _, problems = _check_all(spec, sb.requests(), requests=False)
    assert not problems, "\n".join(problems[:40])


def test_faults_rate_limits_and_server_errors(fresh, spec):
    sb = fresh
    api = sb.api()
    knobs = sb.faults(rate_limit_probability=1.0, retry_after_secs=7)
    assert knobs["rate_limit_probability"] == 1.0
    r = api.get("/me")
    _error(r, 429)
    assert r.headers["Retry-After"] == "7"
    sb.faults(rate_limit_probability=0.0, server_error_probability=1.0)
    statuses = {api.get("/me").status_code for _ in range(30)}
    assert statuses <= {502, 503, 504} and len(statuses) >= 2, statuses
    sb.faults(server_error_probability=0.0, latency_ms=150)
    started = time.monotonic()
    assert api.get("/me").status_code == 200
    assert time.monotonic() - started >= 0.15
    sb.faults(latency_ms=0)
    assert httpx.put(f"{sb.base}/sandbox/faults", json={"rate_limit_probability": 2}).status_code == 400
    assert httpx.put(f"{sb.base}/sandbox/faults", json={"no_such_knob": 1}).status_code == 400
    _, problems = _check_all(spec, sb.requests())
    assert not problems, "\n".join(problems[:40])


def test_oauth_pkce_refresh_and_errors(fresh):
    sb = fresh
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = "http://127.0.0.1:9/callback"
    r = httpx.get(
        f"{sb.base}/authorize",
        params={"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": redirect, "state": "xyz",
                "code_challenge_method": "S256", "code_challenge": challenge, "scope": "user-read-private user-read-playback-state"},
    )
    assert r.status_code == 302, r.text
    loc = urlparse(r.headers["Location"])
    q = parse_qs(loc.query)
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == redirect and q["state"] == ["xyz"]
    code = q["code"][0]
    bad = httpx.post(f"{sb.base}/api/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                                                   "client_id": CLIENT_ID, "code_verifier": "x" * 50})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    # The code was consumed by the failed attempt (single use), so log in again.
    r = httpx.get(f"{sb.base}/authorize", params={"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": redirect,
                                                  "code_challenge_method": "S256", "code_challenge": challenge, "scope": "user-read-private"})
    code = parse_qs(urlparse(r.headers["Location"]).query)["code"][0]
    tok = httpx.post(f"{sb.base}/api/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                                                   "client_id": CLIENT_ID, "code_verifier": verifier})
    assert tok.status_code == 200, tok.text
    body = tok.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["refresh_token"] and body["scope"] == "user-read-private"
    me = httpx.get(f"{sb.base}/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == "sandboxlistener"
    # Scopes are enforced: this token may not read the player.
    _error(httpx.get(f"{sb.base}/v1/me/player", headers={"Authorization": f"Bearer {body['access_token']}"}), 403)
    # PKCE refresh (client id only) rotates the refresh token; the fixed one does not.
    ref = httpx.post(f"{sb.base}/api/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": CLIENT_ID})
    assert ref.status_code == 200 and ref.json()["refresh_token"] != body["refresh_token"]
    fixed = httpx.post(f"{sb.base}/api/token", data={"grant_type": "refresh_token", "refresh_token": PREMIUM}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert fixed.status_code == 200 and "refresh_token" not in fixed.json()
    # OAuth errors.
    e = httpx.post(f"{sb.base}/api/token", data={"grant_type": "refresh_token", "refresh_token": "unknown"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert e.status_code == 400 and e.json()["error"] == "invalid_grant" and e.json()["error_description"]
    e = httpx.post(f"{sb.base}/api/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, "wrong"))
    assert e.json()["error"] == "invalid_client"
    e = httpx.post(f"{sb.base}/api/token", data={"grant_type": "client_credentials"}, auth=("someone-else", CLIENT_SECRET))
    assert e.json()["error"] == "invalid_client"
    e = httpx.post(f"{sb.base}/api/token", data={"grant_type": "password"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert e.json()["error"] == "unsupported_grant_type"
    # Revocation: the refresh token stops working, access tokens expire (401 "expired").
    access = sb.token()
    r = httpx.post(f"{sb.base}/sandbox/tokens/revoke", json={"refresh_token": PREMIUM, "access_tokens": True})
    revoked = r.json()
    assert revoked["refresh_token_revoked"] is True and revoked["access_tokens_expired"] is True, revoked
    assert revoked["refresh_tokens_revoked"] == 1 and revoked["access_tokens_revoked"] >= 1, revoked
    assert "expired" in _error(httpx.get(f"{sb.base}/v1/me", headers={"Authorization": f"Bearer {access}"}), 401)
    e = httpx.post(f"{sb.base}/api/token", data={"grant_type": "refresh_token", "refresh_token": PREMIUM}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert e.json()["error"] == "invalid_grant"
    # Reset brings the fixed refresh token back; recorded token bodies never hold secrets.
    assert httpx.post(f"{sb.base}/sandbox/reset").status_code == 204
    assert sb.token()
    sb.faults(record_requests=True)
    sb.token()
    logged = json.dumps(sb.requests())
    assert PREMIUM not in logged and CLIENT_SECRET not in logged and "<redacted>" in logged


def test_same_seed_same_world_and_reset(fresh):
    sb = fresh
    api = sb.api()
    first = api.get("/search", params={"q": "the", "type": "track", "limit": 10}).json()
    pid = sb.world()["playlists"]["owned"][0]
    snap = api.get(f"/playlists/{pid}").json()["snapshot_id"]
    api.put(f"/playlists/{pid}", json={"name": "changed"})
    assert api.get(f"/playlists/{pid}").json()["snapshot_id"] != snap
    assert httpx.post(f"{sb.base}/sandbox/reset").status_code == 204
    after = api.get(f"/playlists/{pid}").json()
    assert after["snapshot_id"] == snap and after["name"] != "changed"
    assert api.get("/search", params={"q": "the", "type": "track", "limit": 10}).json() == first


def test_the_validator_is_not_vacuous(spec):
    """The checks above would catch unfaithful answers: wrong types, missing required fields,
    nulls where the definition has none, undeclared or out-of-range parameters, removed fields."""
    paging = {"href": "h", "items": [], "limit": 5, "next": None, "offset": 0, "previous": None, "total": 0}
    assert ov.validate_response(spec, "GET", "/v1/albums/x/tracks", 200, paging) == []
    assert ov.validate_response(spec, "GET", "/v1/albums/x/tracks", 200, {**paging, "total": "0"})
    missing = dict(paging)
    del missing["previous"]
    assert ov.validate_response(spec, "GET", "/v1/albums/x/tracks", 200, missing)
    assert ov.validate_response(spec, "GET", "/v1/albums/x/tracks", 200, {**paging, "href": None})
    image = {"url": "u", "height": None, "width": None}
    assert ov.validate_response(spec, "GET", "/v1/playlists/x/images", 200, [image]) == []
    assert ov.validate_response(spec, "GET", "/v1/playlists/x/images", 200, [{"url": "u"}])
    assert ov.validate_response(spec, "GET", "/v1/me/player/devices", 201, {"devices": []})
    assert ov.validate_response(spec, "PUT", "/v1/me/player/pause", 204, {"unexpected": True})
    assert ov.validate_response(spec, "GET", "/v1/me", 404, {"message": "flat"})
    assert ov.validate_request(spec, "GET", "/v1/search", "q=a&type=track&limit=5") == []
    assert ov.validate_request(spec, "GET", "/v1/search", "q=a&type=track&limit=50")
    assert ov.validate_request(spec, "GET", "/v1/search", "q=a&type=song")
    assert ov.validate_request(spec, "GET", "/v1/search", "type=track")
    assert ov.validate_request(spec, "GET", "/v1/tracks/x", "bogus=1")
    assert ov.validate_request(spec, "GET", "/v1/no/such/path", None)
    assert ov.validate_request(spec, "DELETE", "/v1/playlists/x/items", None, {"snapshot_id": "s"})
    assert ov.match_operation(spec, "GET", "/v1/me/player/queue").operation_id == "get-queue"
    track = {"id": "x", "popularity": 3, "album": {"available_markets": [], "name": "a"}}
    assert ov.deprecated_fields(spec, "GET", "/v1/tracks/x", 200, track) == ["$.popularity"]


def test_a_corrupted_sandbox_answer_and_query_are_caught(fresh, spec):
    """A real recorded exchange passes; the same exchange with a required field removed, a
    wrong type or an out-of-range query parameter fails, naming the operation and the place."""
    s = fresh.world()["samples"]
    api = fresh.api()
    assert api.get(f"/albums/{s['album']}/tracks", params={"limit": 2}).status_code == 200
    [ex] = [e for e in fresh.requests() if e["path"].endswith("/tracks")]
    assert _check_all(spec, [ex])[1] == []
    body = ex["response_body"]
    missing = {k: v for k, v in body.items() if k != "total"}
    problems = ov.validate_response(spec, ex["method"], ex["path"], 200, missing)
    assert any("GET /albums/{id}/tracks" in p and "'total' is a required property" in p for p in problems), problems
    wrong = {**body, "items": [{**body["items"][0], "duration_ms": "long"}] + body["items"][1:]}
    problems = ov.validate_response(spec, ex["method"], ex["path"], 200, wrong)
    assert any("items/0/duration_ms" in p and "'long' is not of type 'integer'" in p for p in problems), problems
    problems = ov.validate_request(spec, ex["method"], ex["path"], "limit=51")
    assert any("GET /albums/{id}/tracks" in p and "limit" in p and "maximum" in p for p in problems), problems
    problems = ov.validate_request(spec, ex["method"], ex["path"], "limit=two")
    assert any("limit" in p and "two" in p for p in problems), problems
