"""`spotify-mcp-server stdio` ends when its input ends, also while a 2026-07-28
`subscriptions/listen` request is open.

Found through real clients: the MCP Inspector (2.12.0) opens a listen stream on connect at
2026-07-28, and the TypeScript SDK's stdio transport closes the server's stdin and SIGTERMs it
2 s later if it has not exited. A listen request runs until it is cancelled, and at the end of
input rmcp drains in-flight requests for up to 5 s, so the server lingered 5 s (each Inspector
call over stdio took ~2.5 s longer, ended by SIGTERM)."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from harness import STARTED, ServerProcess, clean_env

META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": {"name": "stdio-listen-exit-test", "version": "1.0.0"},
    "io.modelcontextprotocol/clientCapabilities": {},
}
# Far below rmcp's 5 s drain and the TypeScript SDK's 2 s before SIGTERM; a plain request's
# server exits in well under 0.2 s.
EXIT_SECONDS = 1.5


@pytest.mark.parametrize("open_request", ["tools/list", "subscriptions/listen"])
def test_stdio_server_exits_when_input_ends(open_request, launcher, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    log = launcher.workdir / f"stdio-exit-{open_request.replace('/', '-')}-{len(STARTED):03d}.log"
    argv = [str(launcher.binary), "stdio", "--sandbox"]
    STARTED.append(ServerProcess("stdio-exit", argv, {}, log))
    with log.open("w") as errlog:
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errlog, env=clean_env(None, home)
        )
        try:
            params = {"_meta": META}
            if open_request == "subscriptions/listen":
                params["notifications"] = {"resourceSubscriptions": ["spotify://player/now-playing"]}
            request = {"jsonrpc": "2.0", "id": 1, "method": open_request, "params": params}
            proc.stdin.write((json.dumps(request) + "\n").encode())
            proc.stdin.flush()
            # The listen is acknowledged (and stays open); tools/list is answered.
            first = json.loads(proc.stdout.readline())
            expected = "notifications/subscriptions/acknowledged" if open_request == "subscriptions/listen" else None
            assert first.get("method") == expected and "error" not in first, first
            # The acknowledgment is on the wire before rmcp has finished sending it and hands the
            # stream to the server's listen; an end of input inside that window still meets
            # rmcp's 5 s drain (seen once in a loaded run). A client ends its input later than
            # that, and so does this test.
            time.sleep(0.2)

            proc.stdin.close()
            ended = time.monotonic()
            try:
                code = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pytest.fail(f"the server still runs 10 s after its input ended ({open_request} open)")
            took = time.monotonic() - ended
            assert code == 0, f"exit {code} after the input ended"
            assert took < EXIT_SECONDS, (
                f"the server exited {took:.2f} s after its input ended with {open_request} open "
                f"(a client kills it before: the TypeScript SDK after 2 s)"
            )
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
