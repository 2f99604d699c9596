#!/usr/bin/env python3
"""Fault and soak run of issue 10: the real server binary (HTTP, bearer token, real OAuth
refresh) against the standalone sandbox, under a bounded mixed load and cycling fault storms.

    python tests/soak/soak.py --duration 150 --seed 7 --report soak.json

Load (all bounded in rate and concurrency): 2026-07-28 stateless calls from long-lived SDK
clients; 2025-11-25 sessions opened, used and closed (and some abandoned without DELETE);
read tools and writes, among them the non-idempotent ones (create_playlist,
add_playlist_items, reorder_playlist_items, add_to_queue, skip); slow clients (slow headers,
slow body, idle keep-alive sockets, disconnects mid-call) well inside --max-connections.

Storms through `/sandbox/faults`, one at a time with quiet gaps: random 429 with Retry-After,
Spotify's rolling window, 502/503/504, latency beyond the call deadline, lost answers (applied,
then the connection breaks) and a token endpoint outage (with every access token expired).

Asserted (see `Soak.verdict`):
- RSS: after warm-up and at the end, each taken after a quiet moment (no load, no faults, idle
  sessions expired), differ by at most --rss-drift-mib.
- Deadlines: no tool call takes longer than --call-timeout-secs + --slack as the client sees it.
- Errors: every failed call is an `isError` result whose text names a cause (at least 40
  characters) and says what to do: it matches ACTION (try again / retry / wait / in N s /
  check / start / log in ...). Distinct messages (numbers and ids masked) are listed.
- Protocol: no JSON-RPC error for a valid request (and no broken transport) outside shutdown.
- Nothing applied twice: each non-idempotent request is recognised in the sandbox's recorded
  exchanges by a tag (see `tag_of_exchange`); per tag, the exchanges the fake may have applied
  (any status but 401 and 429, which Spotify answers before doing anything) must not outnumber
  the tool calls the runner made with that tag. Tags are unique per call where the arguments
  allow (names, uri lists with positions, reorder ranges), so a repeat cannot hide.
- /metrics answers 200 with a parseable exposition throughout.
- SIGTERM during load: exit status 0 within --shutdown-grace + 1 s.

Memory of the runner is bounded (reservoirs, capped counters, the sandbox log drained every few
seconds and folded into per-tag counts), so `--duration 1800` runs in the same footprint.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))

from harness import REPO_ROOT, Launcher, SandboxProcess, ServerProcess, parse_exposition, result_text  # noqa: E402
import rawhttp  # noqa: E402

# A failed call must say what to do: one of these (case-insensitive).
ACTION = re.compile(
    r"try again|retry|wait|in \d+(\.\d+)? ?s\b|after \d+|check|start|open spotify|transfer|"
    r"log in|login|pass |use |set |choose|pick|make sure|contact",
    re.I,
)
# What must never show in an error text.
LEAKS = ("panicked", "traceback", "sandbox-client-secret", "sandbox-refresh-token")

WORDS = ["love", "night", "jazz", "synth", "blue", "the", "dream", "fire", "summer", "rock", "echo", "gold"]
STORMS = ["rate_limit_429", "rolling_window", "server_errors_5xx", "latency_beyond_deadline", "lost_answers", "token_outage"]
QUIET_KNOBS = {
    "latency_ms": 0,
    "rate_limit_probability": 0.0,
    "retry_after_secs": 1,
    "server_error_probability": 0.0,
    "window_limit": 0,
    "window_secs": 0,
    "lost_answer_probability": 0.0,
    "token_endpoint_down": False,
    "record_requests": True,
}
CAP = 200  # distinct keys kept in any counter of free text


def mask(text: str) -> str:
    """An error text with ids, numbers and tags masked, so equal messages count together."""
    text = re.sub(r"spotify:[a-z]+:[A-Za-z0-9]+", "spotify:<kind>:<id>", text)
    text = re.sub(r"\b[A-Za-z0-9]{22}\b", "<id>", text)
    text = re.sub(r"soak-\d+-\d+", "<tag>", text)
    return re.sub(r"\d+(\.\d+)?", "N", text)[:400]


class Capped(Counter):
    """A counter of at most CAP keys (later new keys count under `<other>`), with one example."""

    def __init__(self) -> None:
        super().__init__()
        self.examples: dict[str, str] = {}

    def add(self, key: str, example: str = "") -> None:
        if key not in self and len(self) >= CAP:
            key = "<other>"
        self[key] += 1
        if example and key not in self.examples:
            self.examples[key] = example[:600]


class Reservoir:
    """A uniform sample of at most `size` values, plus the exact count and maximum."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self.size, self.rng, self.values, self.count, self.max = size, rng, [], 0, 0.0

    def add(self, v: float) -> None:
        self.count += 1
        self.max = max(self.max, v)
        if len(self.values) < self.size:
            self.values.append(v)
        else:
            i = self.rng.randrange(self.count)
            if i < self.size:
                self.values[i] = v

    def quantile(self, q: float) -> float | None:
        if not self.values:
            return None
        s = sorted(self.values)
        return s[min(len(s) - 1, int(q * len(s)))]


