"""`python -m flyte_nb <command>`: docs (regenerate docs/parameters.md, docs/runners.md, docs/sdk-differences.md), gc (remove orphaned containers)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flyte_nb")
    commands = parser.add_subparsers(dest="command", required=True)
    docs = commands.add_parser("docs", help="write docs/parameters.md from the parameter table")
    docs.add_argument("--output", default="docs/parameters.md")
    commands.add_parser("gc", help="remove containers left behind by kernels that are gone")
    export = commands.add_parser("export", help="run a notebook headless and write it as a flyte 2 project")
    export.add_argument("notebook")
    export.add_argument("-o", "--output", required=True, help="the project folder to write (any name)")
    export.add_argument("--package", help="the package's name inside it (default: derived from the folder's name)")
    export.add_argument("--entry", help='the call main.py makes, e.g. "my_task(1)" (default: the last one)')
    args = parser.parse_args(argv)
    if args.command == "export":
        import json

        from .export import ExportError
        from .export.notebook import export_notebook

        try:
            result = export_notebook(args.notebook, args.output, entry=args.entry, package=args.package)
        except ExportError as error:
            print(f"flyte_nb export: {error}", file=sys.stderr)
            return 1
        print(json.dumps(result.to_json()))
    if args.command == "gc":
        from .runners.docker import gc

        removed = gc()
        print(f"removed {len(removed)} container(s)" + (": " + ", ".join(removed) if removed else ""))
    if args.command == "docs":
        from pathlib import Path

        from .config.docs import write
        from .runners.support import render as render_runners

        print(f"wrote {write(Path(args.output))}")
        runners = Path(args.output).with_name("runners.md")
        runners.write_text(render_runners(), encoding="utf-8")
        print(f"wrote {runners}")
        from .differences import render as render_differences

        differences = Path(args.output).with_name("sdk-differences.md")
        differences.write_text(render_differences(), encoding="utf-8")
        print(f"wrote {differences}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
