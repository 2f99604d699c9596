"""tools/list through the official SDK: the default surface, every tool's input schema,
annotations and output schema, the size of the answer, and --toolsets / --read-only filtering."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from harness import compact_json, mcp_http
from surface import (
    ADDITIVE_TOOLS,
    COMMON_ARGS,
    DEFAULT_TOOLS,
    DESTRUCTIVE_TOOLS,
    EXTENDED_KEYWORDS,
    IDEMPOTENT_WRITES,
    NON_IDEMPOTENT_TOOLS,
    OPT_IN_TOOLS,
    READ_ONLY_TOOLS,
    SNAPSHOTS,
    TOOLS_LIST_MAX_BYTES,
    TOOLSETS,
)

pytestmark = pytest.mark.anyio


async def list_tools_json(url: str, mode: str = "auto") -> list[dict[str, Any]]:
    """Every tool of every page, as wire JSON."""
    async with mcp_http(url, mode=mode) as client:
        tools: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await client.list_tools(cursor=cursor)
            tools += [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in page.tools]
            cursor = page.next_cursor
            if cursor is None:
                return tools


@pytest.fixture(scope="module")
def default_tools(sandbox_server) -> list[dict[str, Any]]:
    import anyio

    return anyio.run(list_tools_json, sandbox_server.mcp_url)


def by_name(tools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in tools}


def test_default_surface_is_exactly_the_stated_tools(default_tools):
    names = [t["name"] for t in default_tools]
    assert len(names) == len(set(names)), f"duplicate tool names: {sorted(names)}"
    missing = sorted(set(DEFAULT_TOOLS) - set(names))
    extra = sorted(set(names) - set(DEFAULT_TOOLS))
    assert not missing, f"default tools missing: {missing}"
    assert not extra, f"tools outside the contract in the default set: {extra}"


@pytest.mark.parametrize("name", DEFAULT_TOOLS)
def test_served_tool_is_its_snapshot(default_tools, name):
    """What a client gets of a tool is what server/tools/<name>.json states (annotations as a
    client reads them: the snapshot holds every declared hint, the server leaves out defaults)."""
    tool = by_name(default_tools).get(name)
    assert tool is not None, f"tool {name} is missing"
    snapshot = SNAPSHOTS[name]
    for key in ("description", "inputSchema", "outputSchema", "title"):
        assert tool.get(key) == snapshot.get(key), f"{name}: {key} differs from server/tools/{name}.json"
    declared = {hint: snapshot["annotations"].get(hint, default) for hint, default in HINT_DEFAULTS.items()}
    if declared["readOnlyHint"]:
        declared["destructiveHint"] = declared["idempotentHint"] = False
    assert effective_hints(tool) == declared, f"{name}: annotations differ from server/tools/{name}.json"


def test_no_extended_tool_in_the_default_set(default_tools):
    for t in default_tools:
        assert not any(k in t["name"] for k in EXTENDED_KEYWORDS), f"{t['name']} looks like an extended tool"


@pytest.mark.parametrize("name", DEFAULT_TOOLS)
def test_tool_description_is_actionable(default_tools, name):
    tool = by_name(default_tools).get(name)
    assert tool is not None, f"tool {name} is missing"
    desc = tool.get("description", "")
    assert len(desc) >= 12, f"{name}: description too short for a model to act on: {desc!r}"
    assert len(desc) <= 600, f"{name}: description of {len(desc)} chars wastes model context"


def _walk_properties(schema: dict[str, Any], defs: dict[str, Any], path: str = ""):
    """Yields (path, property schema) for every property, following local $refs and arrays."""
    if "$ref" in schema:
        ref = schema["$ref"]
        key = ref.rsplit("/", 1)[-1]
        target = defs.get(key)
        assert target is not None, f"unresolvable $ref {ref} at {path or '<root>'}"
        yield from _walk_properties(target, defs, path)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _walk_properties(sub, defs, path)
    for prop, sub in (schema.get("properties") or {}).items():
        p = f"{path}.{prop}" if path else prop
        yield p, sub
        yield from _walk_properties(sub, defs, p)
    if isinstance(schema.get("items"), dict):
        yield from _walk_properties(schema["items"], defs, path + "[]")


def _types(schema: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        return _types(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs)
    t = schema.get("type")
    out: set[str] = set(t if isinstance(t, list) else [t] if t else [])
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, []):
            out |= _types(sub, defs)
    return out - {"null"}


def _bounded(schema: dict[str, Any], defs: dict[str, Any], lo: str, hi: str | None) -> bool:
    if "$ref" in schema:
        return _bounded(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs, lo, hi)
    if lo in schema and (hi is None or hi in schema):
        return True
    return any(_bounded(s, defs, lo, hi) for k in ("anyOf", "oneOf") for s in schema.get(k, []) if s.get("type") != "null")


@pytest.mark.parametrize("name", DEFAULT_TOOLS)
def test_input_schema_fields_are_described_and_bounded(default_tools, name):
    tool = by_name(default_tools).get(name)
    assert tool is not None, f"tool {name} is missing"
    schema = tool["inputSchema"]
    assert schema.get("type") == "object", f"{name}: inputSchema must be an object schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    defs = {**schema.get("$defs", {}), **schema.get("definitions", {})}
    problems = []
    for path, prop in _walk_properties(schema, defs):
        if "$ref" in prop and "description" not in prop:
            target = defs.get(prop["$ref"].rsplit("/", 1)[-1], {})
            described = "description" in target
        else:
            described = bool(prop.get("description"))
        if not described and "." not in path and "[]" not in path and path not in COMMON_ARGS:
            problems.append(f"{path}: no description")
        types = _types(prop, defs)
        if "integer" in types or "number" in types:
            if not _bounded(prop, defs, "minimum", None) and not _bounded(prop, defs, "exclusiveMinimum", None):
                problems.append(f"{path}: number without a minimum")
            if path.split(".")[-1] in ("limit", "volume_percent", "volume", "percent"):
                if not _bounded(prop, defs, "minimum", "maximum"):
                    problems.append(f"{path}: {path} needs minimum and maximum")
        if "array" in types and "." not in path:
            if not _bounded(prop, defs, "maxItems", None):
                problems.append(f"{path}: array without maxItems")
    assert not problems, f"{name}: " + "; ".join(problems)


# MCP's defaults for absent hints; destructiveHint and idempotentHint mean something only when
# readOnlyHint is false. The server leaves out every hint that says what the default says.
HINT_DEFAULTS = {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": False, "openWorldHint": True}


def effective_hints(tool: dict[str, Any]) -> dict[str, bool]:
    """The hints of a tool as a client reads them."""
    ann = tool.get("annotations") or {}
    for hint, value in ann.items():
        assert hint == "title" or hint in HINT_DEFAULTS, f"{tool['name']}: unknown annotation {hint}"
        assert hint == "title" or isinstance(value, bool), f"{tool['name']}: {hint}={value!r}"
    hints = {hint: ann.get(hint, default) for hint, default in HINT_DEFAULTS.items()}
    if hints["readOnlyHint"]:
        assert "destructiveHint" not in ann and "idempotentHint" not in ann, (
            f"{tool['name']}: destructive/idempotent hints mean nothing on a read-only tool: {ann}"
        )
        hints["destructiveHint"] = hints["idempotentHint"] = False
    return hints


@pytest.mark.parametrize("name", DEFAULT_TOOLS)
def test_annotations_are_present_and_honest(default_tools, name):
    tool = by_name(default_tools).get(name)
    assert tool is not None, f"tool {name} is missing"
    ann = tool.get("annotations") or {}
    for hint, default in HINT_DEFAULTS.items():
        assert ann.get(hint) != default, f"{name}: {hint}={default} is MCP's default, sent for nothing"
    hints = effective_hints(tool)
    assert hints["readOnlyHint"] == (name in READ_ONLY_TOOLS), f"{name}: readOnlyHint={hints['readOnlyHint']}"
    assert hints["openWorldHint"] is True, f"{name}: every tool talks to Spotify, openWorldHint must be true"
    if name in DESTRUCTIVE_TOOLS:
        assert hints["destructiveHint"] is True, f"{name}: removes or overwrites data, destructiveHint must be true"
    if name in ADDITIVE_TOOLS:
        assert hints["destructiveHint"] is False, f"{name}: only adds, destructiveHint must be false"
    if name in NON_IDEMPOTENT_TOOLS:
        assert hints["idempotentHint"] is False, f"{name}: repeating it changes things again"
    if name in IDEMPOTENT_WRITES:
        assert hints["idempotentHint"] is True, f"{name}: repeating it leaves the same state"


@pytest.mark.parametrize("name", DEFAULT_TOOLS)
def test_output_schema_is_a_compact_object_schema(default_tools, name):
    tool = by_name(default_tools).get(name)
    assert tool is not None, f"tool {name} is missing"
    out = tool.get("outputSchema")
    assert out is not None, f"{name}: no outputSchema"
    assert out.get("type") == "object", f"{name}: outputSchema must describe an object"
    jsonschema.Draft202012Validator.check_schema(out)
    text = compact_json(out)
    assert "available_markets" not in text, f"{name}: output schema exposes available_markets"


def test_whole_tools_list_fits_in_20_kb(sandbox_server):
    import anyio

    async def measure() -> int:
        async with mcp_http(sandbox_server.mcp_url) as client:
            page = await client.list_tools()
            assert page.next_cursor is None, "the default tool list should fit in one page"
            return len(compact_json(page.model_dump(mode="json", by_alias=True, exclude_none=True)).encode())

    size = anyio.run(measure)
    assert size <= TOOLS_LIST_MAX_BYTES, f"tools/list is {size} bytes, budget {TOOLS_LIST_MAX_BYTES}"


# --- --toolsets and --read-only ---------------------------------------------------------------


async def _names(url: str) -> set[str]:
    return {t["name"] for t in await list_tools_json(url)}


@pytest.mark.parametrize(
    "selection",
    [["playback"], ["search", "catalog"], ["library", "playlists", "profile"], ["composite"]],
)
async def test_toolsets_flag_selects_exactly_those_toolsets(launcher, selection):
    server = launcher.http_server("--toolsets", ",".join(selection), name=f"toolsets-{'-'.join(selection)}")
    expected = {t for s in selection for t in TOOLSETS[s]}
    try:
        names = await _names(server.mcp_url)
        if "get_profile" not in expected:
            await _refused(server.mcp_url, "get_profile", {})
    finally:
        server.stop()
    assert names == expected, f"missing {sorted(expected - names)}, extra {sorted(names - expected)}"


async def test_toolsets_from_environment(launcher):
    server = launcher.http_server(name="toolsets-env", env={"SPOTIFY_MCP_TOOLSETS": "profile,search"})
    try:
        names = await _names(server.mcp_url)
    finally:
        server.stop()
    assert names == set(TOOLSETS["profile"] + TOOLSETS["search"])


async def _refused(url: str, name: str, args: dict) -> None:
    """Calling a tool the configuration hides must fail, not run it."""
    from mcp import MCPError

    async with mcp_http(url) as client:
        try:
            result = await client.call_tool(name, args)
        except MCPError as e:
            assert name in str(e) or "not found" in str(e).lower() or "unknown" in str(e).lower(), str(e)
            return
        assert result.is_error, f"hidden tool {name} ran: {result}"


async def test_read_only_keeps_only_read_only_tools(launcher):
    server = launcher.http_server("--read-only", name="read-only")
    try:
        tools = await list_tools_json(server.mcp_url)
        await _refused(server.mcp_url, "pause", {})
        await _refused(server.mcp_url, "create_playlist", {"name": "should not exist"})
    finally:
        server.stop()
    names = {t["name"] for t in tools}
    assert names == READ_ONLY_TOOLS, f"missing {sorted(READ_ONLY_TOOLS - names)}, extra {sorted(names - READ_ONLY_TOOLS)}"
    assert all(effective_hints(t)["readOnlyHint"] is True for t in tools)


async def test_read_only_combines_with_toolsets(launcher):
    server = launcher.http_server("--toolsets", "playback", name="read-only-playback", env={"SPOTIFY_MCP_READ_ONLY": "true"})
    try:
        names = await _names(server.mcp_url)
    finally:
        server.stop()
    assert names == set(TOOLSETS["playback"]) & READ_ONLY_TOOLS


async def test_extended_toolset_is_opt_in_and_covers_the_extended_surface(launcher):
    server = launcher.http_server("--toolsets", "extended", name="extended")
    try:
        tools = await list_tools_json(server.mcp_url)
    finally:
        server.stop()
    names = {t["name"] for t in tools}
    assert names, "the extended toolset exposes no tool"
    assert names == OPT_IN_TOOLS, f"missing {sorted(OPT_IN_TOOLS - names)}, extra {sorted(names - OPT_IN_TOOLS)}"
    assert not names & set(DEFAULT_TOOLS), f"default tools leaked into extended: {names & set(DEFAULT_TOOLS)}"
    joined = " ".join(sorted(names))
    missing = [k for k in EXTENDED_KEYWORDS if k not in joined]
    assert not missing, f"extended toolset lacks tools for {missing}: {sorted(names)}"
    for t in tools:
        assert t.get("outputSchema", {}).get("type") == "object", f"{t['name']}: no object outputSchema"
        assert effective_hints(t)["readOnlyHint"] is True, f"{t['name']}: extended endpoints only read"


def test_unknown_toolset_is_a_clear_startup_error(binary, tmp_path):
    import subprocess

    from harness import clean_env, free_port

    r = subprocess.run(
        [str(binary), "--sandbox", "--port", str(free_port()), "--toolsets", "playback,podcasts"],
        env=clean_env(None, tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode != 0
    assert "podcasts" in r.stderr, r.stderr
