"""Checks schemathesis runs against the sandbox besides its own (loaded by `st run` through
SCHEMATHESIS_HOOKS=schemathesis_hooks; see test_sandbox_schemathesis.py).

`spotify_error_body`: every error answer of the Web API is Spotify's error object,
`{"error": {"status": <the HTTP status>, "message": "<non-empty text>"}}` as JSON, whatever
the definition lists for the operation (an undocumented status is still held to this shape).
"""

from __future__ import annotations

import json

import schemathesis


@schemathesis.check
def spotify_error_body(ctx, response, case) -> bool | None:
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if not content_type.startswith("application/json"):
        raise AssertionError(f"error answer {response.status_code} is {content_type or 'untyped'}, not Spotify's JSON error object")
    try:
        body = json.loads(response.content)
    except ValueError as e:
        raise AssertionError(f"error answer {response.status_code} is not JSON: {e}") from None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise AssertionError(f'error answer {response.status_code} lacks the {{"error": {{...}}}} wrapper: {str(body)[:200]}')
    if error.get("status") != response.status_code:
        raise AssertionError(f"error.status is {error.get('status')!r}, the HTTP status is {response.status_code}")
    if not isinstance(error.get("message"), str) or not error["message"].strip():
        raise AssertionError(f"error.message is missing or empty: {error!r}")
    return True


# Operations whose `fields` query parameter filters the answer down to the fields asked for
# (Spotify's "fields" syntax): a filtered answer is partial by design, so the definition's full
# response schema cannot hold for it. test_sandbox_schemathesis.EXCEPTIONS turns the built-in
# response_schema_conformance off for these operations only, and this check runs it instead
# whenever no `fields` filter was sent.
FILTERED_BY_FIELDS = {"get-playlist", "get-playlists-items", "get-playlists-tracks"}


@schemathesis.check
def response_schema_unless_filtered(ctx, response, case) -> bool | None:
    from schemathesis.specs.openapi.checks import response_schema_conformance

    operation_id = (case.operation.definition.raw or {}).get("operationId")
    if operation_id not in FILTERED_BY_FIELDS or (case.query or {}).get("fields") is not None:
        return None
    return response_schema_conformance(ctx, response, case)
