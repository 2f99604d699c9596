"""The official MCP conformance suite (npm `@modelcontextprotocol/conformance`, pinned in
scripts/mcp-clients.sh, run with Node 22 from npm) against `spotify-mcp-server --sandbox` over
streamable HTTP.

Every server scenario of the pinned version is accounted for: each one that applies to a real
server must pass (all of its checks SUCCESS), and each one that only exercises the suite's own
fixture server (tools, prompts and resources named `test_*` / `test://…` that a Spotify server
does not have) is listed in FIXTURE_ONLY with the reason. A scenario the pinned version adds
fails `test_every_scenario_is_accounted_for` until it is classified here.

The pinned stable version has no scenario of protocol 2026-07-28. Its pre-release, pinned beside
it, runs what 2026-07-28 requires (`--requirements 2026-07-28`): the second half of this file
accounts for each of those scenarios the same way, plus the ones the suite itself does not score
for that revision (the tasks extension and pending scenarios)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from node_clients import client_paths, run_node

APPLICABLE = [
    "server-initialize",
    "logging-set-level",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "server-sse-polling",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
]

_TOOL = "calls the suite's fixture tool `{}`; this server has Spotify tools only (-32602 unknown tool)"
_PROMPT = "gets the suite's fixture prompt `{}`; this server's prompts are dj_set, curate_playlist, explain_my_taste"
_RESOURCE = "reads the suite's fixture resource `{}`; this server's resources are spotify:// URIs"
FIXTURE_ONLY: dict[str, str] = {
    "completion-complete": "completes an argument of the fixture prompt `test_prompt_with_arguments`: "
    "the server answers -32602 for an unknown prompt, as the spec says; completions of the real prompts "
    "and templates are tested in test_logging_completion.py",
    "tools-call-simple-text": _TOOL.format("test_simple_text"),
    "tools-call-image": _TOOL.format("test_image_content"),
    "tools-call-audio": _TOOL.format("test_audio_content"),
    "tools-call-embedded-resource": _TOOL.format("test_embedded_resource"),
    "tools-call-mixed-content": _TOOL.format("test_multiple_content_types"),
    "tools-call-with-logging": _TOOL.format("test_tool_with_logging"),
    "tools-call-error": _TOOL.format("test_error_handling"),
    "tools-call-with-progress": _TOOL.format("test_tool_with_progress"),
    "tools-call-sampling": _TOOL.format("test_sampling"),
    "tools-call-elicitation": _TOOL.format("test_elicitation"),
    "json-schema-2020-12": _TOOL.format("json_schema_2020_12_tool"),
    "elicitation-sep1034-defaults": _TOOL.format("test_elicitation_sep1034_defaults"),
    "elicitation-sep1330-enums": _TOOL.format("test_elicitation_sep1330_enums"),
    "resources-read-text": _RESOURCE.format("test://static-text"),
    "resources-read-binary": _RESOURCE.format("test://static-binary"),
    "resources-templates-read": _RESOURCE.format("test://template/{id}/data"),
    # Subscriptions are implemented (test_subscriptions.py); one to an unknown URI is refused.
    "resources-subscribe": "subscribes to the fixture resource `test://watched-resource`",
    "resources-unsubscribe": "unsubscribes from the fixture resource `test://watched-resource`",
    "prompts-get-simple": _PROMPT.format("test_simple_prompt"),
    "prompts-get-with-args": _PROMPT.format("test_prompt_with_arguments"),
    "prompts-get-embedded-resource": _PROMPT.format("test_prompt_with_embedded_resource"),
    "prompts-get-with-image": _PROMPT.format("test_prompt_with_image"),
}


def conformance(
    *args: str, cwd: Path, timeout: float = 120, suite: str = "SPOTIFY_MCP_CONFORMANCE"
) -> subprocess.CompletedProcess[str]:
    """`node22 <suite's CLI> ARGS`; `suite` names the export of scripts/mcp-clients.sh (the
    stable suite, or SPOTIFY_MCP_CONFORMANCE_NEXT for the pre-release)."""
    c = client_paths(suite)
    return run_node(c[suite], *args, env=dict(os.environ), cwd=cwd, timeout=timeout)


def checks_by_scenario(out: Path) -> dict[str, list[dict]]:
    """The checks of a run written to `out`, by scenario (its result directories are named
    `server-<scenario>-<timestamp>`)."""
    ran: dict[str, list[dict]] = {}
    for result in out.glob("server-*/checks.json"):
        name = re.sub(r"^server-(.*)-\d{4}-\d\d-\d\dT.*$", r"\1", result.parent.name)
        ran.setdefault(name, []).extend(json.loads(result.read_text()))
    return ran


def server_scenarios(tmp_path: Path) -> list[str]:
    out = conformance("list", "--server", cwd=tmp_path).stdout
    # "  - server-initialize [2025-06-18,2025-11-25]", one per line under a heading.
    return re.findall(r"^\s+- ([a-z0-9][a-z0-9-]*)", out, flags=re.MULTILINE)


def test_every_scenario_is_accounted_for(tmp_path):
    listed = set(server_scenarios(tmp_path))
    assert listed, "the conformance suite listed no server scenarios"
    known = set(APPLICABLE) | set(FIXTURE_ONLY)
    assert not listed - known, f"unclassified scenarios of the pinned suite: {sorted(listed - known)}"
    assert not known - listed, f"scenarios this test names that the suite does not have: {sorted(known - listed)}"


@pytest.mark.parametrize("scenario", APPLICABLE)
def test_scenario_passes(sandbox_server, scenario, tmp_path):
    run = conformance(
        "server", "--url", sandbox_server.mcp_url, "--scenario", scenario, "-o", str(tmp_path), cwd=tmp_path
    )
    results = list(tmp_path.glob("**/checks.json"))
    assert results, f"{scenario}: no checks.json (exit {run.returncode})\n{run.stdout}\n{run.stderr}"
    checks = [c for r in results for c in json.loads(r.read_text())]
    # SUCCESS, FAILURE, WARNING (a SHOULD not met) or INFO (a trace of the exchange).
    failed = [c for c in checks if c.get("status") == "FAILURE"]
    assert any(c.get("status") == "SUCCESS" for c in checks) and not failed, (
        f"{scenario}: {len(failed)} of {len(checks)} checks failed: " + json.dumps(failed, indent=1)[:4000]
    )
    for c in checks:
        if c.get("status") == "WARNING":
            print(f"{scenario}: WARNING {c.get('id')}: {c.get('errorMessage') or c.get('description')}")
    assert run.returncode == 0, f"{scenario}: exit {run.returncode}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"


# FIXTURE_ONLY scenarios the pinned suite leaves out of its default ("active") run.
NOT_IN_ACTIVE_SUITE = {"json-schema-2020-12"}


def test_fixture_scenarios_fail_only_for_want_of_the_fixture(sandbox_server, tmp_path):
    """Run the whole active suite once: each FIXTURE_ONLY scenario may fail only because the
    fixture it names is not here (a clear -32602/-32002 naming it), never for anything else."""
    conformance("server", "--url", sandbox_server.mcp_url, "-o", str(tmp_path), cwd=tmp_path)
    ran = checks_by_scenario(tmp_path)
    missing = set(FIXTURE_ONLY) - set(ran) - NOT_IN_ACTIVE_SUITE
    assert not missing, f"fixture scenarios that did not run: {sorted(missing)} (ran {sorted(ran)})"
    for scenario in set(FIXTURE_ONLY) & set(ran):
        for check in ran[scenario]:
            if check.get("status") != "FAILURE":
                continue
            message = check.get("errorMessage") or ""
            assert re.search(r"MCP error -32(602|002): .*(`test_|'test_|`test://)", message), (
                f"{scenario} failed for another reason than its fixture: {message}"
            )


# ---------------------------------------------------------------------------------------------
# 2026-07-28: the pinned stable suite has no scenario of that revision; its pre-release
# (SPOTIFY_MCP_CONFORMANCE_NEXT, pinned beside it) runs exactly what 2026-07-28 requires
# (`--requirements 2026-07-28`, about 5 s), and every scenario of that run is accounted for here.

APPLICABLE_2026 = [
    "server-stateless",
    "tools-list",
    "resources-list",
    "prompts-list",
    "sep-2164-resource-not-found",
    "caching",
    "http-header-validation",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
    "input-required-result-unsupported-methods",
]

_INPUT = "calls the suite's fixture `{}`, which answers with an input_required result"
FIXTURE_ONLY_2026: dict[str, str] = {
    "completion-complete": FIXTURE_ONLY["completion-complete"],
    "tools-call-simple-text": FIXTURE_ONLY["tools-call-simple-text"],
    "tools-call-image": FIXTURE_ONLY["tools-call-image"],
    "tools-call-audio": FIXTURE_ONLY["tools-call-audio"],
    "tools-call-embedded-resource": FIXTURE_ONLY["tools-call-embedded-resource"],
    "tools-call-mixed-content": FIXTURE_ONLY["tools-call-mixed-content"],
    "tools-call-error": FIXTURE_ONLY["tools-call-error"],
    "tools-call-with-progress": FIXTURE_ONLY["tools-call-with-progress"],
    "resources-read-text": FIXTURE_ONLY["resources-read-text"],
    "resources-read-binary": FIXTURE_ONLY["resources-read-binary"],
    "resources-templates-read": FIXTURE_ONLY["resources-templates-read"],
    "prompts-get-simple": FIXTURE_ONLY["prompts-get-simple"],
    "prompts-get-with-args": FIXTURE_ONLY["prompts-get-with-args"],
    "prompts-get-embedded-resource": FIXTURE_ONLY["prompts-get-embedded-resource"],
    "prompts-get-with-image": FIXTURE_ONLY["prompts-get-with-image"],
    # This server's own input_required results (the confirmations of destructive tools) are
    # tested in test_confirmations.py and test_inspector_connections.py.
    "input-required-result-basic-elicitation": _INPUT.format("test_input_required_result_elicitation"),
    "input-required-result-basic-sampling": _INPUT.format("test_input_required_result_sampling"),
    "input-required-result-basic-list-roots": _INPUT.format("test_input_required_result_list_roots"),
    "input-required-result-request-state": _INPUT.format("test_input_required_result_request_state"),
    "input-required-result-multiple-input-requests": _INPUT.format("test_input_required_result_multiple_inputs"),
    "input-required-result-multi-round": _INPUT.format("test_input_required_result_multi_round"),
    "input-required-result-missing-input-response": _INPUT.format("test_input_required_result_elicitation"),
    "input-required-result-non-tool-request": _INPUT.format("test_input_required_result_prompt"),
    "input-required-result-result-type": _INPUT.format("test_input_required_result_elicitation"),
    "input-required-result-tampered-state": _INPUT.format("test_input_required_result_request_state"),
    "input-required-result-capability-check": _INPUT.format("test_input_required_result_capabilities"),
    "input-required-result-ignore-extra-params": _INPUT.format("test_input_required_result_elicitation"),
    "input-required-result-validate-input": _INPUT.format("test_input_required_result_elicitation"),
}

_TASKS = "the tasks extension (SEP-2663), which this server does not offer; its fixture tools are slow_compute, greet, failing_job"
# Run by --requirements but, in the suite's own words, "not scored for 2026-07-28".
NOT_SCORED_2026: dict[str, str] = {
    **{
        f"tasks-{name}": _TASKS
        for name in (
            "lifecycle",
            "capability-negotiation",
            "wire-fields",
            "request-state-removal",
            "mrtr-input",
            "request-headers",
            "dispatch-and-envelope",
            "status-notifications",
            "required-task-error",
            "mrtr-composition",
        )
    },
    "json-schema-2020-12": "pending in the suite; " + FIXTURE_ONLY["json-schema-2020-12"],
    "http-custom-header-server-validation": "pending in the suite; needs a tool whose input schema routes an "
    "argument into an Mcp-Param header (x-mcp-header), and no Spotify tool has a reason to",
}

# A fixture-only scenario may fail only where it reaches for its fixture: an error naming it
# (`test_…`, `test://…`), a check the suite itself calls "Not testable" without it, or a later
# step of the same scenario that needed the fixture's input_required result.
_FOR_WANT_OF_THE_FIXTURE = re.compile(
    r"[`'](test_|test://)|^Not testable: |^Prerequisite failed: |^Expected InputRequiredResult with"
)


@pytest.fixture(scope="module")
def run_2026(sandbox_server, tmp_path_factory):
    out = tmp_path_factory.mktemp("conformance-2026")
    run = conformance(
        *("server", "--url", sandbox_server.mcp_url, "--requirements", "2026-07-28", "-o", str(out)),
        cwd=out,
        timeout=300,
        suite="SPOTIFY_MCP_CONFORMANCE_NEXT",
    )
    checks = checks_by_scenario(out)
    assert checks, f"the 2026-07-28 run wrote no results (exit {run.returncode})\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run, checks


def test_2026_every_scenario_is_accounted_for(run_2026):
    run, checks = run_2026
    known = set(APPLICABLE_2026) | set(FIXTURE_ONLY_2026) | set(NOT_SCORED_2026)
    assert not set(checks) - known, f"unclassified 2026-07-28 scenarios: {sorted(set(checks) - known)}"
    assert not known - set(checks), f"classified but not run: {sorted(known - set(checks))}"
    # The suite says itself which ones do not count towards 2026-07-28.
    not_scored = run.stdout.split("Not scored for 2026-07-28", 1)[-1]
    for name in NOT_SCORED_2026:
        assert re.search(rf"^\s+\S+ {re.escape(name)} \(", not_scored, re.MULTILINE), (
            f"{name} is not among the suite's 'Not scored for 2026-07-28':\n{not_scored[:2000]}"
        )


@pytest.mark.parametrize("scenario", APPLICABLE_2026)
def test_2026_scenario_passes(run_2026, scenario):
    """Every check succeeds, except those the suite marks "Not testable" for want of one of its
    diagnostic fixture tools (server-stateless probes four); no WARNING either."""
    checks = run_2026[1][scenario]
    assert any(c.get("status") == "SUCCESS" for c in checks), checks
    for c in checks:
        message = c.get("errorMessage") or ""
        if c.get("status") == "FAILURE":
            assert re.match(r"Not testable: .*'test_\w+'", message), f"{scenario}: {c.get('id')}: {message}"
            print(f"{scenario}: not testable here: {c.get('id')}: {message[:160]}")
        assert c.get("status") != "WARNING", f"{scenario}: WARNING {c.get('id')}: {message}"


def test_2026_fixture_scenarios_fail_only_for_want_of_the_fixture(run_2026):
    """Each FAILURE of a fixture-only scenario is for want of its fixture. A WARNING there (a
    SHOULD the fixture tool would have shown, e.g. re-requesting a missing input) is printed."""
    checks = run_2026[1]
    for scenario in FIXTURE_ONLY_2026:
        for c in checks[scenario]:
            message = c.get("errorMessage") or ""
            if c.get("status") == "FAILURE":
                assert _FOR_WANT_OF_THE_FIXTURE.search(message), (
                    f"{scenario} ({c.get('id')}) failed for another reason than its fixture: {message}"
                )
            elif c.get("status") == "WARNING":
                print(f"{scenario}: WARNING without its fixture: {c.get('id')}: {message[:160]}")
