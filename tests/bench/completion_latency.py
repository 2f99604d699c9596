#!/usr/bin/env python3
"""How much the response cache buys `completion/complete`: the same completion (the user's
playlists by name, for `spotify://playlist/{id}`) through the official Python SDK over HTTP,
against two servers side by side on one standalone sandbox that answers every request after
--latency-ms (a stand-in for Spotify's round trip): one with the default memory cache, one with
`--cache none`. Rounds alternate between them.

    python tests/bench/completion_latency.py --bin target/release/spotify-mcp-server

Needs the test venv (`eval "$(scripts/test-env.sh)"`, then `$SPOTIFY_MCP_TEST_PYTHON`). Every
process it starts is stopped at the end, also on failure. A benchmark, not a test: the figures
are in BENCHMARKS.md."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx

SANDBOX = {
    "SPOTIFY_CLIENT_ID": "sandbox-client-id",
    "SPOTIFY_CLIENT_SECRET": "sandbox-client-secret",
    "SPOTIFY_REFRESH_TOKEN": "sandbox-refresh-token",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{proc.args} exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    sys.exit(f"{url} did not answer within {timeout} s")


async def measure(url: str, calls: int) -> tuple[float, float]:
    from mcp import Client
    from mcp.types import ResourceTemplateReference

    ref = ResourceTemplateReference(type="ref/resource", uri="spotify://playlist/{id}")
    async with Client(url, mode="legacy") as client:
        first = await client.complete(ref, {"name": "id", "value": "s"})
        assert first.completion.values, f"{url}: no playlist completes from 's'"
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            await client.complete(ref, {"name": "id", "value": "s"})
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.99) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", type=Path, required=True, help="the spotify-mcp-server binary")
    parser.add_argument("--latency-ms", type=int, default=50, help="the sandbox's delay per request")
    parser.add_argument("--calls", type=int, default=60, help="completions per round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    procs: list[subprocess.Popen] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTIFY_")}
    try:
        sandbox_port = free_port()
        base = f"http://127.0.0.1:{sandbox_port}"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        procs.append(subprocess.Popen([args.bin, "sandbox", "--bind", f"127.0.0.1:{sandbox_port}"], env=env, **quiet))
        wait_until_up(f"{base}/sandbox/faults", procs[-1])
        faults = httpx.get(f"{base}/sandbox/faults").json()
        httpx.put(f"{base}/sandbox/faults", json={**faults, "latency_ms": args.latency_ms}).raise_for_status()

        servers = {}
        for name, extra in (("memory cache", []), ("--cache none", ["--cache", "none"])):
            port = free_port()
            server_env = {
                **env,
                **SANDBOX,
                "SPOTIFY_API_BASE_URL": f"{base}/v1",
                "SPOTIFY_ACCOUNTS_BASE_URL": base,
            }
            procs.append(subprocess.Popen([args.bin, "--port", str(port), *extra], env=server_env, **quiet))
            wait_until_up(f"http://127.0.0.1:{port}/readyz", procs[-1])
            servers[name] = f"http://127.0.0.1:{port}/mcp"

        print(f"completion/complete of spotify://playlist/{{id}}, Spotify at {args.latency_ms} ms, {args.calls} calls")
        for round_ in range(1, args.rounds + 1):
            for name, url in servers.items():
                p50, p99 = anyio.run(measure, url, args.calls)
                print(f"round {round_}, {name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
