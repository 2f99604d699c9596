"""The official TypeScript SDK (pinned in scripts/mcp-clients.sh, on Node 22) drives
`spotify-mcp-server --sandbox` through tests/clients/ts_client.mjs: initialize, tools/list,
tools/call (search, play, pause), resources/list, resources/read, prompts/list, prompts/get,
completion/complete, logging and resources/subscribe, over streamable HTTP and over stdio.

The SDK has two lines, and each is tested in the revision it is made for:
- 1.x, `@modelcontextprotocol/sdk`, speaks revisions up to 2025-11-25 only (its
  SUPPORTED_PROTOCOL_VERSIONS): the initialize handshake, a session over HTTP (Mcp-Session-Id),
  logging/setLevel, resources/subscribe.
- 2.x, `@modelcontextprotocol/client`, pinned to 2026-07-28 (`versionNegotiation`):
  server/discover, then stateless requests carrying the _meta envelope, no session over HTTP,
  the log level in each request's _meta (2026-07-28 has no logging/setLevel). Its subscriptions
  are a `subscriptions/listen` stream (resources/subscribe is 2025-11-25's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import REPO_ROOT, STARTED, ServerProcess, clean_env
from node_clients import client_paths, run_node
from surface import DEFAULT_TOOLS

SCRIPT = REPO_ROOT / "tests" / "clients" / "ts_client.mjs"
TRANSPORTS = ["http", "stdio"]
# (package, era): what ts_client.mjs is told to use.
LINES = {"sdk-1.32.2": ("sdk", "legacy"), "client-2.4.0": ("client", "modern")}
ERAS = {"legacy": "2025-11-25", "modern": "2026-07-28"}
STATIC_RESOURCES = {
    "spotify://player/now-playing",
    "spotify://player/devices",
    "spotify://player/queue",
    "spotify://me/playlists",
}
NOW_PLAYING = "spotify://player/now-playing"


def ts_client(
    transport: str, launcher, tmp_path: Path, *script_args: str, server_args: tuple[str, ...] = (), server_env=None
):
    """Runs the script against a server of its own (the conversation changes the player) and
    returns its JSON report. Over stdio the SDK starts `spotify-mcp-server stdio --sandbox`."""
    sdk = client_paths("SPOTIFY_MCP_TS_CLIENT_DIR")["SPOTIFY_MCP_TS_CLIENT_DIR"]
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    if transport == "stdio":
        target = ["--stdio", str(launcher.binary), "stdio", "--sandbox", *server_args]
        name = "ts-client-stdio"
    else:
        server = launcher.http_server(*server_args, name="ts-client-http", env=server_env)
        target = ["--http", server.mcp_url]
        name = "ts-client"
    run = run_node(
        str(SCRIPT), "--sdk", sdk, *script_args, *target, env=clean_env(server_env, home), cwd=tmp_path, timeout=180
    )
    # The client's stderr holds the stdio server's log: attach it to a failure like a server's.
    log = launcher.workdir / f"{name}-{len(STARTED):03d}.log"
    log.write_text(run.stderr)
    STARTED.append(ServerProcess(name, [str(SCRIPT), *target], {}, log))
    assert run.returncode == 0, f"ts_client.mjs exit {run.returncode}\nstdout: {run.stdout[-3000:]}\nstderr: {run.stderr[-3000:]}"
    report = json.loads(run.stdout)
    assert "error" not in report["initialize"], f"initialize failed: {report['initialize']}"
    return report


def ok(report: dict, step: str):
    """The result of a step, failing with the server's error when it has none."""
    got = report["steps"].get(step)
    assert got is not None, f"the script did not run {step!r}: {sorted(report['steps'])}"
    assert "error" not in got, f"{step}: {got['error']}"
    return got["result"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("line", LINES)
def test_ts_sdk_conversation(line, transport, launcher, tmp_path):
    package, era = LINES[line]
    report = ts_client(transport, launcher, tmp_path, "--package", package, "--era", era)
    assert f"{package}-{report['sdkVersion']}" == line, (report["package"], report["sdkVersion"])

    init = report["initialize"]
    assert init["protocolVersion"] == ERAS[era] and init["protocolEra"] == era, init
    assert init["serverInfo"]["name"] == "spotify-mcp-server", init
    caps = init["capabilities"]
    for cap in ("tools", "resources", "prompts", "logging", "completions"):
        assert cap in caps, f"server does not announce {cap}: {caps}"
    if transport == "http" and era == "legacy":
        assert init["sessionId"], f"a 2025-11-25 HTTP session got no Mcp-Session-Id: {init}"
    else:
        assert init["sessionId"] is None, f"{transport} at {ERAS[era]} has no session: {init}"

    tools = ok(report, "tools/list")
    assert not set(DEFAULT_TOOLS) - set(tools), f"tools missing: {sorted(set(DEFAULT_TOOLS) - set(tools))}"
    assert STATIC_RESOURCES <= set(ok(report, "resources/list")), report["steps"]["resources/list"]
    assert "spotify://playlist/{id}" in ok(report, "resources/templates/list")

    # resources/read: the now-playing JSON of the sandbox's player.
    before = ok(report, "resources/read now-playing")
    assert before["uri"] == NOW_PLAYING and before["mimeType"] == "application/json", before
    item = before["json"]["item"]
    assert item["name"] and item["uri"].startswith("spotify:track:") and item["artists"], before

    # tools/call search for that track's name: the sandbox catalog answers with it.
    search = ok(report, "tools/call search")
    assert not search["isError"], search
    tracks = search["structuredContent"]["tracks"]
    assert item["uri"] in [t["uri"] for t in tracks], (item, tracks)
    assert item["name"] in search["text"], search["text"]

    # A playback tool changes what now-playing says.
    play = ok(report, "tools/call play")
    assert not play["isError"] and play["uri"] in play["structuredContent"]["message"], play
    after = ok(report, "resources/read now-playing after play")["json"]
    assert after["playing"] is True and after["item"]["uri"] == play["uri"], after
    pause = ok(report, "tools/call pause")
    assert not pause["isError"], pause
    paused = ok(report, "resources/read now-playing after pause")["json"]
    assert paused["playing"] is False and paused["item"]["uri"] == play["uri"], paused

    prompts = {p["name"]: p["arguments"] for p in ok(report, "prompts/list")}
    assert set(prompts) == {"curate_playlist", "dj_set", "explain_my_taste"}, prompts
    assert "mood" in prompts["dj_set"], prompts
    dj = ok(report, "prompts/get dj_set")
    assert "sunset" in dj["description"] and "60 minutes" in dj["text"], dj

    # completion/complete: prompt arguments from the fixed lists, a playlist ID by its name.
    mood = ok(report, "completion/complete dj_set mood")
    assert mood["values"] and mood["values"][0] == "sunset", mood
    assert all("sun" in v.lower() for v in mood["values"]), mood
    assert "jazz" in ok(report, "completion/complete curate_playlist theme")["values"]
    assert ok(report, "completion/complete explain_my_taste time_range")["values"] == ["short_term"]
    playlist = ok(report, "completion/complete spotify://playlist/{id}")
    assert playlist["playlist"]["uri"].rsplit(":", 1)[-1] in playlist["completion"]["values"], playlist
    unknown = report["steps"]["completion/complete unknown prompt"]
    assert unknown.get("error", {}).get("code") == -32602, unknown

    # Logging: nothing before a level is set (logging/setLevel at 2025-11-25, the request's _meta
    # at 2026-07-28), the failed play call at error after it.
    quiet = ok(report, "logging before setLevel")
    assert quiet["isError"] and quiet["messages"] == 0, quiet
    if era == "legacy":
        assert ok(report, "logging/setLevel") == {}
    logged = ok(report, "logging after setLevel")
    assert logged["isError"], logged
    plays = [m for m in logged["messages"] if m.get("data", {}).get("tool") == "play"]
    assert plays, f"no log message for the failed play call: {logged['messages']}"
    assert plays[0]["level"] == "error" and plays[0]["logger"] == "spotify-mcp", plays[0]
    assert "no-such-device" in plays[0]["data"]["message"], plays[0]

    # Nothing subscribed, so no resource updates, though now-playing changed.
    updated = [n for n in report["notifications"] if n["method"] == "notifications/resources/updated"]
    assert not updated, updated


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("line", LINES)
def test_ts_sdk_resource_subscription(line, transport, launcher, tmp_path):
    """A subscription to now-playing (the 1.x SDK's resources/subscribe at 2025-11-25, the 2.x
    client's subscriptions/listen at 2026-07-28), then play another track: the client is told
    with notifications/resources/updated within 10 s (the server polls every 300 ms here)."""
    package, era = LINES[line]
    # The flag over HTTP, its environment variable for the server the SDK starts over stdio.
    poll = {"server_args": ("--subscription-poll-ms", "300")}
    if transport == "stdio":
        poll = {"server_env": {"SPOTIFY_MCP_SUBSCRIPTION_POLL_MS": "300"}}
    report = ts_client(
        transport, launcher, tmp_path, "--package", package, "--era", era, "--subscribe", "--wait-ms", "10000", **poll
    )
    assert report["initialize"]["protocolVersion"] == ERAS[era], report["initialize"]
    resources = report["initialize"]["capabilities"].get("resources", {})
    assert resources.get("subscribe") is True and resources.get("listChanged") is True, (
        f"the server does not announce resource subscriptions: {resources}"
    )
    subscribed = ok(report, "subscribe now-playing")
    assert subscribed["method"] == ("resources/subscribe" if era == "legacy" else "subscriptions/listen"), subscribed
    if era == "modern":
        honored = subscribed["honoredFilter"].get("resourceSubscriptions")
        assert honored == [NOW_PLAYING], f"the server did not accept the now-playing subscription: {subscribed}"
    change = ok(report, "tools/call play (change)")
    assert not change["isError"] and change["uri"] and change["uri"] != change["from"], change
    updated = ok(report, "notifications/resources/updated")
    uris = [u["uri"] for u in updated["updates"]]
    assert NOW_PLAYING in uris, f"no notifications/resources/updated for {NOW_PLAYING} within 10 s: {updated}"
    ok(report, "unsubscribe now-playing")