def tag_of_call(tool: str, args: dict[str, Any], playlist_ids: dict[str, str]) -> tuple | None:
    """The tag of the one non-idempotent request a tool call makes (None for other calls)."""
    if tool == "create_playlist":
        return ("create", args["name"])
    if tool == "add_playlist_items":
        return ("add", args["playlist"], tuple(args["uris"]), args.get("position"))
    if tool == "reorder_playlist_items":
        return ("reorder", args["playlist"], args["range_start"], args["insert_before"], args.get("range_length", 1))
    if tool == "add_to_queue":
        return ("queue", args["uris"][0])
    if tool == "skip":
        return ("skip", args.get("direction", "next"))
    return None


def tag_of_exchange(ex: dict[str, Any]) -> tuple | None:
    """The tag of a recorded non-idempotent exchange (None for reads and idempotent writes)."""
    method, path, body = ex.get("method"), ex.get("path", ""), ex.get("request_body")
    query = dict(httpx.QueryParams(ex.get("query") or ""))
    if method == "POST" and re.fullmatch(r"/v1/(me|users/[^/]+)/playlists", path) and isinstance(body, dict):
        return ("create", body.get("name"))
    m = re.fullmatch(r"/v1/playlists/([^/]+)/(items|tracks)", path)
    if m and isinstance(body, dict):
        if method == "POST":
            return ("add", m.group(1), tuple(body.get("uris") or []), body.get("position"))
        if method == "PUT" and "range_start" in body:
            return ("reorder", m.group(1), body["range_start"], body.get("insert_before"), body.get("range_length", 1))
    if method == "POST" and path == "/v1/me/player/queue":
        return ("queue", query.get("uri"))
    if method == "POST" and path in ("/v1/me/player/next", "/v1/me/player/previous"):
        return ("skip", path.rsplit("/", 1)[1])
    return None


