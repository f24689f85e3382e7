"""`python -m flyte_nb <command>`: docs (regenerate docs/parameters.md), gc (remove orphaned containers)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flyte_nb")
    commands = parser.add_subparsers(dest="command", required=True)
    docs = commands.add_parser("docs", help="write docs/parameters.md from the parameter table")
    docs.add_argument("--output", default="docs/parameters.md")
    commands.add_parser("gc", help="remove containers left behind by kernels that are gone")
    args = parser.parse_args(argv)
    if args.command == "gc":
        from .runners.docker import gc

        removed = gc()
        print(f"removed {len(removed)} container(s)" + (": " + ", ".join(removed) if removed else ""))
    if args.command == "docs":
        from pathlib import Path

        from .config.docs import write

        print(f"wrote {write(Path(args.output))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
