"""Faithfulness to Spotify's definition, not to our own belief: every request the server sent
during the tour must match its operation's path, method and parameters in
spotify-openapi.yml, and every response it consumed must match that operation's response
schema. Validation is openapi_validate.py's (shared with the sandbox's own tests)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def validator(openapi_file):
    import openapi_validate

    return openapi_validate, openapi_validate.load_spec(openapi_file)


def _exchanges(tour):
    seen = []
    for o in tour.observed:
        seen.append((o.tool, o.exchange))
    assert len(seen) >= 49, f"the tour recorded only {len(seen)} Web API exchanges"
    return seen


def test_every_request_matches_its_operation(tour, validator):
    mod, spec = validator
    problems = []
    for tool, ex in _exchanges(tour):
        op = mod.match_operation(spec, ex["method"], ex["path"])
        if op is None:
            problems.append(f"{tool}: {ex['method']} {ex['path']}: no such operation")
            continue
        for p in mod.validate_request(spec, ex["method"], ex["path"], ex.get("query"), ex.get("request_body")):
            problems.append(f"{tool}: {ex['method']} {ex['path']}?{ex.get('query') or ''}: {p}")
    assert not problems, f"{len(problems)} requests do not match the definition:\n" + "\n".join(problems[:40])


def test_every_consumed_response_matches_its_schema(tour, validator):
    mod, spec = validator
    problems = []
    checked = 0
    for tool, ex in _exchanges(tour):
        if mod.match_operation(spec, ex["method"], ex["path"]) is None:
            continue
        checked += 1
        for p in mod.validate_response(spec, ex["method"], ex["path"], ex["status"], ex.get("response_body")):
            problems.append(f"{tool}: {ex['method']} {ex['path']} -> {ex['status']}: {p}")
    assert checked >= 49
    assert not problems, f"{len(problems)} responses do not match the definition:\n" + "\n".join(problems[:40])
