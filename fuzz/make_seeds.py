#!/usr/bin/env python3
"""Writes the committed seed corpora of fuzz/corpus/<target>/ (run from anywhere; idempotent).

Seeds are real inputs in each target's framing: HTTP/1.1 request text for mcp_http and
sandbox_http, `{"name", "arguments"}` tool calls for tool_arguments, URIs and links for
spotify_ids, header lines for http_headers, and the SpotifyMcp manifests of examples/ (valid and
invalid) for crd. Files are named for what they hold. Crash inputs found later are added by hand
(named crash-<what>), never by this script."""
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent
REPO = ROOT.parent
CORPUS = ROOT / "corpus"
TOKEN = "fuzz-token-8f3a0c"  # the bearer token mcp_http accepts
TRACK = "4uLU6hMCjMI75M1A2tKUQC"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def http(method, path, headers, body=b""):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body


def mcp_headers(version, session=False, method=None, name=None):
    h = {"Host": "127.0.0.1:8000", "Authorization": f"Bearer {TOKEN}",
         "Accept": "application/json, text/event-stream", "Content-Type": "application/json",
         "MCP-Protocol-Version": version}
    if session:
        h["Mcp-Session-Id"] = "{session}"
    if method:
        h["Mcp-Method"] = method
    if name:
        h["Mcp-Name"] = name
    return h


MODERN_META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
               "io.modelcontextprotocol/clientCapabilities": {},
               "io.modelcontextprotocol/clientInfo": {"name": "seed", "version": "0"}}


def modern(method, params, id=1, name=None):
    body = {"jsonrpc": "2.0", "id": id, "method": method, "params": dict(params, _meta=MODERN_META)}
    return http("POST", "/mcp", mcp_headers("2026-07-28", method=method, name=name), body)


def mcp_http():
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "seed", "version": "0"}}}
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    sep = b"\n---\n"
    session = [http("POST", "/mcp", mcp_headers("2025-11-25"), init),
               http("POST", "/mcp", mcp_headers("2025-11-25", session=True), initialized)]
    write("mcp_http", "session-2025-11-25-tools-list", sep.join(session + [
        http("POST", "/mcp", mcp_headers("2025-11-25", session=True),
             {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})]))
    write("mcp_http", "session-2025-11-25-search-then-delete", sep.join(session + [
        http("POST", "/mcp", mcp_headers("2025-11-25", session=True),
             {"jsonrpc": "2.0", "id": "s", "method": "tools/call",
              "params": {"name": "search", "arguments": {"query": "jazz", "type": ["track"], "limit": 3}}}),
        http("DELETE", "/mcp", mcp_headers("2025-11-25", session=True))]))
    write("mcp_http", "session-2025-11-25-get-stream", sep.join(session + [
        http("GET", "/mcp", {**mcp_headers("2025-11-25", session=True), "Accept": "text/event-stream"})]))
    write("mcp_http", "modern-tools-list", modern("tools/list", {}))
    write("mcp_http", "modern-get-profile", modern("tools/call", {"name": "get_profile", "arguments": {}}, name="get_profile"))
    write("mcp_http", "modern-get-item", modern("tools/call", {"name": "get_item", "arguments": {"id": f"spotify:track:{TRACK}"}}, id="x", name="get_item"))
    write("mcp_http", "modern-play", modern("tools/call", {"name": "play", "arguments": {"uris": [f"spotify:track:{TRACK}"]}}, name="play"))
    write("mcp_http", "modern-resources-read", modern("resources/read", {"uri": "spotify://player/now-playing"}))
    write("mcp_http", "modern-prompts-list", modern("prompts/list", {}))
    write("mcp_http", "modern-arguments-not-object", modern("tools/call", {"name": "get_profile", "arguments": []}, name="get_profile"))
    write("mcp_http", "parse-error", http("POST", "/mcp", mcp_headers("2026-07-28"), b'{"jsonrpc": "2.0", "id": 1, "method"'))
    write("mcp_http", "batch", http("POST", "/mcp", mcp_headers("2026-07-28"), [{"jsonrpc": "2.0", "id": 1, "method": "ping"}]))
    write("mcp_http", "no-token", http("POST", "/mcp", {**mcp_headers("2026-07-28"), "Authorization": "Basic dXNlcjpwYXNz"}, {"jsonrpc": "2.0", "id": 1, "method": "ping"}))
    write("mcp_http", "foreign-origin", http("POST", "/mcp", {**mcp_headers("2026-07-28"), "Origin": "https://evil.example.com"}, {"jsonrpc": "2.0", "id": 1, "method": "ping"}))
    write("mcp_http", "empty-host", http("POST", "/mcp", {**mcp_headers("2026-07-28"), "Host": ""}, {"jsonrpc": "2.0", "id": 1, "method": "ping"}))
    write("mcp_http", "unknown-session-delete", http("DELETE", "/mcp", {**mcp_headers("2025-11-25"), "Mcp-Session-Id": "no-such-session"}))
    write("mcp_http", "probes", sep.join([http("GET", "/healthz", {"Host": "10.1.2.3:8000"}),
                                          http("GET", "/readyz", {"Host": "127.0.0.1:8000"}),
                                          http("GET", "/metrics", {"Host": "evil.example.com"})]))


