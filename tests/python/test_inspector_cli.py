"""The MCP Inspector's CLI (npm `@modelcontextprotocol/inspector`, pinned in
scripts/mcp-clients.sh, `mcp-inspector --cli` on Node 22) against `spotify-mcp-server --sandbox`,
over streamable HTTP and over stdio, in both protocol eras the Inspector negotiates:
`--protocol-era legacy` (the 2025-11-25 initialize handshake; a session over HTTP) and
`--protocol-era modern` (2026-07-28: stateless requests over HTTP).

Each invocation is one connection and one method. The pinned version's one-shot --cli methods
are initialize, tools/list, tools/call, resources/list, resources/read, resources/templates/list,
prompts/list, prompts/get and logging/setLevel (plus skills/* and resources/directory/read, which
need a skills extension this server does not have); completion/complete, resources/subscribe
and answering an elicitation need a connection that outlives one call, so the same package's
connection CLI, `mcpdo`, covers them (test_inspector_connections.py), as does the TypeScript SDK
(test_ts_client.py). At 2026-07-28 the Inspector opens a subscriptions/listen stream on connect,
since the server announces resource subscriptions; over stdio the server then outlives the end of
its input (test_stdio_listen_exit.py), and each call takes ~2.5 s longer."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness import STARTED, ServerProcess, clean_env
from node_clients import client_paths, json_answer, run_logged
from surface import DEFAULT_TOOLS

ERAS = {"legacy": "2025-11-25", "modern": "2026-07-28"}
MODES = [("http", "legacy"), ("http", "modern"), ("stdio", "legacy"), ("stdio", "modern")]
NOW_PLAYING = "spotify://player/now-playing"


class Inspector:
    """`node22 mcp-inspector --cli --protocol-era ERA --format json ... TARGET`, one call each."""

    def __init__(self, target: list[str], era: str, home: Path, log: Path):
        c = client_paths("SPOTIFY_MCP_NODE22", "SPOTIFY_MCP_INSPECTOR_CLI")
        self.argv = [c["SPOTIFY_MCP_NODE22"], c["SPOTIFY_MCP_INSPECTOR_CLI"], "--cli", "--protocol-era", era]
        self.target = target
        # It keeps state under ~/.mcp-inspector: a private HOME.
        self.env = clean_env(None, home)
        self.home = home
        self.log = log

    def __call__(self, method: str, *args: str, exit_code: int = 0) -> dict:
        argv = [*self.argv, "--method", method, *args, "--format", "json", *self.target]
        run = run_logged(argv, env=self.env, cwd=self.home, log=self.log)
        return json_answer(run, exit_code, f"{method} {args}")

@pytest.fixture
def inspector(request, launcher, tmp_path):
    transport, era = request.param
    home = tmp_path / "home"
    home.mkdir()
    log = launcher.workdir / f"inspector-{transport}-{era}-{len(STARTED):03d}.log"
    log.touch()
    if transport == "http":
        # A server of its own: the test changes the player.
        server = launcher.http_server(name=f"inspector-{era}")
        target = ["--transport", "http", "--server-url", server.mcp_url]
    else:
        # The Inspector starts `spotify-mcp-server stdio --sandbox` for each call.
        target = ["--transport", "stdio", "--", str(launcher.binary), "stdio", "--sandbox"]
        STARTED.append(ServerProcess(f"inspector-{era}", target, {}, log))
    return Inspector(target, era, home, log), transport, era


def result(answer: dict):
    assert "error" not in answer, answer["error"]
    return answer["result"]


@pytest.mark.parametrize("inspector", MODES, ids=[f"{t}-{e}" for t, e in MODES], indirect=True)
def test_inspector_cli(inspector):
    cli, transport, era = inspector

    # The calls that depend on nothing run at once (each is its own connection, over stdio its
    # own server); the tool calls after them build on what they read.
    setlevel_exit = 0 if era == "legacy" else 1
    calls = {
        "initialize": (("initialize",), 0),
        "tools/list": (("tools/list",), 0),
        "resources/list": (("resources/list",), 0),
        "resources/templates/list": (("resources/templates/list",), 0),
        "resources/read": (("resources/read", "--uri", NOW_PLAYING), 0),
        "prompts/list": (("prompts/list",), 0),
        "prompts/get": (("prompts/get", "--prompt-name", "dj_set", "--prompt-args", "mood=sunset", "minutes=60"), 0),
        "logging/setLevel": (("logging/setLevel", "--log-level", "error"), setlevel_exit),
        "resources/read unknown": (("resources/read", "--uri", "spotify://player/lyrics"), 1),
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(cli, *args, exit_code=code) for name, (args, code) in calls.items()}
    answers = {name: f.result() for name, f in futures.items()}

    init = result(answers["initialize"])
    assert init["protocolVersion"] == ERAS[era], init
    assert init["serverInfo"]["name"] == "spotify-mcp-server", init
    for cap in ("tools", "resources", "prompts"):
        assert cap in init["capabilities"], init

    names = {t["name"] for t in result(answers["tools/list"])["tools"]}
    assert not set(DEFAULT_TOOLS) - names, f"tools missing: {sorted(set(DEFAULT_TOOLS) - names)}"

    uris = {r["uri"] for r in result(answers["resources/list"])["resources"]}
    assert {NOW_PLAYING, "spotify://player/queue", "spotify://me/playlists"} <= uris, uris
    templates = result(answers["resources/templates/list"])["resourceTemplates"]
    assert "spotify://playlist/{id}" in [t["uriTemplate"] for t in templates], templates

    read = result(answers["resources/read"])["contents"]
    assert read[0]["uri"] == NOW_PLAYING and read[0]["mimeType"] == "application/json", read
    now = json.loads(read[0]["text"])
    item = now["item"]
    assert item["uri"].startswith("spotify:track:") and item["name"], now

    prompts = result(answers["prompts/list"])["prompts"]
    assert {p["name"] for p in prompts} == {"curate_playlist", "dj_set", "explain_my_taste"}, prompts
    dj = result(answers["prompts/get"])
    assert "sunset" in dj["description"] and "60 minutes" in dj["messages"][0]["content"]["text"], dj

    if era == "legacy":
        assert result(answers["logging/setLevel"]) == {}
    else:
        # 2026-07-28 has no logging/setLevel (a client sends its level with each request): the
        # Inspector refuses it before sending anything.
        refused = answers["logging/setLevel"]
        assert "not supported by the negotiated protocol version" in refused["error"]["message"], refused

    unknown = answers["resources/read unknown"]
    assert "unknown resource" in unknown["error"]["message"], unknown

    # --tool-arg k=v: the Inspector types each value by the tool's input schema (limit: integer,
    # types: array), so the server's validation sees what a hand-written client would send.
    search = result(
        cli("tools/call", "--tool-name", "search", "--tool-arg", f"query={item['name']}", "limit=5", 'types=["track"]')
    )
    assert search["isError"] is False, search
    tracks = search["structuredContent"]["tracks"]
    assert 0 < len(tracks) <= 5 and item["uri"] in [t["uri"] for t in tracks], (item, tracks)
    assert item["name"] in search["content"][0]["text"], search

    other = next(t for t in tracks if t["uri"] != item["uri"]) if len(tracks) > 1 else item
    played = result(cli("tools/call", "--tool-name", "play", "--tool-args-json", json.dumps({"uris": [other["uri"]]})))
    assert played["isError"] is False and other["uri"] in played["structuredContent"]["message"], played
    if transport == "http":
        # The same server answers the next connection: now-playing says what was played.
        after = json.loads(result(cli("resources/read", "--uri", NOW_PLAYING))["contents"][0]["text"])
        assert after["playing"] is True and after["item"]["uri"] == other["uri"], after

    # A tool error is a result with isError (the Inspector exits 5) carrying the server's advice.
    failed = cli("tools/call", "--tool-name", "play", "--tool-arg", "device_id=no-such-device", exit_code=5)
    failed = result(failed)
    assert failed["isError"] is True and "no-such-device" in failed["content"][0]["text"], failed
    assert "Available devices" in failed["content"][0]["text"], failed
