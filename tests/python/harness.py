"""Process harness for the end-to-end tests: starts the real `spotify-mcp-server` binary (HTTP,
stdio or the standalone sandbox) on free loopback ports, waits until it is ready, keeps its log
and stops it. Nothing here fakes a part of the server; every test talks to the real binary."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]

# Sandbox credentials: public constants of `spotify_mcp_sandbox` (sandbox/src/lib.rs; see CONTRACTS.md).
SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"
SANDBOX_REFRESH_TOKEN = "sandbox-refresh-token"
SANDBOX_FREE_REFRESH_TOKEN = "sandbox-free-refresh-token"

READY_TIMEOUT = float(os.environ.get("SPOTIFY_MCP_TEST_READY_TIMEOUT", "30"))

# Every process started by the harness, so a failing test can show their logs.
STARTED: list["ServerProcess"] = []


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openapi_path() -> Path:
    """Spotify's OpenAPI definition: $SPOTIFY_OPENAPI, else the vendored copy, else ../shared."""
    env = os.environ.get("SPOTIFY_OPENAPI")
    if env:
        return Path(env)
    vendored = REPO_ROOT / "server" / "openapi" / "spotify-openapi.yml"
    if vendored.exists():
        return vendored
    return (REPO_ROOT / ".." / "shared" / "spotify-openapi.yml").resolve()


def clean_env(extra: dict[str, str] | None = None, home: Path | None = None) -> dict[str, str]:
    """The test runner's environment without any SPOTIFY_* setting (so a developer's real
    credentials or auth tokens never leak into a test), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTIFY_")}
    env["SPOTIFY_MCP_LOG"] = os.environ.get("SPOTIFY_MCP_TEST_LOG", "info")
    env["NO_COLOR"] = "1"
    env.pop("RUST_LOG", None)
    if home is not None:
        # The default token file lives in the platform config dir: keep it out of reach.
        env["HOME"] = str(home)
        env["XDG_CONFIG_HOME"] = str(home / ".config")
    if extra:
        env.update(extra)
    return env


@dataclass
class ServerProcess:
    """One running binary with its log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    proc: subprocess.Popen[bytes] | None = None
    returncode: int | None = None
    _log_file: Any = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        assert self.port is not None
        return f"http://127.0.0.1:{self.port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    def start(self) -> "ServerProcess":
        self._log_file = open(self.log_path, "ab")
        self._log_file.write(f"$ {' '.join(self.argv)}\n".encode())
        self._log_file.flush()
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        STARTED.append(self)
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_http(self, path: str, timeout: float = READY_TIMEOUT, ok=(200,)) -> httpx.Response:
        """Polls `path` until it answers with a status in `ok`; fails early if the process died."""
        deadline = time.monotonic() + timeout
        last: str = "no answer"
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode if self.proc else '?'} "
                    f"before {path} answered; log:\n{self.log()[-4000:]}"
                )
            try:
                r = httpx.get(self.base_url + path, timeout=2.0)
                if r.status_code in ok:
                    return r
                last = f"HTTP {r.status_code}: {r.text[:300]}"
            except httpx.HTTPError as e:
                last = f"{type(e).__name__}: {e}"
            time.sleep(0.05)
        raise TimeoutError(f"{self.name}: {path} not ready after {timeout}s ({last}); log:\n{self.log()[-4000:]}")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = 15.0) -> int:
        assert self.proc is not None
        self.returncode = self.proc.wait(timeout=timeout)
        return self.returncode

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in time. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                self.proc.wait(timeout=5)
        self.returncode = self.proc.returncode
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return self.returncode


