"""The Node MCP clients of scripts/mcp-clients.sh (Node 22, the conformance suite, the official
TypeScript SDK, the MCP Inspector): their paths from the environment, or from the script's
`export` lines when the environment lacks them (the script installs them once, cached)."""

from __future__ import annotations

import os
import subprocess
import sys
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