class Soak:
    def __init__(self, opts: argparse.Namespace, sandbox: SandboxProcess, server: ServerProcess, token: str):
        self.o = opts
        self.rng = random.Random(opts.seed)
        self.sandbox, self.server = sandbox, server
        self.auth = {"Authorization": f"Bearer {token}"}
        self.t0 = time.monotonic()
        self.paused = False
        self.stopping = False  # the SIGTERM phase: failures are expected and counted apart
        self.inflight = 0
        self.seq = 0
        # Results.
        self.calls: Counter = Counter()  # "tool outcome"
        self.latency = Reservoir(20_000, self.rng)
        self.latency_by_tool: dict[str, Reservoir] = {}
        self.over_deadline = Capped()
        self.errors = Capped()
        self.unhelpful = Capped()
        self.protocol = Capped()
        self.shutdown_phase = Capped()
        self.faults: Counter = Counter()
        self.fault_log: deque = deque(maxlen=400)
        self.rss: deque = deque(maxlen=1000)
        self.rss_marks: dict[str, int] = {}
        self.metrics_failures = Capped()
        self.metrics_scrapes = 0
        self.slow: Counter = Counter()
        self.slow_failures = Capped()
        self.sessions: Counter = Counter()
        self.issued: Counter = Counter()
        self.applied: Counter = Counter()
        self.exchanges: Counter = Counter()  # "METHOD status"
        self.lost_answers = 0
        self.reorder_used: set = set()
        self.sigterm: dict[str, Any] = {}

    # --- helpers -----------------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self.t0

    def next_tag(self) -> str:
        self.seq += 1
        return f"soak-{self.o.seed}-{self.seq}"

    def pid_rss_kib(self) -> int | None:
        try:
            for line in Path(f"/proc/{self.server.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    async def http(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as c:
            return await c.request(method, self.sandbox.base_url + path, **kw)

    async def set_knobs(self, **knobs: Any) -> None:
        r = await self.http("PUT", "/sandbox/faults", json={**QUIET_KNOBS, **knobs})
        r.raise_for_status()

    async def drain(self) -> None:
        """Folds the sandbox's recorded exchanges into per-tag counts and empties its log."""
        r = await self.http("POST", "/sandbox/requests/drain")
        r.raise_for_status()
        for ex in r.json()["requests"]:
            self.exchanges[f"{ex['method']} {ex['status']}"] += 1
            self.lost_answers += bool(ex.get("answer_lost"))
            tag = tag_of_exchange(ex)
            if tag is not None and ex["status"] not in (401, 429):
                self.applied[tag] += 1

    # --- one tool call ----------------------------------------------------------------------

    async def call(self, client: Any, tool: str, args: dict[str, Any]) -> Any:
        from mcp import MCPError

        tag = tag_of_call(tool, args, {})
        if tag is not None:
            self.issued[tag] += 1
        limit = self.o.call_timeout_secs + self.o.slack
        self.inflight += 1
        started = time.monotonic()
        outcome, result = "ok", None
        try:
            result = await asyncio.wait_for(client.call_tool(tool, args), timeout=limit + 20)
        except asyncio.TimeoutError:
            outcome = "hang"
        except MCPError as e:
            outcome = "jsonrpc_error"
            (self.shutdown_phase if self.stopping else self.protocol).add(f"{tool}: {e.code} {mask(str(e))}", str(e))
        except Exception as e:  # transport failure seen by the SDK
            outcome = "transport_error"
            (self.shutdown_phase if self.stopping else self.protocol).add(f"{tool}: {type(e).__name__} {mask(str(e))}", repr(e))
        finally:
            self.inflight -= 1
        elapsed = time.monotonic() - started
        if result is not None and result.is_error:
            outcome = "isError"
            text = result_text(result)
            self.errors.add(mask(text), text)
            if len(text) < 40 or not ACTION.search(text) or any(s in text.lower() for s in LEAKS):
                self.unhelpful.add(f"{tool}: {mask(text)}", text)
        self.calls[f"{tool} {outcome}"] += 1
        if not self.stopping:
            self.latency.add(elapsed)
            self.latency_by_tool.setdefault(tool, Reservoir(2_000, self.rng)).add(elapsed)
            if elapsed > limit or outcome == "hang":
                self.over_deadline.add(f"{tool} {outcome}", f"{elapsed:.2f} s at t={self.now():.0f} s: {json.dumps(args)[:200]}")
        return result

    # --- what the load calls ----------------------------------------------------------------

    def pick(self, tracks: list[str], playlists: list[str]) -> tuple[str, dict[str, Any]]:
        r = self.rng
        roll = r.random()
        if roll < 0.14:
            return "search", {"query": r.choice(WORDS), "types": ["track"], "limit": r.randint(1, 10)}
        if roll < 0.22:
            return "get_playback_state", {}
        if roll < 0.30:
            return "get_saved_items", {"type": "tracks", "limit": r.randint(1, 10)}
        if roll < 0.36:
            return "get_playlist_items", {"playlist": r.choice(playlists), "limit": 5}
        if roll < 0.42:
            return "get_item", {"id": r.choice(tracks)}
        if roll < 0.46:
            return "get_my_playlists", {"limit": 10}
        if roll < 0.50:
            return "set_volume", {"volume_percent": r.randint(0, 100)}
        if roll < 0.64:
            position = r.randint(0, 30)
            return "add_playlist_items", {"playlist": r.choice(playlists), "uris": r.sample(tracks, r.randint(1, 3)), "position": position}
        if roll < 0.76:
            return "reorder_playlist_items", self.reorder_args(playlists)
        if roll < 0.82:
            return "create_playlist", {"name": self.next_tag(), "description": "soak", "public": False}
        if roll < 0.92:
            return "add_to_queue", {"uris": [r.choice(tracks)]}
        return "skip", {"direction": r.choice(["next", "previous"])}

    def reorder_args(self, playlists: list[str]) -> dict[str, Any]:
        """A reorder inside the first 30 items (each soak playlist starts with 30), distinct
        from every earlier one while distinct ones are left."""
        for _ in range(50):
            pid = self.rng.choice(playlists)
            start, length = self.rng.randint(0, 26), self.rng.randint(1, 3)
            before = self.rng.choice([i for i in range(0, 31) if not start <= i <= start + length])
            key = (pid, start, before, length)
            if key not in self.reorder_used:
                break
        self.reorder_used.add(key)
        return {"playlist": pid, "range_start": start, "insert_before": before, "range_length": length}

    async def wait_unpaused(self) -> None:
        while self.paused and not self.stopping:
            await asyncio.sleep(0.1)

    async def modern_worker(self, tracks: list[str], playlists: list[str], until: float) -> None:
        from harness import mcp_http

        while self.now() < until:
            try:
                async with mcp_http(self.server.mcp_url, mode="auto", headers=self.auth) as client:
                    for _ in range(200):
                        if self.now() >= until:
                            return
                        await self.wait_unpaused()
                        await self.call(client, *self.pick(tracks, playlists))
                        await asyncio.sleep(self.rng.uniform(0.02, self.o.pace))
            except Exception as e:  # the client itself broke: a protocol failure
                if self.now() >= until or self.stopping:
                    return
                self.protocol.add(f"modern client: {type(e).__name__} {mask(str(e))}", repr(e))
                await asyncio.sleep(1)

    async def session_worker(self, tracks: list[str], playlists: list[str], until: float) -> None:
        """2025-11-25 sessions: opened, used for a few calls, closed; one in five abandoned."""
        from harness import mcp_http

        while self.now() < until:
            await self.wait_unpaused()
            if self.rng.random() < 0.2:
                await self.abandoned_session()
                continue
            try:
                async with mcp_http(self.server.mcp_url, mode="legacy", headers=self.auth) as client:
                    self.sessions["opened"] += 1
                    for _ in range(self.rng.randint(1, 4)):
                        await self.call(client, *self.pick(tracks, playlists))
                self.sessions["closed"] += 1
            except Exception as e:
                if self.stopping:
                    return
                self.protocol.add(f"legacy session: {type(e).__name__} {mask(str(e))}", repr(e))
            await asyncio.sleep(self.rng.uniform(0.05, self.o.pace))

    async def abandoned_session(self) -> None:
        headers = {"Content-Type": "application/json", "Accept": rawhttp.ACCEPT, **self.auth}
        try:
            async with httpx.AsyncClient(timeout=self.o.call_timeout_secs + 10) as c:
                r = await c.post(self.server.mcp_url, json=rawhttp.initialize_body(), headers=headers)
                sid = r.headers.get("mcp-session-id")
                if r.status_code != 200 or not sid:
                    self.protocol.add(f"initialize: HTTP {r.status_code}", r.text[:300])
                    return
                h = {**headers, "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-11-25"}
                await c.post(self.server.mcp_url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=h)
                r = await c.post(
                    self.server.mcp_url,
                    json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_playback_state", "arguments": {}}},
                    headers=h,
                )
                if rawhttp.jsonrpc_error(r) is not None or r.status_code != 200:
                    self.protocol.add(f"abandoned session call: HTTP {r.status_code}", r.text[:300])
                self.sessions["abandoned"] += 1
        except httpx.HTTPError as e:
            if not self.stopping:
                self.protocol.add(f"abandoned session: {type(e).__name__}", repr(e))

    # --- slow clients -----------------------------------------------------------------------

    async def slow_client(self, kind: str) -> None:
        """One misbehaving socket; the server must close it within its timeout (+2 s)."""
        port = self.server.port
        auth = self.auth["Authorization"]
        limit = {"slow_headers": self.o.header_timeout, "idle_keepalive": self.o.header_timeout, "slow_body": self.o.body_timeout}
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
        except (OSError, asyncio.TimeoutError) as e:
            self.slow_failures.add(f"{kind}: connect {type(e).__name__}", str(e))
            return
        started = time.monotonic()
        try:
            if kind == "disconnect_mid_call":
                body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "search", "arguments": {"query": "night", "types": ["track"]}}}).encode()
                head = (
                    f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {auth}\r\n"
                    f"Content-Type: application/json\r\nAccept: {rawhttp.ACCEPT}\r\nMCP-Protocol-Version: 2026-07-28\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode()
                writer.write(head + body)
                await writer.drain()
                await asyncio.sleep(self.rng.uniform(0.0, 0.3))
                self.slow[kind] += 1
                return
            if kind == "idle_keepalive":
                writer.write(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
                await writer.drain()
                started = time.monotonic()  # the idle time counts from the end of the answer
            elif kind == "slow_headers":
                writer.write(f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())
            elif kind == "slow_body":
                writer.write(
                    f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\n"
                    f"Accept: {rawhttp.ACCEPT}\r\nContent-Length: 400\r\n\r\n{{".encode()
                )
            await writer.drain()
            deadline = started + limit[kind] + 2
            closed = False
            while time.monotonic() < deadline + 0.5:
                try:
                    chunk = await asyncio.wait_for(reader.read(4096), timeout=1.0)
                except asyncio.TimeoutError:
                    chunk = None
                if chunk == b"":
                    closed = True
                    break
                if kind in ("slow_headers", "slow_body"):
                    with contextlib.suppress(ConnectionError):
                        writer.write(b"X-Slow: 1\r\n" if kind == "slow_headers" else b" ")
                        await writer.drain()
            took = time.monotonic() - started
            if not closed or took > limit[kind] + 2:
                self.slow_failures.add(f"{kind}: open after {took:.1f} s", f"t={self.now():.0f}")
            else:
                self.slow[kind] += 1
        except ConnectionError:
            self.slow[kind] += 1  # closed by the server while we wrote
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def slow_clients(self, until: float) -> None:
        kinds = ["slow_headers", "slow_body", "idle_keepalive", "disconnect_mid_call"]
        while self.now() < until - self.o.header_timeout - 3:
            await self.wait_unpaused()
            batch = [self.slow_client(self.rng.choice(kinds)) for _ in range(self.o.slow_batch)]
            await asyncio.gather(*batch)
            await asyncio.sleep(self.rng.uniform(0.5, 2.0))

    # --- storms, metrics, RSS, the log --------------------------------------------------------

    async def storm(self, name: str, length: float) -> None:
        self.faults[name] += 1
        self.fault_log.append((round(self.now(), 1), name))
        timeout_ms = int(self.o.call_timeout_secs * 1000)
        knobs = {
            "rate_limit_429": {"rate_limit_probability": 0.3, "retry_after_secs": self.rng.choice([1, 2, 30])},
            "rolling_window": {"window_limit": 15, "window_secs": 3},
            "server_errors_5xx": {"server_error_probability": 0.3},
            "latency_beyond_deadline": {"latency_ms": timeout_ms + 1500},
            "lost_answers": {"lost_answer_probability": 0.3},
            "token_outage": {"token_endpoint_down": True},
        }[name]
        await self.set_knobs(**knobs)
        if name == "token_outage":
            r = await self.http("POST", "/sandbox/tokens/revoke", json={"access_tokens": True})
            r.raise_for_status()
        await asyncio.sleep(length)
        await self.set_knobs()

    async def storms(self, until: float) -> None:
        order = list(STORMS)
        self.rng.shuffle(order)
        i = 0
        while self.now() + self.o.storm_secs + self.o.storm_gap < until:
            await asyncio.sleep(self.o.storm_gap)
            await self.wait_unpaused()
            await self.storm(order[i % len(order)], self.o.storm_secs)
            i += 1

    async def monitor(self, until: float) -> None:
        """RSS every 2 s, /metrics every 5 s, the sandbox log drained every 5 s."""
        n = 0
        while self.now() < until:
            kib = self.pid_rss_kib()
            if kib is not None:
                self.rss.append((round(self.now(), 1), kib))
            if n % 3 == 0:
                await self.scrape()
                await self.drain()
            n += 1
            await asyncio.sleep(2)

    async def scrape(self) -> None:
        self.metrics_scrapes += 1
        try:
            async with httpx.AsyncClient(timeout=5) as c:
                r = await c.get(self.server.base_url + "/metrics")
            if r.status_code != 200:
                self.metrics_failures.add(f"HTTP {r.status_code}", r.text[:300])
            elif not parse_exposition(r.text):
                self.metrics_failures.add("empty exposition")
        except Exception as e:
            self.metrics_failures.add(type(e).__name__, repr(e))

    async def quiet_rss(self, mark: str) -> int:
        """Pauses the load, waits for in-flight calls and for idle sessions to expire, and takes
        the median of three RSS samples."""
        self.paused = True
        await self.set_knobs()
        end = time.monotonic() + self.o.call_timeout_secs + 10
        while self.inflight and time.monotonic() < end:
            await asyncio.sleep(0.1)
        await asyncio.sleep(self.o.session_idle + 2)
        samples = []
        for _ in range(3):
            samples.append(self.pid_rss_kib() or 0)
            await asyncio.sleep(0.5)
        self.rss_marks[mark] = sorted(samples)[1]
        self.rss.append((round(self.now(), 1), self.rss_marks[mark]))
        self.paused = False
        return self.rss_marks[mark]

    # --- the run ----------------------------------------------------------------------------

    async def setup(self) -> tuple[list[str], list[str]]:
        """Track URIs from the fake's catalog and three soak playlists of 30 tracks each."""
        from harness import mcp_http

        token = self.sandbox.user_token()
        tracks: list[str] = []
        async with httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {token}"}) as c:
            for word in WORDS:
                for offset in range(0, 50, 10):  # the fake's search pages hold at most 10
                    r = await c.get(f"{self.sandbox.base_url}/v1/search", params={"q": word, "type": "track", "limit": 10, "offset": offset})
                    r.raise_for_status()
                    tracks += [t["uri"] for t in r.json()["tracks"]["items"] if t]
        tracks = sorted(set(tracks))
        playlists = []
        async with mcp_http(self.server.mcp_url, mode="auto", headers=self.auth) as client:
            for _ in range(3):
                result = await self.call(client, "create_playlist", {"name": self.next_tag(), "description": "soak", "public": False})
                assert result is not None and not result.is_error, f"setup create_playlist failed: {result_text(result) if result else 'no result'}"
                found = re.search(r"spotify:playlist:([A-Za-z0-9]{22})", json.dumps(result.structured_content))
                assert found, f"create_playlist did not report the new playlist's URI: {result.structured_content}"
                pid = found.group(1)
                playlists.append(pid)
                result = await self.call(client, "add_playlist_items", {"playlist": pid, "uris": self.rng.sample(tracks, 30)})
                assert result is not None and not result.is_error, f"setup add_playlist_items failed: {result_text(result) if result else ''}"
        return tracks, playlists

    async def load(self, tracks: list[str], playlists: list[str], until: float) -> None:
        tasks = [self.modern_worker(tracks, playlists, until) for _ in range(self.o.modern_workers)]
        tasks += [self.session_worker(tracks, playlists, until) for _ in range(self.o.session_workers)]
        tasks += [self.slow_clients(until), self.storms(until), self.monitor(until)]
        await asyncio.gather(*tasks)

    async def run(self) -> None:
        await self.set_knobs()
        await self.drain()
        tracks, playlists = await self.setup()
        shutdown_phase = 8.0
        warm_until = self.now() + self.o.warmup
        await self.load(tracks, playlists, warm_until)
        await self.quiet_rss("after_warmup")
        end = self.o.duration - shutdown_phase - (self.o.session_idle + 5)
        await self.load(tracks, playlists, max(end, self.now() + 10))
        await self.quiet_rss("end")
        await self.drain()
        await self.sigterm_under_load(tracks, playlists)
        await self.drain_after_exit()

    async def sigterm_under_load(self, tracks: list[str], playlists: list[str]) -> None:
        until = self.now() + 30
        load = asyncio.gather(*[self.modern_worker(tracks, playlists, until) for _ in range(self.o.modern_workers)],
                              *[self.session_worker(tracks, playlists, until) for _ in range(self.o.session_workers)])
        await self.set_knobs(latency_ms=800)  # calls are in flight when the signal arrives
        await asyncio.sleep(3)
        inflight = self.inflight
        self.stopping = True
        sent = time.monotonic()
        self.server.signal(signal.SIGTERM)
        code = None
        while time.monotonic() - sent < self.o.shutdown_grace + 6:
            code = self.server.proc.poll()
            if code is not None:
                break
            await asyncio.sleep(0.05)
        took = time.monotonic() - sent
        self.sigterm = {"exit_code": code, "seconds": round(took, 2), "in_flight_at_signal": inflight}
        load.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(load, 10)
        await self.set_knobs()

    async def drain_after_exit(self) -> None:
        await asyncio.sleep(0.5)
        await self.drain()

    # --- verdict ----------------------------------------------------------------------------

    def duplicates(self) -> list[str]:
        out = []
        for tag, n in self.applied.items():
            if n > self.issued.get(tag, 0):
                out.append(f"{tag}: reached the fake {n} times for {self.issued.get(tag, 0)} call(s)")
        return sorted(out)[:50]

    def summary(self) -> dict[str, Any]:
        lat = {"count": self.latency.count, "p50": self.latency.quantile(0.5), "p99": self.latency.quantile(0.99), "max": self.latency.max}
        drift = None
        if "after_warmup" in self.rss_marks and "end" in self.rss_marks:
            drift = (self.rss_marks["end"] - self.rss_marks["after_warmup"]) / 1024
        return {
            "seed": self.o.seed,
            "duration_s": round(self.now(), 1),
            "calls": dict(sorted(self.calls.items())),
            "latency_s": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in lat.items()},
            "latency_by_tool_s": {
                t: {"p50": round(r.quantile(0.5) or 0, 3), "p99": round(r.quantile(0.99) or 0, 3), "max": round(r.max, 3), "n": r.count}
                for t, r in sorted(self.latency_by_tool.items())
            },
            "over_deadline": dict(self.over_deadline), "over_deadline_examples": self.over_deadline.examples,
            "errors_by_message": dict(self.errors.most_common()),
            "unhelpful_errors": dict(self.unhelpful), "unhelpful_examples": self.unhelpful.examples,
            "protocol_errors": dict(self.protocol), "protocol_examples": self.protocol.examples,
            "shutdown_phase_failures": dict(self.shutdown_phase),
            "faults_injected": dict(self.faults), "fault_timeline": list(self.fault_log),
            "rss_kib_samples": list(self.rss)[:: max(1, len(self.rss) // 60)],
            "rss_kib_marks": self.rss_marks, "rss_drift_mib": None if drift is None else round(drift, 2),
            "metrics_scrapes": self.metrics_scrapes, "metrics_failures": dict(self.metrics_failures),
            "slow_clients": dict(self.slow), "slow_client_failures": dict(self.slow_failures), "slow_client_examples": self.slow_failures.examples,
            "sessions": dict(self.sessions),
            "sandbox_exchanges": dict(sorted(self.exchanges.items())), "sandbox_lost_answers": self.lost_answers,
            "non_idempotent_tags": {"issued": len(self.issued), "applied": len(self.applied), "calls": sum(self.issued.values())},
            "duplicates": self.duplicates(),
            "sigterm": self.sigterm,
        }

    def verdict(self, s: dict[str, Any]) -> list[str]:
        o = self.o
        fails = []
        if s["rss_drift_mib"] is None:
            fails.append("no RSS marks were taken")
        elif s["rss_drift_mib"] > o.rss_drift_mib:
            fails.append(f"RSS drift {s['rss_drift_mib']} MiB > {o.rss_drift_mib} MiB ({s['rss_kib_marks']})")
        if s["over_deadline"]:
            fails.append(f"calls outlived the deadline ({o.call_timeout_secs} s + {o.slack} s): {s['over_deadline_examples']}")
        if s["unhelpful_errors"]:
            fails.append(f"errors that do not say what to do: {s['unhelpful_examples']}")
        if s["protocol_errors"]:
            fails.append(f"protocol or transport errors for valid requests: {s['protocol_examples']}")
        if s["duplicates"]:
            fails.append(f"non-idempotent requests applied twice: {s['duplicates']}")
        if s["metrics_failures"]:
            fails.append(f"/metrics failed: {s['metrics_failures']}")
        if s["slow_client_failures"]:
            fails.append(f"slow clients not closed in time: {s['slow_client_examples']}")
        sig = s["sigterm"]
        if sig.get("exit_code") != 0 or sig.get("seconds", 99) > o.shutdown_grace + 1:
            fails.append(f"SIGTERM under load: {sig} (want exit 0 within {o.shutdown_grace + 1} s)")
        unseen = set(STORMS) - set(s["faults_injected"])
        if unseen:
            fails.append(f"storms never injected (run longer): {sorted(unseen)}")
        if not any(k.endswith(" ok") for k in s["calls"]):
            fails.append("no call succeeded")
        return fails


def options(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=150, help="seconds, all phases included")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--report", type=Path, help="write the summary as JSON here")
    p.add_argument("--bin", type=Path, default=os.environ.get("SPOTIFY_MCP_BIN") or REPO_ROOT / "target" / "debug" / "spotify-mcp-server")
    p.add_argument("--workdir", type=Path, help="keep logs here (default: a temporary directory, removed on success)")
    p.add_argument("--call-timeout-secs", type=int, default=5)
    p.add_argument("--slack", type=float, default=2.0, help="seconds allowed past the call deadline")
    p.add_argument("--shutdown-grace", type=int, default=3)
    p.add_argument("--header-timeout", type=int, default=3)
    p.add_argument("--body-timeout", type=int, default=3)
    p.add_argument("--session-idle", type=int, default=8, help="must exceed --call-timeout-secs")
    p.add_argument("--rss-drift-mib", type=float, default=5.0)
    p.add_argument("--warmup", type=float, help="seconds of load before the first RSS mark (default: 20%% of the run, 25-120 s)")
    p.add_argument("--storm-secs", type=float, help="length of one storm (default: duration/18, 6-30 s)")
    p.add_argument("--storm-gap", type=float, help="quiet between storms (default: half a storm)")
    p.add_argument("--modern-workers", type=int, default=3)
    p.add_argument("--session-workers", type=int, default=1)
    p.add_argument("--slow-batch", type=int, default=6, help="slow sockets opened at once")
    p.add_argument("--pace", type=float, default=0.25, help="most seconds a worker waits between calls")
    o = p.parse_args(argv)
    o.warmup = o.warmup if o.warmup is not None else min(120.0, max(25.0, o.duration * 0.2))
    o.storm_secs = o.storm_secs if o.storm_secs is not None else min(30.0, max(6.0, o.duration / 18))
    o.storm_gap = o.storm_gap if o.storm_gap is not None else o.storm_secs / 2
    return o


async def soak(o: argparse.Namespace, workdir: Path) -> tuple[dict[str, Any], list[str]]:
    os.environ.setdefault("SPOTIFY_MCP_TEST_LOG", "warn")  # bounded logs over a long run
    launcher = Launcher(o.bin, workdir)
    token = secrets.token_urlsafe(24)
    sandbox = launcher.sandbox(name="soak-sandbox", record=True)
    server = None
    try:
        server = launcher.http_server_on(
            sandbox,
            "--call-timeout-secs", str(o.call_timeout_secs),
            "--request-timeout-secs", str(max(1, o.call_timeout_secs - 2)),
            "--shutdown-grace", str(o.shutdown_grace),
            "--header-read-timeout", str(o.header_timeout),
            "--request-body-timeout", str(o.body_timeout),
            "--session-idle-timeout", str(o.session_idle),
            "--max-connections", "128",
            "--max-sessions", "200",
            name="soak-server",
            env={"SPOTIFY_MCP_AUTH_TOKENS": token},
        )
        s = Soak(o, sandbox, server, token)
        try:
            await s.run()
        finally:
            summary = s.summary()
        summary["log_bytes"] = {p.name: p.stat().st_size for p in workdir.glob("*.log")}
        return summary, s.verdict(summary)
    finally:
        if server is not None:
            server.stop(timeout=5)
        sandbox.stop(timeout=5)


def main(argv: list[str] | None = None) -> int:
    o = options(argv)
    # The SDK warns on every session DELETE answered 202 (it expects 200/204); noted, not noise.
    logging.getLogger("mcp.client.streamable_http").setLevel(logging.ERROR)
    workdir = o.workdir or Path(tempfile.mkdtemp(prefix="spotify-mcp-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    try:
        summary, failures = asyncio.run(soak(o, workdir))
    except BaseException:
        print(f"soak aborted; logs in {workdir}", file=sys.stderr)
        raise
    summary["failures"] = failures
    text = json.dumps(summary, indent=2, default=str)
    if o.report:
        o.report.write_text(text + "\n")
    print(text)
    if failures:
        print(f"\nSOAK FAILED ({len(failures)}); logs in {workdir}:", file=sys.stderr)
        for f in failures:
            print(f"- {f}"[:3000], file=sys.stderr)
        return 1
    if o.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\nsoak passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