def sandbox_http():
    auth = {"Host": "127.0.0.1", "Authorization": "Bearer {premium}"}
    write("sandbox_http", "get-track", http("GET", f"/v1/tracks/{TRACK}?market=US", auth))
    write("sandbox_http", "search", http("GET", "/v1/search?q=jazz&type=track,album&limit=5&offset=0", auth))
    write("sandbox_http", "player-state", http("GET", "/v1/me/player?additional_types=episode", auth))
    write("sandbox_http", "play", http("PUT", "/v1/me/player/play", {**auth, "Content-Type": "application/json"}, {"uris": [f"spotify:track:{TRACK}"], "position_ms": 0}))
    write("sandbox_http", "free-user-pause", http("PUT", "/v1/me/player/pause", {"Host": "127.0.0.1", "Authorization": "Bearer {free}"}))
    write("sandbox_http", "create-playlist", http("POST", "/v1/me/playlists", {**auth, "Content-Type": "application/json"}, {"name": "Seed", "public": False}))
    write("sandbox_http", "library-contains", http("GET", f"/v1/me/library/contains?uris=spotify:track:{TRACK}", auth))
    write("sandbox_http", "token-refresh", http("POST", "/api/token", {"Host": "127.0.0.1", "Content-Type": "application/x-www-form-urlencoded"},
                                                 b"grant_type=refresh_token&refresh_token=sandbox-refresh-token&client_id=sandbox-client-id&client_secret=sandbox-client-secret"))
    write("sandbox_http", "authorize", http("GET", "/authorize?client_id=sandbox-client-id&response_type=code&redirect_uri=http://127.0.0.1:8888/callback&state=s&code_challenge=abc&code_challenge_method=S256", {"Host": "127.0.0.1"}))
    write("sandbox_http", "no-token", http("GET", "/v1/me", {"Host": "127.0.0.1"}))
    write("sandbox_http", "faults-then-world", b"\n---\n".join([
        http("PUT", "/sandbox/faults", {"Host": "127.0.0.1", "Content-Type": "application/json"}, {"rate_limit_probability": 0.5, "retry_after_secs": 2}),
        http("GET", "/sandbox/world", {"Host": "127.0.0.1"})]))
    write("sandbox_http", "control-foreign-origin", http("POST", "/sandbox/reset", {"Host": "127.0.0.1", "Origin": "https://evil.example.com"}))


