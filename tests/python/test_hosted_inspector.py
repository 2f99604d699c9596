"""Hosted mode (`--oauth`) through the MCP Inspector's CLI (`mcp-inspector --cli`, pinned in
scripts/mcp-clients.sh, on Node 22), in both protocol eras it negotiates:

- with a token of ours in `--header "Authorization: Bearer ..."` it lists the tools and calls
  one as the user who signed in; without a token, or with a bad or revoked one, it stops with
  its auth_required error and the server's reason (`--stored-auth-only`: never a login prompt);
- with no token and a terminal, it signs in by itself: it discovers, registers, prints the
  authorization URL and listens on its loopback callback. A real browser (headless Chromium,
  headless_chrome.py) opens that URL, approves on our consent page, goes through the sandbox's
  /authorize and our callback to the Inspector's listener, and the Inspector then makes its
  call with the token it redeemed.

The Inspector asks for a terminal before it prints the URL: its stderr is a pseudo-terminal here,
with MCP_AUTO_OPEN_ENABLED=false so it never starts a browser of its own."""

from __future__ import annotations

import json
import os
import pty
import queue
import re
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from harness import STARTED, ServerProcess, clean_env, free_port
from headless_chrome import start_chrome
from node_clients import client_paths, json_answer, run_logged
from oauth_flow import RawClient, hosted_server, query
from surface import DEFAULT_TOOLS

pytestmark = pytest.mark.anyio
ERAS = {"legacy": "2025-11-25", "modern": "2026-07-28"}
NAVIGATE = re.compile(r"Please navigate to: (\S+)")


@pytest.fixture(scope="module")
def fake_spotify(launcher):
    sb = launcher.sandbox(name="inspector-oauth-sandbox")
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def hosted(launcher, fake_spotify):
    server = hosted_server(launcher, fake_spotify, name="hosted-inspector")
    yield server
    server.stop()


class Inspector:
    """`node22 mcp-inspector --cli --protocol-era ERA --format json ... --server-url URL`."""

    def __init__(self, server: ServerProcess, era: str, home: Path, log: Path):
        c = client_paths("SPOTIFY_MCP_NODE22", "SPOTIFY_MCP_INSPECTOR_CLI")
        self.argv = [c["SPOTIFY_MCP_NODE22"], c["SPOTIFY_MCP_INSPECTOR_CLI"], "--cli", "--protocol-era", era]
        self.target = ["--transport", "http", "--server-url", server.mcp_url]
        # Its state under a private HOME, its secrets in memory, and never a browser of its own.
        self.env = clean_env({"MCP_INSPECTOR_SECRET_STORE": "memory", "MCP_AUTO_OPEN_ENABLED": "false"}, home)
        self.home = home
        self.log = log

    def _shown(self, argv: list[str]) -> str:
        return " ".join(a if "Bearer" not in a else "Authorization: Bearer ..." for a in argv)

    def __call__(self, method: str, *args: str, token: str | None = None, exit_code: int = 0) -> dict:
        """One call that never asks anyone to sign in: the answer, {"result"} or {"error"}."""
        header = ["--header", f"Authorization: Bearer {token}"] if token else []
        argv = [*self.argv, "--method", method, *args, *header, "--stored-auth-only", "--format", "json", *self.target]
        run = run_logged(argv, env=self.env, cwd=self.home, log=self.log, shown=self._shown(argv))
        return json_answer(run, exit_code, method)

    def interactive(self, method: str, *args: str, callback_port: int, browse) -> tuple[int, dict, str]:
        """A call with no token, its stderr a terminal: `browse(url)` is the person who opens
        the authorization URL it prints. The exit code, the answer and what it printed."""
        argv = [
            *self.argv, "--method", method, *args, "--format", "json",
            "--callback-url", f"http://127.0.0.1:{callback_port}/oauth/callback", *self.target,
        ]
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            argv, env={**self.env, "NO_COLOR": "1"}, cwd=self.home, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=slave, text=True,
        )
        os.close(slave)
        printed: list[str] = []
        urls: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            with os.fdopen(master, "r", errors="replace") as terminal:
                try:
                    for line in terminal:
                        printed.append(line.rstrip("\r\n"))
                        if m := NAVIGATE.search(line):
                            urls.put(m.group(1))
                except OSError:  # EIO: the Inspector closed its terminal
                    pass

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            try:
                url = urls.get(timeout=60)
            except queue.Empty:
                proc.kill()
                raise AssertionError("the Inspector printed no authorization URL:\n" + "\n".join(printed)) from None
            browse(url)
            stdout, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join(timeout=5)
        with self.log.open("a") as log:
            log.write(f"$ {self._shown(argv)}\n-> exit {proc.returncode}\n" + "\n".join(printed) + "\n")
        answer = json.loads(stdout) if stdout.strip() else {}
        return proc.returncode, answer, "\n".join(printed)


