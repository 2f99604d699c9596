#!/usr/bin/env python3
"""Generates the README's endpoint -> tool table from what the real server requests.

Starts the binary against a recording sandbox, calls every tool (the tour of tour.py), and
prints the Markdown table; `--write README.md` replaces the block between
`<!-- coverage:start -->` and `<!-- coverage:end -->` (scripts/generate.sh does this);
`--check README.md` exits 1 when it differs. Needs the test venv (eval "$(scripts/test-env.sh)") and a built binary
($SPOTIFY_MCP_BIN or target/debug/spotify-mcp-server)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anyio  # noqa: E402

from harness import REPO_ROOT, STARTED, Launcher, openapi_path  # noqa: E402
from surface import DEFAULT_TOOLS  # noqa: E402
from tour import coverage, load_operations, readme_table, render_table, run_tour, write_readme_table  # noqa: E402


def build_table() -> str:
    binary = Path(os.environ.get("SPOTIFY_MCP_BIN") or REPO_ROOT / "target" / "debug" / "spotify-mcp-server")
    if not binary.is_file():
        raise SystemExit(f"{binary} not found: run `cargo build -p spotify-mcp-server` or set SPOTIFY_MCP_BIN")
    ops = load_operations(openapi_path())
    with tempfile.TemporaryDirectory(prefix="spotify-mcp-coverage-") as tmp:
        launcher = Launcher(binary, Path(tmp))
        try:
            result = anyio.run(run_tour, launcher)
            result.sandbox.stop()
        finally:
            for proc in STARTED:
                proc.stop()
    if result.failures:
        raise SystemExit("tool calls failed during the tour, the table would be incomplete:\n" + "\n".join(result.failures))
    table, unknown = coverage(result.observed, ops)
    if unknown:
        print(f"warning: {len(unknown)} requests match no operation of the OpenAPI definition", file=sys.stderr)
    return render_table(table, ops, set(DEFAULT_TOOLS))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="README", type=Path, help="replace the table between the markers")
    group.add_argument("--check", metavar="README", type=Path, help="exit 1 if the README's table differs")
    args = parser.parse_args()
    table = build_table()
    if args.write:
        write_readme_table(args.write, table)
        print(f"wrote the coverage table ({table.count(chr(10)) - 2} endpoints) to {args.write}")
    elif args.check:
        current = readme_table(args.check)
        if current != table:
            print(f"{args.check}: coverage table is out of date; run scripts/generate.sh", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
