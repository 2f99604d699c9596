"""The MCP Inspector's connection CLI, `mcpdo` (same npm package as `mcp-inspector --cli`, pinned
in scripts/mcp-clients.sh, on Node 22), against the server over streamable HTTP and over stdio,
in both protocol eras (`connect --era legacy`: 2025-11-25; `--era modern`: 2026-07-28).

`mcp-inspector --cli` makes one connection per call, so it has no way to hold a subscription or
answer a question; its one-shot methods are tested in test_inspector_cli.py. `mcpdo` keeps each
connection open in a daemon of its own (`mcpdo private`: an isolated, token-gated daemon in this
test's TMPDIR, stopped at the end), and so drives the capabilities of issue 12 the way a person
at a terminal would:
- completions (`prompts/complete`) of prompt arguments and of the playlist template;
- a subscription to now-playing (`resources/subscribe`, a stream of NDJSON lines until SIGINT;
  `resources/subscribe` at 2025-11-25, `subscriptions/listen` at 2026-07-28), told of a play,
  and the server's poller stopping once the stream closes;
- the confirmation of a destructive tool (`elicitationPending`, then `elicitation/respond`):
  declined changes nothing, accepted removes, and a connection without elicitation is not asked.

Each mode gets a recording sandbox of its own, so the test can count the server's reads of the
player."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness import STARTED, ServerProcess, clean_env
from node_clients import client_paths, json_answer, run_logged

MODES = [("http", "legacy"), ("http", "modern"), ("stdio", "legacy"), ("stdio", "modern")]
ERAS = {"legacy": "2025-11-25", "modern": "2026-07-28"}
NOW_PLAYING = "spotify://player/now-playing"
PLAYER_READ = "/me/player/currently-playing"
POLL_MS = 300


class Mcpdo:
    """`node22 mcp-bin.js --format json [--conn NAME] ...` against one private daemon."""

    def __init__(self, home: Path, log: Path):
        c = client_paths("SPOTIFY_MCP_NODE22", "SPOTIFY_MCP_INSPECTOR_MCPDO")
        self.argv = [c["SPOTIFY_MCP_NODE22"], c["SPOTIFY_MCP_INSPECTOR_MCPDO"]]
        # No keychain here: the file store in the private HOME, and nothing is stored anyway.
        self.env = clean_env({"MCP_INSPECTOR_SECRET_STORE": "file", "MCP_AUTO_OPEN_ENABLED": "false"}, home)
        self.home = home
        self.log = log
        self.conn: str | None = None
        self.target: list[str] = []
        self.era = ""
        private = self._run("private")
        exports = dict(re.findall(r"^export (MCP_INSPECTOR_DAEMON_\w+)='([^']*)'$", private.stdout, re.MULTILINE))
        assert set(exports) == {"MCP_INSPECTOR_DAEMON_DIR", "MCP_INSPECTOR_DAEMON_TOKEN"}, private.stdout
        self.env.update(exports)
        self.daemon_dir = Path(exports["MCP_INSPECTOR_DAEMON_DIR"])

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_logged([*self.argv, *args], env=self.env, cwd=self.home, log=self.log, shown=f"mcpdo {' '.join(args)}")

    def __call__(self, *args: str, exit_code: int = 0) -> dict:
        conn = ["--conn", self.conn] if self.conn else []
        return json_answer(self._run("--format", "json", *conn, *args), exit_code, f"mcpdo {args}")

    def connect(self, era: str, target: list[str], *options: str) -> dict:
        """`connect --era ERA [OPTIONS] TARGET`, after closing the connection there is."""
        if self.conn:
            self("disconnect", self.conn)
            self.conn = None
        connected = self("connect", "--era", era, *options, *target)
        assert connected["protocolEra"] == era, connected
        self.conn, self.target, self.era = connected["name"], target, era
        return connected

    def stream(self, out: Path, *args: str) -> subprocess.Popen:
        """A streaming command (resources/subscribe) writing its NDJSON lines to `out`."""
        assert self.conn
        with out.open("w") as sink, self.log.open("a") as err:
            return subprocess.Popen(
                [*self.argv, "--format", "json", "--conn", self.conn, *args],
                env=self.env,
                cwd=self.home,
                stdout=sink,
                stderr=err,
            )

    def daemon_pid(self) -> int | None:
        status = self._run("--format", "json", "daemon", "status")
        match = re.search(r'"pid":\s*(\d+)', status.stdout)
        return int(match.group(1)) if match else None

    def stop(self) -> None:
        """Stop the daemon (and with it every connection and stdio server it started)."""
        pid = self.daemon_pid()
        self._run("daemon", "stop")
        if pid is None:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"the mcpdo daemon {pid} did not stop on `daemon stop`")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _ndjson(path: Path) -> list[dict]:
    """The complete JSON values written so far (pretty-printed, one after another)."""
    decoder, text, values, at = json.JSONDecoder(), path.read_text(), [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return values
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            return values  # a value still being written
        values.append(value)


def _wait_for_line(path: Path, want: dict, timeout: float = 10) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = _ndjson(path)
        if want in lines:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"no {want} within {timeout} s; the stream wrote {_ndjson(path)}")


@pytest.fixture(scope="module", params=MODES, ids=[f"{t}-{e}" for t, e in MODES])
def connected(request, launcher, tmp_path_factory):
    """A recording sandbox, the server on it (HTTP, or stdio started by the daemon), and an mcpdo
    connection to it in the mode's era."""
    transport, era = request.param
    tmp = tmp_path_factory.mktemp(f"mcpdo-{transport}-{era}")
    home = tmp / "home"
    home.mkdir()
    spotify = launcher.sandbox(name=f"mcpdo-{transport}-{era}-sandbox")
    server = None
    mcpdo = Mcpdo(home, launcher.workdir / f"mcpdo-{transport}-{era}-{len(STARTED):03d}.log")
    try:
        if transport == "http":
            server = launcher.http_server_on(
                spotify, "--subscription-poll-ms", str(POLL_MS), name=f"mcpdo-{era}-server"
            )
            target = [server.mcp_url]
        else:
            env = {**spotify.spotify_env(), "SPOTIFY_MCP_SUBSCRIPTION_POLL_MS": str(POLL_MS)}
            pairs = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
            target = [*pairs, "--", str(launcher.binary), "stdio"]
            # The daemon's log holds the stdio server's stderr: attached to a failure's report.
            STARTED.append(ServerProcess(f"mcpdo-{era}-stdio", target, {}, mcpdo.daemon_dir / "mcpdod.log"))
        mcpdo.connect(era, target)
        yield mcpdo, spotify, transport, era
    finally:
        mcpdo.stop()
        if server is not None:
            server.stop()
        spotify.stop()


