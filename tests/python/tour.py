"""A tour of the whole tool surface against a fresh recording sandbox: every default tool's
success cases (from test_tool_calls) plus every extended tool on an extended-quota sandbox.
Each Web API exchange the server makes is attributed to the tool call that caused it, which
gives the endpoint -> tool table and the exchanges the faithfulness test validates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness import Launcher, SandboxProcess, mcp_http
from toolcalls import Tools

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # template relative to /v1, e.g. /albums/{id}
    operation_id: str
    deprecated: bool
    regex: re.Pattern[str] = field(compare=False, hash=False, repr=False)

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"


def load_operations(openapi: Path) -> list[Operation]:
    doc = yaml.safe_load(openapi.read_text())
    ops = []
    for path, item in doc["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
        for method, op in item.items():
            if method in HTTP_METHODS:
                ops.append(Operation(method.upper(), path, op.get("operationId", ""), bool(op.get("deprecated")), re.compile(pattern)))
    return ops


def match(ops: list[Operation], method: str, path: str) -> Operation | None:
    """The operation for a concrete request path (with or without the /v1 prefix). Literal
    segments win over templated ones (/me/player/queue vs /me/player/{x})."""
    rel = path[3:] if path.startswith("/v1/") else path
    hits = [o for o in ops if o.method == method.upper() and o.regex.match(rel)]
    if not hits:
        return None
    return min(hits, key=lambda o: o.path.count("{"))


@dataclass
class Observed:
    tool: str
    args: dict[str, Any]
    exchange: dict[str, Any]


class RecordingTools(Tools):
    """Tools whose calls are bracketed by clearing and reading the sandbox's request log, so
    every exchange is attributed to the one call that caused it (calls are sequential)."""

    def __init__(self, client: Any, listed: list[Any], sandbox: SandboxProcess, sink: list[Observed]):
        super().__init__(client, listed)
        self.sandbox = sandbox
        self.sink = sink

    async def _call(self, name: str, args: dict[str, Any]) -> Any:
        self.sandbox.clear_requests()
        try:
            return await super()._call(name, args)
        finally:
            for ex in self.sandbox.requests():
                if ex["path"].startswith("/v1/"):
                    self.sink.append(Observed(name, args, ex))


def fill_args(schema: dict[str, Any], uris: dict[str, str]) -> dict[str, Any]:
    """Arguments for a tool's required fields (plus a track seed where seeds are optional but one
    is needed), chosen by field name from real catalog URIs in `uris` (kind -> URI)."""
    args: dict[str, Any] = {}
    props = schema.get("properties", {})
    wanted = list(schema.get("required", []))
    if not wanted and "seed_tracks" in props:
        wanted.append("seed_tracks")
    for name in wanted:
        prop = props.get(name, {})
        kind = next(
            (k for k in ("artist", "album", "track", "show", "episode", "audiobook", "chapter", "category", "genre") if k in name),
            "track",
        )
        value: Any = uris.get(kind, "pop")
        ptype = prop.get("type")
        if ptype == "array" or (isinstance(ptype, list) and "array" in ptype):
            args[name] = [value]
        elif ptype == "integer":
            args[name] = prop.get("minimum", 1)
        elif ptype == "boolean":
            args[name] = True
        else:
            args[name] = value
    return args


def sample_uris(api: Any, extended: bool) -> dict[str, str]:
    """One real URI per kind (and a genre and, with extended quota, a category id)."""
    res = api.get("/search", q="a", type="track,album,artist,show,episode,audiobook", limit=1)
    uris = {k: res[f"{k}s"]["items"][0]["uri"] for k in ("track", "album", "artist", "show", "episode", "audiobook") if (res.get(f"{k}s") or {}).get("items")}
    uris["genre"] = "rock"
    if extended:
        cats = api.get("/browse/categories", limit=1)["categories"]["items"]
        if cats:
            uris["category"] = cats[0]["id"]
    return uris


@dataclass
class Tour:
    observed: list[Observed]
    failures: list[str]
    sandbox: SandboxProcess


async def run_tour(launcher: Launcher) -> Tour:
    """Runs the tour on a fresh recording sandbox; returns the attributed exchanges, the cases
    that failed, and the sandbox (still running; the caller stops it)."""
    import test_tool_calls as cases
    from world import SpotifyApi

    sandbox = launcher.sandbox(name="tour-sandbox", record=True)
    observed: list[Observed] = []
    server = launcher.http_server_on(sandbox, name="tour-server")
    try:
        api = SpotifyApi(sandbox)
        world = api.discover()
        state: dict[str, Any] = {}
        failures = []
        async with mcp_http(server.mcp_url) as client:
            base = await Tools.connect(client)
            t = RecordingTools(client, list(base.listed.values()), sandbox, observed)
            ctx = cases.Ctx(t, world, api, state, sandbox, "")
            for name, case in cases.SUCCESS.items():
                try:
                    await case(ctx)
                except Exception as e:  # keep touring; the caller reports what failed
                    failures.append(f"{name}: {type(e).__name__}: {e}")
        try:
            await _tour_extended(launcher, sandbox, api, observed, failures)
        except Exception as e:  # the default-tool part stays usable
            failures.append(f"extended toolset: {type(e).__name__}: {e}")
        return Tour(observed, failures, sandbox)
    finally:
        server.stop()


async def _tour_extended(launcher: Launcher, sandbox: SandboxProcess, api: Any, observed: list[Observed], failures: list[str]) -> None:
    """Every extended tool, once, on the sandbox switched to extended quota."""
    extended = launcher.http_server_on(sandbox, "--toolsets", "extended", name="tour-extended")
    try:
        sandbox.set_faults(extended_quota=True)
        uris = sample_uris(api, extended=True)
        async with mcp_http(extended.mcp_url) as client:
            base = await Tools.connect(client)
            t = RecordingTools(client, list(base.listed.values()), sandbox, observed)
            calls = [(name, fill_args(tool.input_schema, uris)) for name, tool in t.listed.items()]
            calls += _batch_calls(api, uris, set(t.listed))
            for name, args in calls:
                try:
                    await t.ok(name, args)
                except Exception as e:
                    failures.append(f"{name}({args}): {type(e).__name__}: {e}")
    finally:
        sandbox.set_faults(extended_quota=False)
        extended.stop()


def _batch_calls(api: Any, uris: dict[str, str], listed: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """Calls that reach the batch and by-id variants of the extended endpoints: several items of
    every kind, audio features of several tracks, one browse category."""
    res = api.get("/search", q="a", type="track,album,artist,show,episode,audiobook", limit=2)
    pairs = {k: [i["uri"] for i in res[f"{k}s"]["items"]] for k in ("track", "album", "artist", "show", "episode", "audiobook")}
    book = pairs["audiobook"][0].rsplit(":", 1)[1]
    pairs["chapter"] = [c["uri"] for c in api.get(f"/audiobooks/{book}/chapters", limit=2)["items"]]
    calls: list[tuple[str, dict[str, Any]]] = []
    if "get_several_items" in listed:
        calls += [("get_several_items", {"ids": two}) for two in pairs.values()]
    if "get_audio_features" in listed:
        calls.append(("get_audio_features", {"tracks": pairs["track"]}))
    if "get_categories" in listed and "category" in uris:
        calls.append(("get_categories", {"category": uris["category"]}))
    return calls


def coverage(observed: list[Observed], ops: list[Operation]) -> tuple[dict[Operation, set[str]], list[dict[str, Any]]]:
    """Operation -> tools that requested it, plus exchanges matching no operation."""
    table: dict[Operation, set[str]] = {}
    unknown = []
    for o in observed:
        op = match(ops, o.exchange["method"], o.exchange["path"])
        if op is None:
            unknown.append(o.exchange)
            continue
        table.setdefault(op, set()).add(o.tool)
    return table, unknown


def render_table(table: dict[Operation, set[str]], ops: list[Operation], default_tools: set[str]) -> str:
    lines = [
        "| Spotify endpoint | Operation | Tools |",
        "|---|---|---|",
    ]
    ordered = [o for o in ops if o in table and not o.deprecated] + [o for o in ops if o in table and o.deprecated]
    for op in ordered:
        tools = sorted(table[op], key=lambda t: (t not in default_tools, t))
        cell = ", ".join(f"`{t}`" if t in default_tools else f"`{t}` (extended)" for t in tools)
        lines.append(f"| `{op.endpoint}` | {op.operation_id}{' (extended quota only)' if op.deprecated else ''} | {cell} |")
    return "\n".join(lines) + "\n"


START = "<!-- coverage:start -->"
END = "<!-- coverage:end -->"


def readme_table(readme: Path) -> str | None:
    text = readme.read_text()
    if START not in text or END not in text:
        return None
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def write_readme_table(readme: Path, table: str) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme} has no {START} ... {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table}{END}{tail}")