@pytest.fixture
def inspector(request, launcher, hosted, tmp_path):
    era = request.param
    home = tmp_path / "home"
    home.mkdir()
    log = launcher.workdir / f"inspector-oauth-{era}-{len(STARTED):03d}.log"
    log.touch()
    STARTED.append(ServerProcess(f"inspector-oauth-{era}", ["mcp-inspector"], {}, log))
    return Inspector(hosted, era, home, log), era


def result(answer: dict):
    assert "error" not in answer, answer["error"]
    return answer["result"]


@pytest.mark.parametrize("inspector", ERAS, indirect=True)
async def test_a_bearer_token_in_a_header_opens_the_server_to_the_inspector(inspector, hosted):
    cli, era = inspector
    tokens = await RawClient(hosted).tokens()
    init = result(cli("initialize", token=tokens["access_token"]))
    assert init["protocolVersion"] == ERAS[era] and init["serverInfo"]["name"] == "spotify-mcp-server", init
    names = {t["name"] for t in result(cli("tools/list", token=tokens["access_token"]))["tools"]}
    assert not set(DEFAULT_TOOLS) - names, sorted(set(DEFAULT_TOOLS) - names)
    profile = result(cli("tools/call", "--tool-name", "get_profile", token=tokens["access_token"]))
    assert profile["isError"] is False and profile["structuredContent"]["id"] == "sandboxlistener", profile


@pytest.mark.parametrize("inspector", ERAS, indirect=True)
async def test_without_a_good_token_the_inspector_is_told_to_sign_in(inspector, hosted):
    cli, era = inspector
    # At 2025-11-25 the Inspector repeats the server's reason; at 2026-07-28 it reports the 401
    # of server/discover, without the reason.
    def reason(legacy: str) -> str:
        return legacy if era == "legacy" else "the server requires authorization (HTTP 401)"

    # No token: the server's challenge (a 401 that points at the metadata).
    refused = cli("tools/list", exit_code=3)
    assert refused["error"]["code"] == "auth_required", refused
    assert reason("sign in (this server uses MCP authorization") in refused["error"]["message"], refused
    # A token that is not one of ours, and one of ours after it was revoked.
    raw = RawClient(hosted)
    tokens = await raw.tokens()
    assert result(cli("tools/list", token=tokens["access_token"]))["tools"]
    r = httpx.post(f"{hosted.base_url}/oauth/revoke", data={"token": tokens["refresh_token"]}, timeout=5)
    assert r.status_code == 200
    for token in ("smcp_at_" + "A" * 43, tokens["access_token"]):
        refused = cli("tools/list", token=token, exit_code=3)
        assert refused["error"]["code"] == "auth_required", refused
        assert reason("the access token is invalid, expired or revoked") in refused["error"]["message"], refused


@pytest.mark.parametrize("inspector", ERAS, indirect=True)
def test_the_inspector_signs_in_by_itself_through_a_real_browser(inspector, hosted, launcher, request):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    cli, era = inspector
    port = free_port()
    callback = f"http://127.0.0.1:{port}/oauth/callback"
    seen: dict[str, object] = {}
    browser = start_chrome(launcher.workdir / f"chromedriver-{request.node.name.replace('/', '_')}.log")

    def browse(url: str) -> None:
        seen["authorization"] = query(url)
        browser.get(url)
        seen["consent"] = browser.find_element(By.TAG_NAME, "h1").text
        browser.find_element(By.CSS_SELECTOR, 'button[value="approve"]').click()
        WebDriverWait(browser, 30).until(
            lambda b: b.current_url.startswith(callback), message=f"the browser did not reach {callback}"
        )
        seen["back"] = query(browser.current_url)
        seen["page"] = browser.find_element(By.TAG_NAME, "body").text

    try:
        code, answer, printed = cli.interactive("tools/call", "--tool-name", "get_profile", callback_port=port, browse=browse)
    finally:
        browser.quit()
    assert code == 0, f"exit {code}: {answer}\n{printed}"
    profile = result(answer)
    assert profile["isError"] is False and profile["structuredContent"]["id"] == "sandboxlistener", profile

    # What the Inspector asked for, and what came back to its listener.
    auth = seen["authorization"]
    assert auth["redirect_uri"] == callback and auth["resource"] == hosted.mcp_url, auth
    assert auth["code_challenge_method"] == "S256" and auth["client_id"].startswith("smcp_client_"), auth
    assert "MCP Inspector" in seen["consent"], seen["consent"]
    back = seen["back"]
    assert set(back) >= {"code", "state", "iss"} and back["state"] == auth["state"], back
    assert back["iss"] == hosted.base_url, back
    assert "OAuth complete" in seen["page"], seen["page"]
