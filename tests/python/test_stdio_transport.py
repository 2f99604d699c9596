"""The stdio transport of the real binary, byte by byte (issue 10): every line a client can
send gets an answer or, for a notification, none, and the session goes on. rmcp's own stdio
transport dropped a line over 16 MiB without an answer, ignored lines that were not JSON and
answered JSON of the wrong shape without its id; a client that sent one waited forever.

Raw pipes rather than the SDK client: the SDK never writes such lines."""

from __future__ import annotations

import json
import selectors
import subprocess
import time
from pathlib import Path

import pytest

from harness import Launcher, clean_env

LIMIT = 64 * 1024


class StdioServer:
    def __init__(self, binary: Path, home: Path, *args: str) -> None:
        self.stderr = open(home / "stdio-transport.log", "wb")
        self.proc = subprocess.Popen(
            [str(binary), "stdio", "--sandbox", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=clean_env(None, home),
        )
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.proc.stdout, selectors.EVENT_READ)
        self.pending = b""

    def send(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line)
        self.proc.stdin.flush()

    def read(self, timeout: float = 20.0) -> dict | None:
        """The next line the server writes, or None when it writes nothing in `timeout`."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                return None
            chunk = self.proc.stdout.read1(1 << 16)  # type: ignore[union-attr]
            assert chunk, "the server closed its output"
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def request(self, message: dict) -> dict:
        self.send(json.dumps(message).encode() + b"\n")
        answer = self.read()
        assert answer is not None, f"no answer to {message}"
        return answer

    def close(self) -> int:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.stderr.close()
        return code


@pytest.fixture
def stdio_server(launcher: Launcher, tmp_path: Path):
    server = StdioServer(launcher.binary, tmp_path, "--max-message-bytes", str(LIMIT))
    init = server.request(
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        }
    )
    assert "result" in init, init
    server.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    yield server
    assert server.close() == 0, "the server did not exit cleanly when its input ended"


def ping(server: StdioServer, id: int) -> None:
    answer = server.request({"jsonrpc": "2.0", "id": id, "method": "ping"})
    assert answer == {"jsonrpc": "2.0", "id": id, "result": {}}, answer


def test_a_line_over_the_bound_is_answered_and_the_session_goes_on(stdio_server: StdioServer):
    query = "x" * (2 * LIMIT)
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "search", "arguments": {"query": query}},
    }
    answer = stdio_server.request(call)
    assert answer["id"] is None
    assert answer["error"]["code"] == -32600
    assert f"{LIMIT} bytes" in answer["error"]["message"]
    assert "--max-message-bytes" in answer["error"]["message"]
    ping(stdio_server, 2)


def test_undecodable_lines_get_specific_answers(stdio_server: StdioServer):
    cases = [
        (b'{"jsonrpc": "2.0", "id": 3, "method": ', None, -32700, "not valid JSON"),
        (b'{"id": 4, "method": "tools/list"}', 4, -32600, '"jsonrpc": "2.0"'),
        (b'[{"jsonrpc":"2.0","id":5,"method":"ping"}]', None, -32600, "batches"),
        (
            b'{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"search","arguments":[]}}',
            6,
            -32602,
            "`arguments` must be an object",
        ),
        (b"\xff\xfe", None, -32700, "not valid JSON"),
    ]
    for line, id, code, needle in cases:
        stdio_server.send(line + b"\n")
        answer = stdio_server.read()
        assert answer is not None, f"no answer to {line!r}"
        assert (answer["id"], answer["error"]["code"]) == (id, code), (line, answer)
        assert needle in answer["error"]["message"], (line, answer)
    ping(stdio_server, 7)


def test_notifications_and_blank_lines_get_no_answer(stdio_server: StdioServer):
    stdio_server.send(b"\n  \r\n")
    stdio_server.send(b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":5}\n')
    assert stdio_server.read(timeout=1.0) is None
    ping(stdio_server, 8)


def test_a_tool_call_of_the_largest_accepted_size_is_served(stdio_server: StdioServer):
    """Just under the bound passes the transport; the tool then refuses the over-long query
    by its own bound, as a tool error naming the argument."""
    envelope = {
        "jsonrpc": "2.0",
        "id": 9,
        "method": "tools/call",
        "params": {"name": "search", "arguments": {"query": ""}},
    }
    room = LIMIT - len(json.dumps(envelope)) - 1
    envelope["params"]["arguments"]["query"] = "y" * room
    line = json.dumps(envelope).encode()
    assert len(line) == LIMIT - 1
    answer = stdio_server.request(envelope)
    assert answer["id"] == 9
    assert answer["result"]["isError"] is True, answer
    assert "query" in answer["result"]["content"][0]["text"]


def test_an_out_of_range_bound_is_refused_at_start(launcher: Launcher, tmp_path: Path):
    out = subprocess.run(
        [str(launcher.binary), "stdio", "--sandbox", "--max-message-bytes", "100"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_env(None, tmp_path),
    )
    assert out.returncode != 0
    assert "--max-message-bytes must be between 16384 and 67108864, got 100" in out.stderr
