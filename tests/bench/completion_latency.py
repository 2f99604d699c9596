#!/usr/bin/env python3
"""How much the response cache buys `completion/complete`: the same completion (the user's
playlists by name, for `spotify://playlist/{id}`) through the official Python SDK over HTTP,
against two servers side by side on one standalone sandbox that answers every request after
--latency-ms (a stand-in for Spotify's round trip): one with the default memory cache, one with
`--cache none`. Rounds alternate between them.

    python tests/bench/completion_latency.py --bin target/release/spotify-mcp-server

Needs the test venv (`eval "$(scripts/test-env.sh)"`, then `$SPOTIFY_MCP_TEST_PYTHON`). It starts
the processes with the end-to-end suite's harness (tests/python/harness.py) and stops every one
at the end, also on failure. A benchmark, not a test: the figures are in BENCHMARKS.md."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from harness import Launcher  # noqa: E402


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

    with tempfile.TemporaryDirectory(prefix="completion-latency-") as workdir:
        launcher = Launcher(args.bin.resolve(), Path(workdir))
        started = []
        try:
            spotify = launcher.sandbox(name="sandbox", record=False)
            started.append(spotify)
            spotify.set_faults(latency_ms=args.latency_ms)
            servers = {}
            for name, extra in (("memory cache", ()), ("--cache none", ("--cache", "none"))):
                server = launcher.http_server_on(spotify, *extra, name=name.strip("-").replace(" ", "-"))
                started.append(server)
                servers[name] = server.mcp_url

            print(f"completion/complete of spotify://playlist/{{id}}, Spotify at {args.latency_ms} ms, {args.calls} calls")
            for round_ in range(1, args.rounds + 1):
                for name, url in servers.items():
                    p50, p99 = anyio.run(measure, url, args.calls)
                    print(f"round {round_}, {name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        finally:
            for proc in reversed(started):
                proc.stop()


if __name__ == "__main__":
    main()
