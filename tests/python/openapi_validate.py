"""Validation of Web API exchanges against Spotify's OpenAPI definition (spotify-openapi.yml).

A small reusable module, shared by the sandbox's own faithfulness test and the end-to-end
suite: load the definition once with `load_spec(path)`, then check recorded exchanges

    match_operation(spec, method, path)            -> Operation | None
    validate_request(spec, method, path, query, request_body)   -> [problem, ...]
    validate_response(spec, method, path, status, response_body) -> [problem, ...]
    validate_exchange(spec, exchange)              -> [problem, ...]   (both of the above)
    deprecated_fields(spec, method, path, status, response_body) -> [json path, ...]

`path` may carry the `/v1` prefix. `query` is the raw query string (or a mapping). Bodies are
decoded JSON (`None` for an empty body). Matching paths to operations, parsing parameters and
validating them and the bodies (OpenAPI 3.0, `nullable` included) is openapi-core's; this module
adds what the definition cannot say: query parameters it does not declare, bodies sent to
operations that take none, Spotify's error object for error statuses an operation does not list,
and fields marked deprecated.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import ImmutableMultiDict

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
HOST = "https://api.spotify.com"

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


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # template relative to /v1
    operation_id: str
    deprecated: bool
    raw: dict[str, Any] = field(compare=False, hash=False, repr=False, default_factory=dict)


@dataclass
class Spec:
    doc: dict[str, Any]
    operations: list[Operation]
    api: OpenAPI = field(repr=False)
    path_params: dict[str, list[dict[str, Any]]]
    by_key: dict[tuple[str, str], Operation] = field(repr=False, default_factory=dict)

    def current(self) -> list[Operation]:
        return [o for o in self.operations if not o.deprecated]

    def deprecated(self) -> list[Operation]:
        return [o for o in self.operations if o.deprecated]


def _property_enum(doc: dict[str, Any], schema: Any, name: str) -> list[Any]:
    """The `enum` of property `name` of a (possibly `allOf`-composed) schema of the document."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        target: Any = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema, seen = target, seen + 1
    if not isinstance(schema, dict):
        return []
    prop = schema.get("properties", {}).get(name)
    if isinstance(prop, dict) and prop.get("enum"):
        return list(prop["enum"])
    return [v for sub in schema.get("allOf", []) for v in _property_enum(doc, sub, name)]


def _map_discriminators(doc: dict[str, Any], node: Any) -> None:
    """Gives every `discriminator` without a `mapping` the one its `oneOf` implies. The definition
    leaves them implicit, which in OpenAPI 3.0 maps the property's value to a schema of that
    name (`episode` -> #/components/schemas/episode), and its schemas are named otherwise
    (EpisodeObject); the values are the enums of the property in each alternative."""
    if isinstance(node, list):
        for x in node:
            _map_discriminators(doc, x)
        return
    if not isinstance(node, dict):
        return
    disc = node.get("discriminator")
    if isinstance(disc, dict) and "mapping" not in disc and "oneOf" in node:
        mapping = {}
        for sub in node["oneOf"]:
            ref = sub.get("$ref") if isinstance(sub, dict) else None
            for value in _property_enum(doc, sub, disc["propertyName"]) if ref else []:
                mapping[str(value)] = ref
        if all(isinstance(sub, dict) and sub.get("$ref") in mapping.values() for sub in node["oneOf"]):
            disc["mapping"] = mapping
        else:  # cannot be told apart by the property: validate against the oneOf alone
            del node["discriminator"]
    for v in node.values():
        _map_discriminators(doc, v)


def _ascii(value: bytes, **_parameters: str) -> str:
    return value.decode("ascii", errors="replace")


def _is_base64(value: Any) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError, ValueError):
        return False
    return True


def load_spec(path: str | os.PathLike[str] | None = None) -> Spec:
    """Parses the definition (openapi-core checks it is a valid OpenAPI document)."""
    p = Path(path) if path is not None else default_spec_path()
    doc = yaml.safe_load(p.read_text())
    ops: list[Operation] = []
    path_params: dict[str, list[dict[str, Any]]] = {}
    for tpl, item in doc["paths"].items():
        path_params[tpl] = item.get("parameters", [])
        for method, op in item.items():
            if method in HTTP_METHODS:
                ops.append(Operation(method.upper(), tpl, op.get("operationId", ""), bool(op.get("deprecated")), op))
    _map_discriminators(doc, doc)
    # Cover images are sent as base64 text (the definition's schema is a string) with the
    # media type image/jpeg, whose bytes openapi-core would otherwise leave undecoded.
    # Their `format: base64` is not one openapi-core knows: checked here as base64 that decodes.
    config = Config(extra_media_type_deserializers={"image/jpeg": _ascii}, extra_format_validators={"base64": _is_base64})
    api = OpenAPI.from_dict(doc, config=config)
    return Spec(doc=doc, operations=ops, api=api, path_params=path_params, by_key={(o.method, o.path): o for o in ops})


