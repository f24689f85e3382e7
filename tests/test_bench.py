"""The benchmark scripts still run: `bench/run.py --quick` writes a table row per benchmark.

Only that they run and report; never a time (the figures are in BENCHMARKS.md, from a full run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docker
import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ("cold_call", "warm_call", "cache_hit", "gather", "data", "startup", "peers", "curves", "ray_call")

pytestmark = pytest.mark.docker


def test_quick_run_writes_a_row_per_benchmark(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    before = plots()
    bench = subprocess.Popen([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--output", str(output)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, stderr = bench.communicate(timeout=900)
    assert bench.returncode == 0, stderr[-3000:]
    text = output.read_text()
    summary = text.split("## Summary", 1)[1].split("\n## ", 1)[0]
    for name in BENCHMARKS:
        assert f"\n| {name} | " in summary, f"no summary row for {name}:\n{summary}"
    for title in ("## Cold task call", "## Warm reusable call", "## Cache hit", "via `asyncio.gather`",
                  "in and out of a task", "## `%load_ext flyte_nb`", "## flyte_nb beside its peers",
                  "## How cost grows", "## The ray runner beside the docker runner"):
        assert title in text
    assert "FAILED" not in text
    for peer in ("flyte 2.12.1 local mode", "kfp local `SubprocessRunner`", "papermill", "raw `docker run --rm`"):
        assert f"cold call: {peer}" in text, f"no cold-call row of {peer}"
    for curve in ("fanout", "run_records", "log_lines", "cache_size", "sidebar", "data_size"):
        assert f"plot `bench/plots/{curve}.png`" in text
    assert plots() == before, "--quick rewrote the committed plots in bench/plots/"
    assert "- Docker: " in text and "- CPU: " in text and "- command: `" in text
    left = docker.from_env().containers.list(all=True, filters={"label": f"flyte-nb.pid={bench.pid}"},
                                             ignore_removed=True)
    assert not left, f"the bench left containers behind: {[c.name for c in left]}"


def plots() -> dict[str, float]:
    """The committed plots and their modification times."""
    return {p.name: p.stat().st_mtime for p in (ROOT / "bench" / "plots").glob("*.png")}

