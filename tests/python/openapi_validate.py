"""Validation of Web API exchanges against Spotify's OpenAPI definition (spotify-openapi.yml).

A small reusable module, shared by the sandbox's own faithfulness test and the end-to-end
suite: load the definition once with `load_spec(path)`, then check recorded exchanges

    match_operation(spec, method, path)            -> Operation | None
    validate_request(spec, method, path, query, request_body)   -> [problem, ...]
    validate_response(spec, method, path, status, response_body) -> [problem, ...]
    validate_exchange(spec, exchange)              -> [problem, ...]   (both of the above)
    deprecated_fields(spec, method, path, status, response_body) -> [json path, ...]

`path` may carry the `/v1` prefix. `query` is the raw query string (or a mapping). Bodies are
decoded JSON (`None` for an empty body). Schemas are OpenAPI 3.0: `nullable` is translated to
JSON Schema before validating with `jsonschema` (Draft 7); `$ref`s resolve inside the document.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl

import jsonschema
import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "patch")

# Answers Spotify gives that the definition does not list, each with Spotify's own wording.
# GET /me/player/currently-playing: "204 No Content when nothing is playing" (as /me/player).
UNDOCUMENTED_EMPTY = {("GET", "/me/player/currently-playing", 204)}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}, "reason": {"type": "string"}},
        }
    },
}


def default_spec_path(repo_root: Path | None = None) -> Path:
    """$SPOTIFY_OPENAPI, else `../shared/spotify-openapi.yml` relative to the repository root."""
    env = os.environ.get("SPOTIFY_OPENAPI")
    if env:
        return Path(env)
    root = repo_root or Path(__file__).resolve().parents[2]
    return (root / ".." / "shared" / "spotify-openapi.yml").resolve()


def _nullable_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` -> JSON Schema `null` alternatives, recursively."""
    if isinstance(node, list):
        return [_nullable_to_jsonschema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_to_jsonschema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        if "type" in out and not any(k in out for k in ("allOf", "oneOf", "anyOf", "$ref")):
            t = out["type"]
            out["type"] = list(t) + ["null"] if isinstance(t, list) else [t, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = list(out["enum"]) + [None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # template relative to /v1
    operation_id: str
    deprecated: bool
    regex: re.Pattern[str] = field(compare=False, hash=False, repr=False)
    raw: dict[str, Any] = field(compare=False, hash=False, repr=False, default_factory=dict)


@dataclass
class Spec:
    doc: dict[str, Any]
    operations: list[Operation]
    components: dict[str, Any]  # nullable-translated components, the root of every $ref
    path_params: dict[str, list[dict[str, Any]]]

    def current(self) -> list[Operation]:
        return [o for o in self.operations if not o.deprecated]

    def deprecated(self) -> list[Operation]:
        return [o for o in self.operations if o.deprecated]


def load_spec(path: str | os.PathLike[str] | None = None) -> Spec:
    """Parses the definition and compiles a matcher per operation."""
    p = Path(path) if path is not None else default_spec_path()
    doc = yaml.safe_load(p.read_text())
    ops: list[Operation] = []
    path_params: dict[str, list[dict[str, Any]]] = {}
    for tpl, item in doc["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(tpl)) + "/?$"
        path_params[tpl] = item.get("parameters", [])
        for method, op in item.items():
            if method in HTTP_METHODS:
                ops.append(Operation(method.upper(), tpl, op.get("operationId", ""), bool(op.get("deprecated")), re.compile(pattern), op))
    return Spec(doc=doc, operations=ops, components=_nullable_to_jsonschema(doc.get("components", {})), path_params=path_params)


def _relative(path: str) -> str:
    path = path.split("?", 1)[0]
    return path[3:] if path.startswith("/v1/") else path


def match_operation(spec: Spec, method: str, path: str) -> Operation | None:
    """The operation of a concrete request; literal segments win over templated ones."""
    rel = _relative(path)
    hits = [o for o in spec.operations if o.method == method.upper() and o.regex.match(rel)]
    if not hits:
        return None
    return min(hits, key=lambda o: o.path.count("{"))


def _resolve(spec: Spec, node: Any) -> Any:
    """Follows `$ref`s of the raw document (parameters, responses, request bodies, schemas)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        target: Any = spec.doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
        seen += 1
    return node


def _schema_errors(spec: Spec, schema: dict[str, Any], instance: Any) -> list[str]:
    root = {"allOf": [_nullable_to_jsonschema(schema)], "components": spec.components}
    validator = jsonschema.Draft7Validator(root)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    out = []
    for e in errors[:20]:
        where = "/".join(str(x) for x in e.absolute_path) or "(body)"
        out.append(f"{where}: {e.message[:300]}")
    return out


def _parameters(spec: Spec, op: Operation) -> list[dict[str, Any]]:
    params = [_resolve(spec, p) for p in spec.path_params.get(op.path, [])]
    params += [_resolve(spec, p) for p in op.raw.get("parameters", [])]
    return params


def _query_pairs(query: str | Mapping[str, Any] | None) -> list[tuple[str, str]]:
    if query is None:
        return []
    if isinstance(query, str):
        return parse_qsl(query, keep_blank_values=True)
    pairs: list[tuple[str, str]] = []
    for k, v in query.items():
        for x in v if isinstance(v, (list, tuple)) else [v]:
            pairs.append((k, str(x).lower() if isinstance(x, bool) else str(x)))
    return pairs


def _check_scalar(name: str, raw: str, schema: dict[str, Any]) -> list[str]:
    t = schema.get("type")
    value: Any = raw
    if t == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            return [f"parameter {name}={raw!r} is not an integer"]
        value = int(raw)
    elif t == "number":
        try:
            value = float(raw)
        except ValueError:
            return [f"parameter {name}={raw!r} is not a number"]
    elif t == "boolean":
        if raw not in ("true", "false"):
            return [f"parameter {name}={raw!r} is not true or false"]
        value = raw == "true"
    problems = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"parameter {name}={raw!r} is not one of {schema['enum']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"parameter {name}={value} is below its minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"parameter {name}={value} is above its maximum {schema['maximum']}")
    return problems


def validate_request(spec: Spec, method: str, path: str, query: Any = None, request_body: Any = None) -> list[str]:
    """Path, method, query parameters (known, required, typed, bounded) and JSON body."""
    op = match_operation(spec, method, path)
    if op is None:
        return [f"{method.upper()} {_relative(path)} is not an operation of the definition"]
    problems: list[str] = []
    params = _parameters(spec, op)
    declared = {p["name"]: p for p in params if p.get("in") == "query"}
    pairs = _query_pairs(query)
    given: dict[str, list[str]] = {}
    for k, v in pairs:
        given.setdefault(k, []).append(v)
    for name in given:
        if name not in declared:
            problems.append(f"query parameter {name!r} is not declared for {op.method} {op.path}")
    for name, p in declared.items():
        if name not in given:
            if p.get("required"):
                problems.append(f"required query parameter {name!r} is missing")
            continue
        schema = p.get("schema", {})
        for raw in given[name]:
            if schema.get("type") == "array":
                items = schema.get("items", {})
                for part in raw.split(","):
                    problems += _check_scalar(name, part, items)
            else:
                problems += _check_scalar(name, raw, schema)
    # Path parameters: non-empty segments (their schemas are plain strings).
    rel = _relative(path)
    for tpl_seg, seg in zip(op.path.strip("/").split("/"), rel.strip("/").split("/")):
        if tpl_seg.startswith("{") and not seg:
            problems.append(f"path parameter {tpl_seg} is empty")
    body_spec = op.raw.get("requestBody")
    if body_spec is not None:
        body_spec = _resolve(spec, body_spec)
        content = body_spec.get("content", {})
        if request_body in (None, "", b""):
            if body_spec.get("required"):
                problems.append("the request body is required")
        elif "application/json" in content:
            schema = content["application/json"].get("schema", {})
            if isinstance(request_body, (dict, list)):
                problems += [f"request body {p}" for p in _schema_errors(spec, schema, request_body)]
            else:
                problems.append("the request body is not JSON")
    elif request_body not in (None, "", b"", {}):
        problems.append(f"{op.method} {op.path} takes no request body")
    return problems


def _response_schema(spec: Spec, op: Operation, status: int) -> tuple[bool, dict[str, Any] | None]:
    """(documented, JSON schema or None for a documented answer without content)."""
    responses = op.raw.get("responses", {})
    r = responses.get(str(status))
    if r is None:
        return False, None
    r = _resolve(spec, r)
    content = r.get("content") or {}
    if "application/json" in content:
        return True, content["application/json"].get("schema", {})
    return True, None


def validate_response(spec: Spec, method: str, path: str, status: int, response_body: Any) -> list[str]:
    """The body against the operation's response schema for `status`. Error statuses the
    operation does not list are checked against Spotify's error object."""
    op = match_operation(spec, method, path)
    if op is None:
        return [f"{method.upper()} {_relative(path)} is not an operation of the definition"]
    documented, schema = _response_schema(spec, op, int(status))
    empty = response_body in (None, "", b"")
    if not documented:
        if (op.method, op.path, int(status)) in UNDOCUMENTED_EMPTY and empty:
            return []
        if int(status) >= 400:
            return [f"error body {p}" for p in _schema_errors(spec, ERROR_SCHEMA, response_body)] if not empty else ["error without a body"]
        return [f"status {status} is not documented for {op.method} {op.path}"]
    if schema is None:
        return [] if empty else [f"status {status} of {op.method} {op.path} has no content, but the body is {str(response_body)[:120]!r}"]
    if empty:
        return [f"status {status} of {op.method} {op.path} needs a JSON body"]
    return _schema_errors(spec, schema, response_body)


def validate_exchange(spec: Spec, exchange: Mapping[str, Any]) -> list[str]:
    """Both sides of a recorded exchange (keys: method, path, query, request_body, status,
    response_body)."""
    m, p = exchange["method"], exchange["path"]
    return validate_request(spec, m, p, exchange.get("query"), exchange.get("request_body")) + validate_response(
        spec, m, p, exchange["status"], exchange.get("response_body")
    )


# --- deprecated (removed in 2026) fields ----------------------------------------------------


def _object_view(spec: Spec, schema: Any, instance: Any) -> tuple[dict[str, Any], set[str]]:
    """Properties and required names of a schema, merging allOf and picking the matching oneOf."""
    schema = _resolve(spec, schema)
    props: dict[str, Any] = {}
    required: set[str] = set()
    if not isinstance(schema, dict):
        return props, required
    for sub in schema.get("allOf", []):
        p, r = _object_view(spec, sub, instance)
        props.update(p)
        required |= r
    for key in ("oneOf", "anyOf"):
        if key in schema:
            for sub in schema[key]:
                if not _schema_errors(spec, _resolve(spec, sub), instance):
                    p, r = _object_view(spec, sub, instance)
                    props.update(p)
                    required |= r
                    break
    props.update(schema.get("properties", {}))
    required |= set(schema.get("required", []))
    return props, required


def _walk_deprecated(spec: Spec, schema: Any, instance: Any, where: str, out: list[str]) -> None:
    schema = _resolve(spec, schema)
    if isinstance(instance, list):
        items = schema.get("items") if isinstance(schema, dict) else None
        if items is None and isinstance(schema, dict):
            for sub in schema.get("allOf", []):
                sub = _resolve(spec, sub)
                items = items or (sub.get("items") if isinstance(sub, dict) else None)
        for i, x in enumerate(instance):
            if items is not None:
                _walk_deprecated(spec, items, x, f"{where}[{i}]", out)
        return
    if not isinstance(instance, dict):
        return
    props, required = _object_view(spec, schema, instance)
    for name, value in instance.items():
        ps = _resolve(spec, props.get(name))
        if ps is None:
            continue
        if isinstance(ps, dict) and ps.get("deprecated") and name not in required:
            out.append(f"{where}.{name}")
        _walk_deprecated(spec, ps, value, f"{where}.{name}", out)


def deprecated_fields(spec: Spec, method: str, path: str, status: int, response_body: Any) -> list[str]:
    """JSON paths of fields the definition marks deprecated (removed in 2024/2026) and does
    not require, present in a response body."""
    op = match_operation(spec, method, path)
    if op is None or response_body in (None, "", b""):
        return []
    documented, schema = _response_schema(spec, op, int(status))
    if not documented or schema is None:
        return []
    out: list[str] = []
    _walk_deprecated(spec, schema, response_body, "$", out)
    return out


def operations_of(spec: Spec, deprecated: bool | None = None) -> Iterable[Operation]:
    return [o for o in spec.operations if deprecated is None or o.deprecated == deprecated]