def _relative(path: str) -> str:
    path = path.split("?", 1)[0]
    return path[3:] if path.startswith("/v1/") else path


def _absolute(path: str) -> str:
    return "/v1" + _relative(path)


def match_operation(spec: Spec, method: str, path: str) -> Operation | None:
    """The operation of a concrete request (openapi-core's path finder: literal segments win)."""
    try:
        found = APICallPathFinder(spec.api.spec).find(method.lower(), HOST + _absolute(path))
    except PathError:
        return None
    return spec.by_key.get((method.upper(), found.path_result.pattern))


def _schema_errors(spec: Spec, schema: dict[str, Any], instance: Any) -> list[str]:
    """OpenAPI 3.0 schema validation (openapi-schema-validator); `$ref`s resolve in the document."""
    root = {"allOf": [schema], "components": spec.doc.get("components", {})}
    errors = sorted(OAS30Validator(root).iter_errors(instance), key=lambda e: list(e.absolute_path))
    out = []
    for e in errors[:20]:
        where = "/".join(str(x) for x in e.absolute_path) or "(body)"
        out.append(f"{where}: {e.message[:300]}")
    return out


def _cause_errors(err: BaseException) -> list[str]:
    """The schema errors under an openapi-core error (its `schema_errors`, or its cause's), each
    with the JSON path it is at."""
    for e in (err, err.__cause__, err.__context__):
        errs = getattr(e, "schema_errors", None)
        if errs:
            out = []
            for se in sorted(errs, key=lambda x: list(x.absolute_path))[:20]:
                where = "/".join(str(x) for x in se.absolute_path)
                out.append(f"{where}: {se.message[:300]}" if where else se.message[:300])
            return out
    return []


def _describe(err: BaseException, what: str) -> list[str]:
    """An openapi-core error as specific problems: `what` was checked, the error's own words
    (e.g. "Invalid query parameter: limit"), then each schema error with where it is."""
    head = str(err)
    if not head or head == type(err).__name__ or "not valid for schema" in head:
        head = f"{what} ({type(err).__name__})"
    else:
        head = f"{what}: {head}"
    details = _cause_errors(err)
    if not details:
        cause = err.__cause__
        return [f"{head}: {cause}" if cause is not None and str(cause) and str(cause) not in head else head]
    return [f"{head}: {d}" for d in details]


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


def _resolve(spec: Spec, node: Any) -> Any:
    """Follows `$ref`s of the raw document (request bodies, responses, schemas)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        target: Any = spec.doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
        seen += 1
    return node


def _declared_query(spec: Spec, op: Operation) -> set[str]:
    params = [_resolve(spec, p) for p in spec.path_params.get(op.path, []) + op.raw.get("parameters", [])]
    return {p["name"] for p in params if p.get("in") == "query"}


def _request(method: str, path: str, query: Any, body: Any, content_type: str = "application/json") -> MockRequest:
    data = None if body in (None, "", b"") else body if isinstance(body, (str, bytes)) else json.dumps(body)
    if isinstance(data, str):
        data = data.encode()
    return MockRequest(HOST, method.lower(), _absolute(path), args=ImmutableMultiDict(_query_pairs(query)), data=data, content_type=content_type)


def _unmarshal_request(spec: Spec, request: MockRequest) -> list[BaseException]:
    with warnings.catch_warnings():  # the definition's OAuth2 scheme, which openapi-core does not check
        warnings.simplefilter("ignore", UserWarning)
        return list(spec.api.unmarshal_request(request).errors)


def validate_request(spec: Spec, method: str, path: str, query: Any = None, request_body: Any = None) -> list[str]:
    """Path, method, query parameters (known, required, typed, bounded) and JSON body."""
    op = match_operation(spec, method, path)
    if op is None:
        return [f"{method.upper()} {_relative(path)} is not an operation of the definition"]
    problems: list[str] = []
    declared = _declared_query(spec, op)
    for name in dict.fromkeys(k for k, _ in _query_pairs(query)):
        if name not in declared:
            problems.append(f"query parameter {name!r} is not declared for {op.method} {op.path}")
    if op.raw.get("requestBody") is None and request_body not in (None, "", b"", {}):
        problems.append(f"{op.method} {op.path} takes no request body")
        request_body = None
    # The body's media type: JSON where the operation takes it, else the one it lists (an image).
    content = (_resolve(spec, op.raw.get("requestBody")) or {}).get("content") or {"application/json": {}}
    content_type = "application/json" if "application/json" in content else next(iter(content))
    for err in _unmarshal_request(spec, _request(method, path, query, request_body, content_type)):
        problems += _describe(err, f"{op.method} {op.path}")
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
    request = _request(method, path, None, None)
    response = MockResponse(json.dumps(response_body).encode(), status_code=int(status))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        errors = spec.api.unmarshal_response(request, response).errors
    return [p for err in errors for p in _describe(err, f"{op.method} {op.path} {status} response body")]


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