def test_connection_negotiates_the_era(connected):
    mcpdo, _spotify, _transport, era = connected
    shown = mcpdo("connections/show")
    text = json.dumps(shown)
    assert ERAS[era] in text, f"the connection did not negotiate {ERAS[era]}: {text[:2000]}"
    assert '"completions"' in text and '"subscribe": true' in text, f"capabilities not announced: {text[:3000]}"


def test_completions(connected):
    mcpdo = connected[0]

    def complete(ref_type: str, ref: str, arg: str, value: str = "", exit_code: int = 0) -> dict:
        args = ["--complete-ref-type", ref_type, "--complete-ref", ref, "--complete-arg-name", arg]
        return mcpdo("prompts/complete", *args, "--complete-arg-value", value, exit_code=exit_code)

    moods = complete("ref/prompt", "dj_set", "mood", "e")
    assert moods["values"] and moods["values"][0] == "energetic", moods
    assert all("e" in v.lower() for v in moods["values"]) and moods["total"] == len(moods["values"]), moods
    assert moods["hasMore"] is False, moods

    devices = complete("ref/prompt", "dj_set", "device")
    assert "Kitchen Speaker" in devices["values"] and len(devices["values"]) <= 100, devices
    # The sandbox's TV is restricted (takes no commands): not offered for a DJ set.
    assert "Living Room TV" not in devices["values"], devices

    # The user's playlists by name: a prefix of one's name completes to its ID.
    playlists = mcpdo("tools/call", "get_my_playlists")["structuredContent"]["items"]
    first = playlists[0]
    by_name = complete("ref/resource", "spotify://playlist/{id}", "id", first["name"][:4].lower())
    assert first["uri"].removeprefix("spotify:playlist:") in by_name["values"], (first, by_name)

    # The Inspector shows the server's message (not the code) of a -32602.
    unknown = complete("ref/prompt", "no_such_prompt", "mood", exit_code=1)["error"]["message"]
    assert "unknown prompt `no_such_prompt`" in unknown and "dj_set" in unknown, unknown


def _player_reads_over(spotify, polls: int) -> int:
    """How often the server read the player while `polls` poll intervals passed."""

    before = spotify.count_requests(PLAYER_READ)
    time.sleep(POLL_MS * polls / 1000)
    return spotify.count_requests(PLAYER_READ) - before