def tool_arguments():
    calls = {
        "search": {"query": "jazz", "type": ["track", "artist"], "limit": 5},
        "get_item": {"id": f"https://open.spotify.com/intl-de/track/{TRACK}?si=abc"},
        "get_item_children": {"id": "spotify:album:1ATL5GLyefJaxhQzSPVrLX", "limit": 50, "offset": 0},
        "play": {"context_uri": "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M", "offset": 3},
        "seek": {"position_ms": 86400000},
        "set_volume": {"volume_percent": 101},
        "add_playlist_items": {"playlist": "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M", "uris": [f"spotify:track:{TRACK}"] * 3, "position": 0},
        "reorder_playlist_items": {"playlist": "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M", "range_start": 0, "insert_before": 2},
        "create_playlist": {"name": "x" * 201},
        "get_saved_items": {"type": "track", "limit": 0},
        "get_top_items": {"type": "artists", "time_range": "long_term"},
        "upload_playlist_cover": {"playlist": "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M", "image_base64": "/9j/4AAQSkZJRg=="},
        "play_best_match": {"query": "miles davis so what"},
        "transfer_playback": {"device_id": "", "play": True},
        "get_profile": {"unknown": 1},
    }
    for name, args in calls.items():
        write("tool_arguments", name, json.dumps({"name": name, "arguments": args}))


def spotify_ids():
    inputs = [f"spotify:track:{TRACK}", f"https://open.spotify.com/track/{TRACK}?si=x",
              f"open.spotify.com/intl-pt-br/embed/album/{TRACK}/", "spotify:user:alice.b:playlist:37i9dQZF1DXcBWIGoYBM5M",
              "https://open.spotify.com/user/spotify/playlist/37i9dQZF1DXcBWIGoYBM5M", "spotify:local:a:b:c:180",
              "https://spotify.link/abc", TRACK, "SPOTIFY:ARTIST:0OdUWJ0sBjDrqHygGUXeCF", "spotify:user:wizzler",
              "https://play.spotify.com/episode/512ojhOuo1ktJprKbVcKyQ"]
    for i, text in enumerate(inputs):
        write("spotify_ids", f"id-{i:02d}", struct.pack("<H", 0xFFFF if i % 2 else 0x0001) + text.encode())


def http_headers():
    cases = {
        "delta-seconds": ("120", "0", "tok-a,tok-b", "Bearer tok-a"),
        "http-date": ("Wed, 21 Oct 2015 07:28:00 GMT", "1445412000", "# comment, tok", "bearer  tok "),
        "fraction": ("1.5", "0", " , ", "Bearer"),
        "huge": ("99999999999999999999999", "7", "a", "BEARER a"),
        "wrong-scheme": ("-1", "0", "secret-token-1", "Basic c2VjcmV0LXRva2VuLTE="),
        "listed": ("0", "0", "first-token,second-token", "@listed 1 3"),
        "obsolete-date": ("Sunday, 06-Nov-94 08:49:37 GMT", "0", "t", "Bearer\tt"),
    }
    for name, lines in cases.items():
        write("http_headers", name, "\n".join(lines))


def crd():
    # flags: bit 0 YAML, bit 1 fill in metadata; no Secret dropped; all keys present; annotation 0.
    head = lambda flags, authorized=0: struct.pack("<BBHBi", flags, 255, 0, authorized, 0)
    for path in sorted((REPO / "examples").rglob("*.yaml")):
        name = path.relative_to(REPO / "examples").as_posix().replace("/", "-").removesuffix(".yaml")
        write("crd", name, head(3) + path.read_bytes())
    write("crd", "json-minimal", head(2, 1) + json.dumps({
        "apiVersion": "spotifymcp.dev/v1alpha1", "kind": "SpotifyMcp",
        "metadata": {"name": "m", "namespace": "n", "uid": "u", "generation": 2},
        "spec": {"spotify": {"secretName": "creds"}, "replicas": 3}}).encode())


if __name__ == "__main__":
    mcp_http()
    sandbox_http()
    tool_arguments()
    spotify_ids()
    http_headers()
    crd()
