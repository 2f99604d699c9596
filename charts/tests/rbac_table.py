#!/usr/bin/env python3
"""The operator's RBAC as operator/README.md shows it, generated from the one place it is defined:
the operator chart's templates/rbac.yaml (the rules of its Role/ClusterRole and of its
leader-election Role). Writes the table between the README's `<!-- rbac:start -->` and
`<!-- rbac:end -->` markers.

    charts/tests/rbac_table.py            # rewrite the README's table
    charts/tests/rbac_table.py --check    # exit 1 when the README's table is stale (the test)

scripts/generate.sh runs it with the other generators.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "charts/spotify-mcp-operator/templates/rbac.yaml"
README = ROOT / "operator/README.md"
START, END = "<!-- rbac:start -->", "<!-- rbac:end -->"
#: What each `rules:` block of the template grants, in the template's order.
SCOPES = ["watched namespaces", "its own namespace (leader election)"]


def rule_blocks(text: str) -> list[list[dict]]:
    """The rules of every `rules:` block of the template, template expressions made inert."""
    blocks: list[list[dict]] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() != "rules:":
            continue
        body = []
        for rest in lines[i + 1 :]:
            if rest.startswith("---") or rest.startswith("{{"):
                break
            body.append(re.sub(r"\{\{[^}]*\}\}", '"<lease name>"', rest))
        blocks.append(yaml.safe_load("\n".join(body)) or [])
    return blocks


def table(blocks: list[list[dict]]) -> str:
    if len(blocks) != len(SCOPES):
        raise SystemExit(f"{TEMPLATE}: {len(blocks)} rules blocks, expected {len(SCOPES)}")
    rows = ["| where | API group | resources | verbs |", "|---|---|---|---|"]
    for scope, rules in zip(SCOPES, blocks):
        for rule in rules:
            groups = ", ".join(f"`{g}`" if g else "core" for g in rule["apiGroups"])
            resources = ", ".join(f"`{r}`" for r in rule["resources"])
            if rule.get("resourceNames"):
                resources += " (its own Lease only)"
            verbs = ", ".join(rule["verbs"])
            rows.append(f"| {scope} | {groups} | {resources} | {verbs} |")
    return "\n".join(rows)


def render(readme: str, generated: str) -> str:
    if START not in readme or END not in readme:
        raise SystemExit(f"{README}: no {START} ... {END} markers")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{generated}\n{END}{tail}"


def main() -> int:
    generated = table(rule_blocks(TEMPLATE.read_text()))
    current = README.read_text()
    wanted = render(current, generated)
    if "--check" in sys.argv[1:]:
        if wanted != current:
            print(f"{README}'s RBAC table differs from {TEMPLATE}; run charts/tests/rbac_table.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
