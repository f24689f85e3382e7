"""`python -m flyte_nb <command>`: docs (regenerate docs/parameters.md)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flyte_nb")
    commands = parser.add_subparsers(dest="command", required=True)
    docs = commands.add_parser("docs", help="write docs/parameters.md from the parameter table")
    docs.add_argument("--output", default="docs/parameters.md")
    args = parser.parse_args(argv)
    if args.command == "docs":
        from pathlib import Path

        from .config.docs import write

        print(f"wrote {write(Path(args.output))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
