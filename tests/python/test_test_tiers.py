"""scripts/test.sh's tiers, checked through its dry run (the plan it prints, nothing run)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness import REPO_ROOT

TIERS = ["unit", "e2e", "charts", "node"]


def plan(*args: str, root: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SPOTIFY_MCP_TEST_PYTHON"}
    return subprocess.run(["bash", str(root / "scripts" / "test.sh"), "--dry-run", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)


def tiers_of(out: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            current = line[:-1].removeprefix("tier ")
            found[current] = []
        elif line.startswith("  + ") and current:
            found[current].append(line[4:])
    return found


def test_ci_runs_the_default_which_is_all():
    assert (REPO_ROOT / ".ci" / "run").read_text().rstrip().splitlines()[-1] == "exec ./scripts/test.sh"
    default, every = plan(), plan("all")
    assert default.returncode == 0, default.stderr
    assert every.returncode == 0 and default.stdout == every.stdout
    tiers = tiers_of(default.stdout)
    assert list(tiers) == ["provision", *TIERS, "teardown"], list(tiers)


def test_each_tier_runs_its_suite_and_provisions_only_what_it_needs():
    expected = {
        "unit": (["cargo fmt --all -- --check", "cargo clippy --workspace --all-targets --locked -- -D warnings",
                  "scripts/cargo-deny.sh", "cargo build --workspace --locked --bins",
                  "cargo test --workspace --locked --no-fail-fast",
                  "cargo clippy -p spotify-mcp-server --all-targets --no-default-features --locked -- -D warnings",
                  "cargo test -p spotify-mcp-server --no-default-features --locked --lib",
                  "env SPOTIFY_MCP_FUZZ_BUILD=dev scripts/fuzz.sh"],
                 {"infra", "k8s"}),
        "e2e": (["cargo build --workspace --locked --bins", "$SPOTIFY_MCP_TEST_PYTHON -m pytest tests/python -q"],
                {"python", "infra", "actionlint", "mcp-clients", "helm"}),
        "charts": (["cargo build --workspace --locked --bins", "charts/tests/run.sh"], {"infra", "helm", "k8s"}),
        "node": (["tests/k8s/run.sh"], {"python", "infra", "helm", "k8s", "node", "prometheus-operator"}),
    }
    for tier, (commands, tools) in expected.items():
        r = plan(tier)
        assert r.returncode == 0, r.stderr
        got = tiers_of(r.stdout)
        assert list(got) == ["provision", tier, "teardown"], (tier, got)
        assert got[tier] == commands, (tier, got[tier])
        assert {p.removeprefix("provision ") for p in got["provision"]} == tools, (tier, got["provision"])


def test_the_teardown_touches_only_what_the_selected_tiers_start():
    teardowns = {tier: tiers_of(plan(tier).stdout)["teardown"] for tier in TIERS}
    kwok = ["scripts/k8s-cluster.sh delete", "scripts/k8s-cluster.sh delete spotify-mcp-faults"]
    assert teardowns == {"unit": kwok, "e2e": [], "charts": [], "node": ["scripts/real-cluster.sh down"]}, teardowns
    assert tiers_of(plan().stdout)["teardown"] == [*kwok, "scripts/real-cluster.sh down"]


def test_tiers_run_once_in_order_and_unknown_ones_are_refused():
    got = tiers_of(plan("node", "unit", "node").stdout)
    assert list(got) == ["provision", "unit", "node", "teardown"]
    assert got["unit"].count("cargo build --workspace --locked --bins") == 1
    r = plan("e2e", "charts")
    assert tiers_of(r.stdout)["charts"] == ["charts/tests/run.sh"], "the binaries are built once, by e2e"
    r = plan("everything")
    assert r.returncode == 2 and "unknown tier 'everything'" in r.stderr, r.stderr


@pytest.mark.parametrize("moved,tier,other", [("tests/python", "e2e", "charts"), ("charts/tests/run.sh", "charts", "e2e"),
                                              ("tests/k8s/run.sh", "node", "charts"), ("scripts/fuzz.sh", "unit", "e2e")])
def test_a_moved_suite_fails_loudly(tmp_path, moved, tier, other):
    """A copy of the repository's top level (symlinks) without one path: the tier that runs it fails
    before anything starts, naming the path; the other tiers do not care."""
    for entry in REPO_ROOT.iterdir():
        if entry.name not in {"target", ".git"}:
            (tmp_path / entry.name).symlink_to(entry)
    # Re-create the moved path's parents as real directories, minus the path itself.
    parts = Path(moved).parts
    for depth in range(1, len(parts)):
        parent = tmp_path.joinpath(*parts[:depth])
        source = REPO_ROOT.joinpath(*parts[:depth])
        if parent.is_symlink():
            parent.unlink()
        parent.mkdir()
        for entry in source.iterdir():
            if entry.name != parts[depth]:
                (parent / entry.name).symlink_to(entry)
    assert not (tmp_path / moved).exists() and (tmp_path / "scripts" / "test.sh").exists()
    r = plan(tier, root=tmp_path)
    assert r.returncode == 2 and f"{tier}: {moved}" in r.stderr, (r.returncode, r.stderr)
    r = plan("all", root=tmp_path)
    assert r.returncode == 2 and f"{tier}: {moved}" in r.stderr and "tier" not in r.stdout, r.stdout
    r = plan(other, root=tmp_path)
    assert r.returncode == 0, r.stderr


def test_the_readme_documents_the_tiers():
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("## Run the whole test suite"):readme.index("### Kubernetes tests on a real node")]
    for tier in [*TIERS, "all"]:
        assert f"`{tier}`" in section, tier
    assert "scripts/test.sh --dry-run" in section
    assert "-m pytest tests/python/" in section, "how to run one test"
