"""Coverage of Spotify's current Web API through the default tools, measured by what the real
server actually requested from a recording sandbox, and the README table generated from it."""

from __future__ import annotations

import pytest

from harness import REPO_ROOT
from surface import DEFAULT_TOOLS
from tour import coverage, load_operations, readme_table, render_table


@pytest.fixture(scope="module")
def ops(openapi_file):
    ops = load_operations(openapi_file)
    current = [o for o in ops if not o.deprecated]
    assert len(current) == 49, f"the OpenAPI definition should have 49 current operations, has {len(current)}"
    return ops


def test_tour_called_every_tool_successfully(tour):
    assert not tour.failures, "tool calls failed during the tour:\n" + "\n".join(tour.failures)


def test_every_current_operation_is_requested_by_a_default_tool(tour, ops):
    observed = tour.observed
    default = [o for o in observed if o.tool in DEFAULT_TOOLS]
    table, _ = coverage(default, ops)
    missing = [o.endpoint for o in ops if not o.deprecated and o not in table]
    assert not missing, f"{len(missing)} current operations are reached by no default tool: {missing}"


def test_default_tools_only_use_current_endpoints(tour, ops):
    observed = tour.observed
    default = [o for o in observed if o.tool in DEFAULT_TOOLS]
    table, unknown = coverage(default, ops)
    assert not unknown, "requests matching no operation: " + ", ".join(f"{e['method']} {e['path']}" for e in unknown[:10])
    removed = {op.endpoint: sorted(tools) for op, tools in table.items() if op.deprecated}
    assert not removed, f"default tools call endpoints Spotify removed or restricted: {removed}"


def test_extended_tools_use_the_extended_endpoints(tour, ops):
    observed = tour.observed
    extended = [o for o in observed if o.tool not in DEFAULT_TOOLS]
    assert extended, "no extended tool made a request"
    table, unknown = coverage(extended, ops)
    assert not unknown, "requests matching no operation: " + ", ".join(f"{e['method']} {e['path']}" for e in unknown[:10])
    hit = {op.path for op in table}
    for needle in ("/recommendations", "/audio-features", "/related-artists", "/top-tracks", "/browse/new-releases", "/browse/categories", "/markets"):
        assert any(needle in p for p in hit), f"no extended tool requests {needle}: {sorted(hit)}"


def test_readme_coverage_table_is_current(tour, ops):
    observed = tour.observed
    table, _ = coverage(observed, ops)
    generated = render_table(table, ops, set(DEFAULT_TOOLS))
    readme = REPO_ROOT / "README.md"
    assert readme.is_file(), "README.md is missing"
    current = readme_table(readme)
    assert current is not None, "README.md lacks the <!-- coverage:start --> / <!-- coverage:end --> markers"
    assert current == generated, (
        "README coverage table is out of date; regenerate with `scripts/generate.sh`\n" + generated
    )