class Launcher:
    """Starts binaries with a private log directory and fake HOME."""

    def __init__(self, binary: Path, workdir: Path):
        self.binary = binary
        self.workdir = workdir
        self.home = workdir / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self._n = 0

    def _log_path(self, name: str) -> Path:
        self._n += 1
        return self.workdir / f"{self._n:03d}-{name}.log"

    def http_server(
        self,
        *args: str,
        name: str = "server",
        env: dict[str, str] | None = None,
        sandbox: bool = True,
        wait_ready: bool = True,
    ) -> ServerProcess:
        """`spotify-mcp-server [--sandbox] --port P ARGS` with readiness on /readyz."""
        last_error: Exception | None = None
        for _attempt in range(3):  # a port taken between free_port() and bind: try another
            port = free_port()
            argv = [str(self.binary)]
            if sandbox:
                argv.append("--sandbox")
            argv += ["--port", str(port), *args]
            p = ServerProcess(name, argv, clean_env(env, self.home), self._log_path(name), port=port).start()
            if not wait_ready:
                return p
            try:
                p.wait_http("/readyz")
                return p
            except RuntimeError as e:  # exited early
                last_error = e
                if "Address already in use" not in p.log() and "cannot listen" not in p.log():
                    raise
        assert last_error is not None
        raise last_error

    def sandbox(self, *args: str, name: str = "sandbox", record: bool = True) -> "SandboxProcess":
        """`spotify-mcp-server sandbox --bind 127.0.0.1:P [--record-requests] ARGS`."""
        last_error: Exception | None = None
        for _attempt in range(3):
            port = free_port()
            argv = [str(self.binary), "sandbox", "--bind", f"127.0.0.1:{port}"]
            if record:
                argv.append("--record-requests")
            argv += list(args)
            p = SandboxProcess(name, argv, clean_env(None, self.home), self._log_path(name), port=port).start()
            try:
                p.wait_http("/sandbox/faults")
                return p
            except RuntimeError as e:
                last_error = e
                if "Address already in use" not in p.log():
                    raise
        assert last_error is not None
        raise last_error

    def http_server_on(
        self,
        sandbox: "SandboxProcess",
        *args: str,
        refresh_token: str = SANDBOX_REFRESH_TOKEN,
        name: str = "server",
        env: dict[str, str] | None = None,
        wait_ready: bool = True,
    ) -> ServerProcess:
        """The HTTP server configured like a real deployment, pointed at a standalone sandbox."""
        full_env = sandbox.spotify_env(refresh_token)
        full_env.update(env or {})
        return self.http_server(*args, name=name, env=full_env, sandbox=False, wait_ready=wait_ready)

    def stdio_params(self, *args: str, env: dict[str, str] | None = None):
        """StdioServerParameters for `spotify-mcp-server stdio --sandbox ARGS` plus its log path."""
        from mcp import StdioServerParameters

        return (
            StdioServerParameters(
                command=str(self.binary),
                args=["stdio", "--sandbox", *args],
                env=clean_env(env, self.home),
            ),
            self._log_path("stdio"),
        )


