"""Cache read errors of every kind recompute, with a notice, instead of failing the call.

Each case damages a real entry written by a real call (Docker runner) in a different way,
then calls again: the call returns the right value, from a new container, and says why.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable, Iterator

import docker
import pytest

import flyte_nb as flyte
from flyte_nb import cache
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runs import Status

pytestmark = pytest.mark.docker


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[flyte.TaskEnvironment]:
    monkeypatch.setenv("FLYTE_NB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)
    yield flyte.TaskEnvironment(name="cache_reads")
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True) == []


def _entry_is_a_directory(entry: Path) -> None:
    entry.unlink()
    entry.mkdir()


def _task_folder_is_a_file(entry: Path) -> None:
    shutil.rmtree(entry.parent)
    entry.parent.write_text("not a folder")


def _cache_root_is_a_file(entry: Path) -> None:
    shutil.rmtree(cache.root())
    cache.root().write_text("not a folder")


def _entry_is_unreadable(entry: Path) -> None:
    entry.chmod(0)
    if os.access(entry, os.R_OK):  # root reads anything: make it unreadable by a symlink to itself (ELOOP)
        entry.unlink()
        entry.symlink_to(entry)


def _header_is_corrupt(entry: Path) -> None:
    data = entry.read_bytes()
    head, _, body = data[len(cache.MAGIC):].partition(b"\n")
    header = json.loads(head)
    header["created"] = "yesterday"  # the body still matches its checksum: only the index is wrong
    entry.write_bytes(cache.MAGIC + json.dumps(header).encode() + b"\n" + body)


def _header_misses_fields(entry: Path) -> None:
    data = entry.read_bytes()
    entry.write_bytes(cache.MAGIC + b"{}\n" + data.partition(b"\n")[2].partition(b"\n")[2])


DAMAGE: dict[str, Callable[[Path], None]] = {
    "entry-is-a-directory": _entry_is_a_directory,
    "task-folder-is-a-file": _task_folder_is_a_file,
    "cache-root-is-a-file": _cache_root_is_a_file,
    "entry-unreadable": _entry_is_unreadable,
    "header-corrupt": _header_is_corrupt,
    "header-without-fields": _header_misses_fields,
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_a_damaged_cache_recomputes_instead_of_failing(
        env: flyte.TaskEnvironment, damage: str, capsys: pytest.CaptureFixture[str]) -> None:
    @env.task(cache="auto")
    def triple(x: int) -> int:
        return 3 * x

    assert triple(7) == 21
    [entry] = [Path(e.path) for e in cache.list()]
    DAMAGE[damage](entry)
    capsys.readouterr()
    assert triple(7) == 21  # not a hit, not a failure: computed again
    run = [r for r in flyte.registry().runs if r.task == triple.name][-1]
    assert run.status is Status.SUCCEEDED and len(run.attempts) == 1 and run.attempts[0].container
    assert "flyte_nb: cache: the entry of task cache_reads.triple" in capsys.readouterr().out
    cache.list()  # listing a damaged cache does not raise either
