"""The Node MCP clients of scripts/mcp-clients.sh (Node 22, the conformance suite, the official
TypeScript SDK, the MCP Inspector): their paths from the environment, or from the script's
`export` lines when the environment lacks them (the script installs them once, cached)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
from tooling import script_exports  # noqa: E402

VARS = (
    "SPOTIFY_MCP_NODE22",
    "SPOTIFY_MCP_CONFORMANCE",
    "SPOTIFY_MCP_CONFORMANCE_NEXT",
    "SPOTIFY_MCP_TS_CLIENT_DIR",
    "SPOTIFY_MCP_INSPECTOR_CLI",
    "SPOTIFY_MCP_INSPECTOR_MCPDO",
)


@cache
def _from_script() -> dict[str, str]:
    return script_exports("mcp-clients.sh")


def client_paths(*wanted: str) -> dict[str, str]:
    """The wanted variables (all of VARS by default). A path that is missing fails the test
    with the variable's name: a client that is not there is a failure, never a skip."""
    wanted = wanted or VARS
    if all(os.environ.get(v) for v in wanted):
        found = {v: os.environ[v] for v in wanted}
    else:
        exported = _from_script()
        assert all(exported.get(v) for v in wanted), f"scripts/mcp-clients.sh printed {exported}, wanted {wanted}"
        found = {v: exported[v] for v in wanted}
    missing = {v: p for v, p in found.items() if not Path(p).exists()}
    assert not missing, f"scripts/mcp-clients.sh names paths that do not exist: {missing} (re-run the script)"
    return found


def run_node(script: str, *args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`node22 SCRIPT ARGS` with the given environment, capturing its output."""
    node = client_paths("SPOTIFY_MCP_NODE22")["SPOTIFY_MCP_NODE22"]
    return subprocess.run([node, script, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


_LOG_LOCK = threading.Lock()


def run_logged(
    argv: list[str], *, env: dict[str, str], cwd: Path, log: Path, shown: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs a client command (at most 120 s) and appends it (`shown`, e.g. with a token masked,
    else the argv), its exit status and its output to `log`."""
    run = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    with _LOG_LOCK, log.open("a") as out:
        out.write(f"$ {shown or ' '.join(argv)}\n-> exit {run.returncode}\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    return run


def json_answer(run: subprocess.CompletedProcess[str], exit_code: int, what: str) -> dict:
    """The answer of an Inspector command run with `--format json`: on stdout, or an
    `{"error": ...}` object as the last line of stderr. Fails unless it exited `exit_code`."""
    assert run.returncode == exit_code, (
        f"{what}: exit {run.returncode}, expected {exit_code}\nstdout: {run.stdout[-3000:]}\n"
        f"stderr: {run.stderr[-3000:]}"
    )
    return json.loads(run.stdout.strip() or run.stderr.strip().splitlines()[-1])