@dataclass
class SandboxProcess(ServerProcess):
    """The standalone fake Spotify Web API with its runtime control endpoints."""

    def spotify_env(self, refresh_token: str = SANDBOX_REFRESH_TOKEN) -> dict[str, str]:
        return {
            "SPOTIFY_CLIENT_ID": SANDBOX_CLIENT_ID,
            "SPOTIFY_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "SPOTIFY_REFRESH_TOKEN": refresh_token,
            "SPOTIFY_API_BASE_URL": f"{self.base_url}/v1",
            "SPOTIFY_ACCOUNTS_BASE_URL": self.base_url,
        }

    def faults(self) -> dict[str, Any]:
        r = httpx.get(f"{self.base_url}/sandbox/faults", timeout=5)
        r.raise_for_status()
        return r.json()

    def set_faults(self, **knobs: Any) -> dict[str, Any]:
        """PUT the knobs (merged over the current ones) and return what the sandbox now uses."""
        current = self.faults()
        current.update(knobs)
        r = httpx.put(f"{self.base_url}/sandbox/faults", json=current, timeout=5)
        assert r.status_code in (200, 204), f"PUT /sandbox/faults -> {r.status_code}: {r.text}"
        return self.faults()

    @contextlib.contextmanager
    def faults_set(self, **knobs: Any) -> Iterator[dict[str, Any]]:
        before = self.faults()
        try:
            yield self.set_faults(**knobs)
        finally:
            r = httpx.put(f"{self.base_url}/sandbox/faults", json=before, timeout=5)
            assert r.status_code in (200, 204), r.text

    def requests(self) -> list[dict[str, Any]]:
        """The recorded request/response log."""
        r = httpx.get(f"{self.base_url}/sandbox/requests", timeout=10)
        assert r.status_code == 200, f"GET /sandbox/requests -> {r.status_code}: {r.text[:300]}"
        body = r.json()
        if isinstance(body, dict):
            for key in ("requests", "exchanges", "items"):
                if isinstance(body.get(key), list):
                    return body[key]
            raise AssertionError(f"unexpected /sandbox/requests shape: keys {sorted(body)}")
        assert isinstance(body, list), f"unexpected /sandbox/requests shape: {type(body)}"
        return body

    def count_requests(self, path_suffix: str) -> int:
        """How many recorded requests went to a path ending in `path_suffix`."""
        return sum(1 for r in self.requests() if r["path"].endswith(path_suffix))

    def clear_requests(self) -> None:
        r = httpx.delete(f"{self.base_url}/sandbox/requests", timeout=5)
        assert r.status_code in (200, 204), f"DELETE /sandbox/requests -> {r.status_code}: {r.text}"

    def deactivate_player(self, user: str = "premium") -> None:
        """Leaves the user without an active device (player commands get NO_ACTIVE_DEVICE)."""
        r = httpx.post(f"{self.base_url}/sandbox/player/deactivate", json={"user": user}, timeout=5)
        assert r.status_code in (200, 204), f"POST /sandbox/player/deactivate -> {r.status_code}: {r.text}"

    def reset(self) -> None:
        r = httpx.post(f"{self.base_url}/sandbox/reset", timeout=10)
        assert r.status_code in (200, 204), f"POST /sandbox/reset -> {r.status_code}: {r.text}"

    def user_token(self, refresh_token: str = SANDBOX_REFRESH_TOKEN) -> str:
        """An access token for the sandbox user, obtained like any client would."""
        r = httpx.post(
            f"{self.base_url}/api/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
            timeout=5,
        )
        assert r.status_code == 200, f"sandbox token endpoint -> {r.status_code}: {r.text}"
        return r.json()["access_token"]


# --- MCP client helpers ---------------------------------------------------------------------

MODERN = "2026-07-28"
LEGACY = "2025-11-25"


@contextlib.asynccontextmanager
async def mcp_http(
    url: str,
    *,
    mode: str = "auto",
    headers: dict[str, str] | None = None,
    event_hooks: dict[str, list[Any]] | None = None,
) -> AsyncIterator[Any]:
    """An official-SDK `Client` over streamable HTTP. `mode="auto"` negotiates 2026-07-28 with a
    modern server; `mode="legacy"` runs the 2025-11-25 initialize handshake (sessionful).
    `event_hooks` (httpx2 request/response hooks) let a test see the wire."""
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    if headers or event_hooks:
        http_client = create_mcp_http_client(headers=headers)
        if event_hooks:
            http_client.event_hooks = event_hooks
        async with http_client:
            transport = streamable_http_client(url, http_client=http_client)
            async with Client(transport, mode=mode, read_timeout_seconds=60) as client:
                yield client
    else:
        async with Client(url, mode=mode, read_timeout_seconds=60) as client:
            yield client


@contextlib.asynccontextmanager
async def mcp_stdio(launcher: Launcher, *args: str, env: dict[str, str] | None = None) -> AsyncIterator[Any]:
    """An official-SDK `Client` over stdio of `spotify-mcp-server stdio --sandbox ARGS`."""
    from mcp import Client
    from mcp.client.stdio import stdio_client

    params, log_path = launcher.stdio_params(*args, env=env)
    # Listed with the started processes so a failing test shows the server's stderr.
    STARTED.append(ServerProcess("stdio", [params.command, *params.args], {}, log_path))
    with open(log_path, "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
            yield client


def parse_exposition(text: str) -> dict[str, float]:
    """Prometheus text exposition as {series with labels: value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            out[series] = float(value)
    return out


def tool_result_json(result: Any) -> dict[str, Any]:
    """A CallToolResult as plain JSON (camelCase, as on the wire)."""
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)


def result_text(result: Any) -> str:
    """All text content of a tool result, joined."""
    parts = []
    for block in result.content or []:
        text = getattr(block, "text", None)
        if text:
            parts.append(text)
    return "\n".join(parts)


def compact_json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
