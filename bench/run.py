"""The benchmark suite, one command: `.venv/bin/python bench/run.py [--quick] [--only NAME] [--output FILE]`.

Runs each benchmark (every comparison interleaved inside one run) and writes BENCHMARKS.md: the
command, date, machine, a table per benchmark, what bounds each missed target, and where
flyte_nb's time goes. Task caches and blob stores live in a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCHMARKS = ("cold_call", "warm_call", "cache_hit", "gather", "data", "startup", "peers", "curves", "ray_call")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny repeat counts and sizes (a smoke test, not figures)")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run only this benchmark (repeatable)")
    parser.add_argument("--curve", action="append", default=[],
                        choices=("fanout", "run_records", "log_lines", "cache_size", "sidebar", "data_size"),
                        help="with the curves benchmark: measure only this curve (repeatable; default all)")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"), help="where to write (default BENCHMARKS.md)")
    args = parser.parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="flyte-nb-bench-")
    os.environ["FLYTE_NB_DATA_DIR"] = os.path.join(scratch, "data")
    os.environ["FLYTE_NB_CACHE_DIR"] = os.path.join(scratch, "cache")
    os.environ.pop("FLYTE_NB_BLOB_DIR", None)

    from bench import curves
    from bench.common import machine

    curves.SELECTED.update(args.curve)

    command = " ".join([".venv/bin/python", "bench/run.py", *(shlex.quote(a) for a in (argv or sys.argv[1:]))])
    started = dt.datetime.now().astimezone()
    results, failures = [], []
    try:
        for name in args.only or BENCHMARKS:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            begin = time.perf_counter()
            try:
                results.append(importlib.import_module(f"bench.{name}").run(args.quick))
            except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
                failures.append((name, traceback.format_exc()))
                print(failures[-1][1], file=sys.stderr)
            print(f"bench: {name} took {time.perf_counter() - begin:.1f} s", file=sys.stderr, flush=True)
    finally:
        close_runner()
        shutil.rmtree(scratch, ignore_errors=True)
    took = dt.datetime.now().astimezone() - started
    Path(args.output).write_text(render(command, started, took, machine(), results, failures, args.quick),
                                 encoding="utf-8")
    print(f"bench: wrote {args.output}", file=sys.stderr)
    return 1 if failures else 0


def close_runner() -> None:
    """Stop warm workers and remove every container this process started."""
    runtime_module = sys.modules.get("flyte_nb.runtime")
    if runtime_module is None:
        return
    runtime = runtime_module.runtime()
    runner = runtime._runner
    if runner is None:
        return
    try:
        runtime.wait(runtime.submit(runner.close()))
    finally:
        remove_all = getattr(runner, "remove_all", None)
        if remove_all is not None:
            remove_all()


def render(command: str, started: dt.datetime, took: dt.timedelta, host: dict[str, str], results: list,
           failures: list, quick: bool) -> str:
    lines = ["# flyte_nb benchmarks", "",
             "Written by `bench/run.py`; do not edit by hand, re-run it. Times are wall-clock "
             "(`time.perf_counter`), min/median/max over the stated repeats; every comparison runs its sides "
             "interleaved (A, B, A, B, ...) in one run and reports the ratio of medians. **The machine is "
             "small (2 cores) and shared: other test suites run on it at times, so single figures are noisy**; "
             "read medians and ratios, not maxima.", ""]
    if quick:
        lines += ["> **--quick run**: tiny repeat counts and sizes, a smoke test; these figures mean nothing.", ""]
    lines += [f"- command: `{command}`", f"- date: {started:%Y-%m-%d %H:%M %Z} (took {took.total_seconds():.0f} s)"]
    lines += [f"- {key}: {value}" for key, value in host.items()]
    lines += ["", "## Summary", "", "| benchmark | measure | median | target | met |", "|---|---|---|---|---|"]
    for result in results:
        if not any(row.target for row in result.rows):  # figures without a target: ratios or curves
            lines.append(f"| {result.name} | {result.title}: see its section | | | |")
        for row in result.rows:
            if row.target:
                cells = row.cells()
                value = cells[6] if row.ratio is not None else f"{cells[4]} {cells[1]}"
                lines.append(f"| {result.name} | {row.label} | {value} | {row.target} | {cells[8]} |")
    for name, error in failures:
        lines.append(f"| {name} | FAILED (see below) | | | **no** |")
    lines.append("")
    for result in results:
        lines.append(result.markdown())
    for name, error in failures:
        lines += [f"## {name}: FAILED", "", "```", error.rstrip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