def test_subscription_hears_a_play_and_its_poller_stops_after(connected, tmp_path):
    mcpdo, spotify, _transport, _era = connected
    lines = tmp_path / "subscribe.ndjson"
    stream = mcpdo.stream(lines, "resources/subscribe", NOW_PLAYING)
    try:
        _wait_for_line(lines, {"type": "subscribed", "uri": NOW_PLAYING})
        now = json.loads(mcpdo("resources/read", NOW_PLAYING)["contents"][0]["text"])
        found = mcpdo("tools/call", "search", "--tool-arg", "query=a", "limit=5", 'types=["track"]')
        other = next(t["uri"] for t in found["structuredContent"]["tracks"] if t["uri"] != now["item"]["uri"])
        played = mcpdo("tools/call", "play", "--tool-args-json", json.dumps({"uris": [other]}))
        assert played["isError"] is False, played
        _wait_for_line(lines, {"type": "resources/updated", "uri": NOW_PLAYING})
        # While it listens, the server's one poller reads the player.
        assert _player_reads_over(spotify, 5) >= 2, "no poller read the player while the stream was open"
    finally:
        stream.send_signal(signal.SIGINT)
        assert stream.wait(timeout=10) == 0, f"the subscribe stream exited {stream.returncode}"

    # Nobody listens any more: the server's one poller of now-playing stops.
    deadline, reads = time.monotonic() + 10, None
    while time.monotonic() < deadline:
        reads = _player_reads_over(spotify, 5)
        if reads == 0:
            break
    assert reads == 0, f"the player was still read {reads} times in {POLL_MS * 5} ms after the stream closed"

    # An explicit unsubscribe of what nobody subscribes to is answered, not refused.
    assert mcpdo("resources/unsubscribe", NOW_PLAYING)["unsubscribed"] is True


def test_destructive_tools_are_confirmed_first(connected):
    mcpdo = connected[0]
    found = mcpdo("tools/call", "search", "--tool-arg", "query=a", "limit=2", 'types=["track"]')
    tracks = [t["uri"] for t in found["structuredContent"]["tracks"]]
    playlist = mcpdo("tools/call", "create_playlist", "--tool-args-json", json.dumps({"name": "confirm me"}))
    playlist = playlist["structuredContent"]["uri"]
    added = mcpdo("tools/call", "add_playlist_items", "--tool-args-json", json.dumps({"playlist": playlist, "uris": tracks}))
    assert added["isError"] is False and "elicitationPending" not in added, added

    def count() -> int:
        items = mcpdo("tools/call", "get_playlist_items", "--tool-args-json", json.dumps({"playlist": playlist}))
        return len(items["structuredContent"]["items"])

    remove = ["tools/call", "remove_playlist_items", "--tool-args-json", json.dumps({"playlist": playlist, "uris": tracks[:1]})]

    # The call is parked while the question waits; declined changes nothing.
    asked = mcpdo(*remove)["elicitationPending"]
    assert asked["mode"] == "form" and "confirm me" in asked["message"] and "1 item" in asked["message"], asked
    assert asked["requestedSchema"]["required"] == ["confirm"], asked
    # A tool's isError result: the Inspector prints it and exits 5.
    declined = mcpdo("elicitation/respond", asked["elicitationId"], "--decline", exit_code=5)
    assert declined["isError"] is True and "Nothing was changed" in json.dumps(declined), declined
    assert count() == 2

    # Accepted with confirm=false: nothing either.
    asked = mcpdo(*remove)["elicitationPending"]
    refused = mcpdo("elicitation/respond", asked["elicitationId"], "confirm:=false", exit_code=5)
    assert refused["isError"] is True and "Nothing was changed" in json.dumps(refused), refused
    assert count() == 2

    # confirm=true: removed.
    asked = mcpdo(*remove)["elicitationPending"]
    removed = mcpdo("elicitation/respond", asked["elicitationId"], "confirm:=true")
    assert removed["isError"] is False and "Removed 1 item" in json.dumps(removed), removed
    assert count() == 1

    # A client without elicitation is not asked: the call acts, as before confirmations.
    mcpdo.connect(mcpdo.era, mcpdo.target, "--elicit", "off")
    try:
        last = json.dumps({"playlist": playlist, "uris": tracks[1:]})
        acted = mcpdo("tools/call", "remove_playlist_items", "--tool-args-json", last)
        assert "elicitationPending" not in acted and acted["isError"] is False, acted
        assert count() == 0
    finally:
        mcpdo.connect(mcpdo.era, mcpdo.target)
