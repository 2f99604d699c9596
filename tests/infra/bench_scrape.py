"""Benchmark of issue 3: how long a /metrics scrape of the real server takes after every tool
(default toolsets and the extended ones) has been called.

    SPOTIFY_MCP_BIN=target/release/spotify-mcp-server \
      $SPOTIFY_MCP_TEST_PYTHON tests/infra/bench_scrape.py

Starts a recording sandbox with extended quota and the server with every toolset, runs the
end-to-end suite's success case of every default tool and one call of every extended tool
(the same calls as tests/python/tour.py), then times 300 sequential GET /metrics over loopback
(time to the last byte, so render + HTTP). Prints one BENCH line."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))

from harness import Launcher, mcp_http  # noqa: E402
from toolcalls import Tools  # noqa: E402


async def main() -> None:
    import test_tool_calls as cases
    from tour import fill_args, sample_uris
    from world import SpotifyApi

    launcher = Launcher(Path(os.environ["SPOTIFY_MCP_BIN"]), Path(tempfile.mkdtemp(prefix="bench-scrape-")))
    sandbox = launcher.sandbox(name="bench-sandbox")
    all_sets = "playback,search,catalog,library,playlists,profile,composite,extended"
    server = launcher.http_server_on(sandbox, "--toolsets", all_sets, name="bench-server")
    try:
        api = SpotifyApi(sandbox)
        world = api.discover()
        failures = []
        async with mcp_http(server.mcp_url) as client:
            t = await Tools.connect(client)
            ctx = cases.Ctx(t, world, api, {}, sandbox, "")
            for name, case in cases.SUCCESS.items():
                try:
                    await case(ctx)
                except Exception as e:  # noqa: BLE001
                    failures.append(f"{name}: {e}")
            sandbox.set_faults(extended_quota=True)
            uris = sample_uris(api, extended=True)
            for name, tool in t.listed.items():
                if name not in cases.SUCCESS:
                    try:
                        await t.ok(name, fill_args(tool.input_schema, uris))
                    except Exception as e:  # noqa: BLE001
                        failures.append(f"{name}: {e}")
            listed = len(t.listed)
        metrics = httpx.get(f"{server.base_url}/metrics").text
        called = {
            line.split('tool="')[1].split('"')[0]
            for line in metrics.splitlines()
            if line.startswith("spotify_mcp_tool_calls_total{") and not line.endswith(" 0")
        }
        times = []
        with httpx.Client() as http:
            for _ in range(300):
                start = time.perf_counter()
                r = http.get(f"{server.base_url}/metrics")
                r.raise_for_status()
                times.append(time.perf_counter() - start)
        times.sort()
        p50, p99 = statistics.median(times), times[int(len(times) * 0.99)]
        series = sum(1 for line in r.text.splitlines() if line and not line.startswith("#"))
        print(
            f"BENCH /metrics scrape after {len(called)} of {listed} tools were called: "
            f"{len(r.content)} bytes, {series} samples, p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, "
            f"max {times[-1] * 1000:.2f} ms ({len(failures)} tool cases failed: {failures[:3]})"
        )
    finally:
        server.stop()
        sandbox.stop()


if __name__ == "__main__":
    anyio.run(main)
