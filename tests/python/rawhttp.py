"""Raw JSON-RPC over HTTP, for the transport behaviours an SDK client hides (bad Host, bad
Origin, missing token, malformed bodies)."""

from __future__ import annotations

import json
from typing import Any

import httpx

ACCEPT = "application/json, text/event-stream"


def initialize_body(request_id: int = 1, version: str = "2025-11-25") -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "spotify-mcp-e2e", "version": "0"},
        },
    }


def post(url: str, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None) -> httpx.Response:
    h = {"Content-Type": "application/json", "Accept": ACCEPT}
    h.update(headers or {})
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.post(url, content=content, headers=h, timeout=10)


def messages(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON-RPC messages of a response, whether plain JSON or an SSE stream."""
    ctype = response.headers.get("content-type", "")
    if ctype.startswith("text/event-stream"):
        out = []
        for event in response.text.split("\n\n"):
            data = "\n".join(line[5:].lstrip() for line in event.splitlines() if line.startswith("data:"))
            if data.strip():
                out.append(json.loads(data))
        return out
    if ctype.startswith("application/json"):
        body = response.json()
        return body if isinstance(body, list) else [body]
    return []


def jsonrpc_error(response: httpx.Response) -> dict[str, Any] | None:
    """The `error` object of the first JSON-RPC error message, if any."""
    for m in messages(response):
        if isinstance(m, dict) and "error" in m:
            return m["error"]
    return None
