"""Logs: a bounded tail in the kernel's memory, the whole log in a private file on disk.

Before, every printed line stayed in the run record for the kernel's life (1e6 lines: about
90 MiB of Python strings). Now the record holds TAIL_LINES lines and %flyte_logs, the
sidebar and run.logs read the full log from disk.
"""

from __future__ import annotations

import gc
import stat
import tracemalloc
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest
from IPython.core.interactiveshell import InteractiveShell

import flyte_nb as flyte
from flyte_nb.attempt_log import TAIL_LINES, AttemptLog, logs_dir
from flyte_nb.bridge import run_detail, run_summary
from flyte_nb.runners.docker import KERNEL_ID, LABEL


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_a_million_lines_keep_a_bounded_tail_in_memory_and_all_on_disk(data: Path) -> None:
    gc.collect()
    tracemalloc.start()
    log = AttemptLog()
    for i in range(1_000_000):
        log.append(f"line {i} of the output, some text\n")
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert held < 2 * 2**20, f"{held / 2**20:.1f} MiB held for 1e6 lines"  # a list of them held ~90 MiB
    assert len(log) == 1_000_000 and len(log.tail) == TAIL_LINES
    lines = list(log)
    assert len(lines) == 1_000_000 and lines[0] == "line 0 of the output, some text\n"
    assert lines[-1] == "line 999999 of the output, some text\n"
    assert log.path is not None and log.path.parent == logs_dir()
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600 and stat.S_IMODE(logs_dir().stat().st_mode) == 0o700
    path = log.path
    del log, lines
    gc.collect()
    assert not path.exists()  # the file goes with its record


def test_a_short_log_stays_in_memory_and_compares_as_a_list(data: Path) -> None:
    log = AttemptLog()
    log.append("a\n")
    log.append("b\n")
    assert log == ["a\n", "b\n"] and "".join(log) == "a\nb\n" and log.path is None


def test_logs_of_dead_kernels_are_swept(data: Path) -> None:
    import flyte_nb.attempt_log as attempt_log

    folder = logs_dir()
    folder.mkdir(parents=True)
    stale = folder / "999999999-1.log"  # no such pid
    stale.write_text("old\n")
    attempt_log._swept.discard(folder)
    log = AttemptLog()
    for i in range(attempt_log.BATCH_LINES):
        log.append(f"{i}\n")
    assert log.path is not None and log.path.exists() and not stale.exists()


@pytest.fixture
def shell(data: Path) -> Iterator[Any]:
    flyte.init(runner="docker", quiet=True)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "flyte_nb")
    yield ip
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True) == []


@pytest.mark.docker
def test_a_loud_task_in_a_container_has_its_whole_log_in_flyte_logs_and_the_sidebar(
        shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env = flyte.TaskEnvironment(name="loud_env")

    @env.task
    def loud(n: int) -> int:
        for i in range(n):
            print(f"line {i}")
        return n

    n = 20_000
    assert loud(n) == n
    run = flyte.registry().runs[-1]
    log = run.attempts[0].logs
    assert len(log) == n and len(log.tail) == TAIL_LINES  # memory holds the tail only
    capsys.readouterr()
    shell.run_line_magic("flyte_logs", run.id)
    shown = capsys.readouterr().out.splitlines()
    assert shown[1] == "line 0" and shown[-1] == f"line {n - 1}" and len(shown) == n + 1  # + the attempt header
    detail = run_detail(run.id)
    assert detail["logs"].count("\n") == n and run_summary(run)["log_lines"] == n
    path = log.path
    assert path is not None and path.exists()
    del log, run, detail
    flyte.registry().clear()
    gc.collect()
    assert not path.exists()  # the run record's policy: the log goes with the record
