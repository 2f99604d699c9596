"""Fixtures of the end-to-end suite: the real binary, started on free loopback ports.

Session-scoped servers are shared by tests that do not change their configuration; tests that
need special flags start their own. When a test fails, the logs of every server it could have
talked to are attached to the report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import REPO_ROOT, STARTED, Launcher, SandboxProcess, ServerProcess, openapi_path


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _cargo_target_dir() -> Path:
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return Path(json.loads(out)["target_directory"])


@pytest.fixture(scope="session")
def binary() -> Path:
    """The server binary: $SPOTIFY_MCP_BIN, or a fresh `cargo build -p spotify-mcp-server`."""
    env = os.environ.get("SPOTIFY_MCP_BIN")
    if env:
        path = Path(env)
        if not path.is_file():
            pytest.fail(f"SPOTIFY_MCP_BIN={env} does not exist", pytrace=False)
        return path
    if shutil.which("cargo") is None:
        pytest.fail("cargo is not on PATH and SPOTIFY_MCP_BIN is not set", pytrace=False)
    build = subprocess.run(
        ["cargo", "build", "-p", "spotify-mcp-server", "--bin", "spotify-mcp-server"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        pytest.fail(f"cargo build failed:\n{build.stderr[-6000:]}", pytrace=False)
    path = _cargo_target_dir() / "debug" / "spotify-mcp-server"
    if not path.is_file():
        pytest.fail(f"cargo build did not produce {path}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def openapi_file() -> Path:
    path = openapi_path()
    if not path.is_file():
        pytest.fail(f"Spotify OpenAPI definition not found at {path} (set SPOTIFY_OPENAPI)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def launcher(binary: Path, tmp_path_factory: pytest.TempPathFactory):
    """Starts binaries; stops every one of them at the end of the session."""
    launch = Launcher(binary, tmp_path_factory.mktemp("servers"))
    yield launch
    for proc in list(STARTED):
        proc.stop()


@pytest.fixture(scope="session")
def sandbox_server(launcher: Launcher) -> ServerProcess:
    """`spotify-mcp-server --sandbox --port P`: the newcomer's command, default flags.
    Shared: tests against it must not depend on player or library state."""
    server = launcher.http_server(name="sandbox-mode")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def spotify(launcher: Launcher) -> SandboxProcess:
    """A standalone sandbox (`spotify-mcp-server sandbox --record-requests`) for tests that
    need its control endpoints (faults, request log) or another user."""
    sb = launcher.sandbox(name="standalone-sandbox")
    yield sb
    sb.stop()


@pytest.fixture(scope="session")
def stack(launcher: Launcher, spotify: SandboxProcess) -> ServerProcess:
    """The HTTP server configured like a real deployment (client id, secret, refresh token of
    the Premium user, base URLs), pointed at the standalone sandbox."""
    server = launcher.http_server_on(spotify, name="server-on-standalone-sandbox")
    yield server
    server.stop()


_STARTED_BEFORE = pytest.StashKey[int]()


def pytest_runtest_setup(item):
    item.stash[_STARTED_BEFORE] = len(STARTED)


def _procs_of(value) -> list[ServerProcess]:
    if isinstance(value, ServerProcess):
        return [value]
    if isinstance(value, (tuple, list)):
        return [p for v in value for p in _procs_of(v)]
    sandbox = getattr(value, "sandbox", None)
    return [sandbox] if isinstance(sandbox, ServerProcess) else []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the log tails of the servers the test used or started."""
    outcome = yield
    report = outcome.get_result()
    if report.when in ("setup", "call") and report.failed:
        procs: list[ServerProcess] = []
        for value in getattr(item, "funcargs", {}).values():
            procs += _procs_of(value)
        procs += STARTED[item.stash.get(_STARTED_BEFORE, len(STARTED)) :]
        seen = set()
        for proc in procs:
            if id(proc) in seen:
                continue
            seen.add(id(proc))
            text = proc.log()
            if text:
                report.sections.append((f"log of {proc.name} ({proc.log_path.name})", text[-5000:]))


@pytest.fixture(scope="session")
def tour(launcher, openapi_file):
    """One tour of every tool against a fresh recording sandbox (see tour.py), shared by the
    coverage and faithfulness tests."""
    import anyio

    from tour import run_tour

    result = anyio.run(run_tour, launcher)
    yield result
    result.sandbox.stop()
