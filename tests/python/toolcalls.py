"""Calling tools through the official SDK with strict checks on every answer."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from harness import result_text


class ToolCallFailed(AssertionError):
    pass


class Tools:
    """Wraps an SDK client: `ok` demands a successful, schema-valid, structured result; `err`
    demands an error (tool result with isError, or a JSON-RPC error) whose text says enough."""

    def __init__(self, client: Any, listed: list[Any]):
        self.client = client
        self.listed = {t.name: t for t in listed}
        self.calls: list[tuple[str, dict[str, Any], bool]] = []

    @classmethod
    async def connect(cls, client: Any) -> "Tools":
        tools: list[Any] = []
        cursor = None
        while True:
            page = await client.list_tools(cursor=cursor)
            tools += page.tools
            cursor = page.next_cursor
            if cursor is None:
                return cls(client, tools)

    def schema(self, name: str) -> dict[str, Any]:
        tool = self.listed.get(name)
        assert tool is not None, f"tool {name} is not listed by the server"
        return tool.output_schema or {}

    async def _call(self, name: str, args: dict[str, Any]) -> Any:
        return await self.client.call_tool(name, args)

    async def ok(self, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        args = args or {}
        assert name in self.listed, f"tool {name} is not listed by the server"
        result = await self._call(name, args)
        text = result_text(result)
        self.calls.append((name, args, not result.is_error))
        if result.is_error:
            raise ToolCallFailed(f"{name}({json.dumps(args)}) failed: {text}")
        sc = result.structured_content
        assert sc is not None, f"{name}: no structuredContent"
        jsonschema.validate(sc, self.schema(name))
        assert text.strip(), f"{name}: no text content alongside structuredContent"
        assert "available_markets" not in json.dumps(sc), f"{name}: raw Spotify JSON leaked (available_markets)"
        return sc

    async def err(self, name: str, args: dict[str, Any] | None = None, *needles: str) -> str:
        """The error text; every needle (case-insensitive; `a|b` = either) must appear in it."""
        from mcp import MCPError

        args = args or {}
        assert name in self.listed, f"tool {name} is not listed by the server"
        try:
            result = await self._call(name, args)
        except MCPError as e:
            # A JSON-RPC error is acceptable for arguments that violate the schema.
            assert e.code in (-32602, -32600), f"{name}: unexpected JSON-RPC error {e.code}: {e}"
            text = str(e)
            self.calls.append((name, args, False))
        else:
            text = result_text(result)
            self.calls.append((name, args, not result.is_error))
            assert result.is_error, f"{name}({json.dumps(args)}) should fail but returned: {text[:500]}"
        assert len(text) >= 15, f"{name}: error message too terse: {text!r}"
        low = text.lower()
        for needle in needles:
            options = [n.lower() for n in needle.split("|")]
            assert any(o in low for o in options), f"{name}: error {text!r} does not mention {needle!r}"
        assert "traceback" not in low and "panicked" not in low, f"{name}: error leaks internals: {text}"
        return text
