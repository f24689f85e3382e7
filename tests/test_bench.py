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
BENCHMARKS = ("cold_call", "warm_call", "cache_hit", "gather", "data", "startup")

pytestmark = pytest.mark.docker


def test_quick_run_writes_a_row_per_benchmark(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--output", str(output)],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    text = output.read_text()
    summary = text.split("## Summary", 1)[1].split("\n## ", 1)[0]
    for name in BENCHMARKS:
        assert f"\n| {name} | " in summary, f"no summary row for {name}:\n{summary}"
    for title in ("## Cold task call", "## Warm reusable call", "## Cache hit", "via `asyncio.gather`",
                  "in and out of a task", "## `%load_ext flyte_nb`"):
        assert title in text
    assert "FAILED" not in text
    assert "- Docker: " in text and "- CPU: " in text and "- command: `" in text
    left = docker.from_env().containers.list(all=True, filters={"label": "flyte-nb.pid"}, ignore_removed=True)
    assert not [c for c in left if c.labels.get("flyte-nb.pid") and not _alive(int(c.labels["flyte-nb.pid"]))]


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()
