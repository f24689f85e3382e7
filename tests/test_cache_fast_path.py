"""A cache hit served in the caller's thread (Runtime.hit_here), against the real Docker engine.

The fast path must be indistinguishable from the runtime loop's way except for where it runs: the
same run record and output, a fresh copy each hit, the same errors, every file change seen, max_age
honoured, safe from many threads at once, views told, and no submission to the loop at all.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import os
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest

import flyte_nb as flyte
from flyte_nb import cache
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runtime import runtime
from flyte_nb.runs import Status

pytestmark = pytest.mark.docker

env = flyte.TaskEnvironment(name="fast_hit")


@env.task(cache="auto")
def square(x: int) -> int:
    return x * x


@env.task(cache="auto")
def listing(n: int) -> list[int]:
    return list(range(n))


@env.task(cache=flyte.Cache("auto", max_age=datetime.timedelta(seconds=2)))
def fleeting(x: int) -> int:
    return x + 1


@env.task(cache=flyte.Cache("auto", serialize=True))
def serialized(x: int) -> int:
    return x - 1


@pytest.fixture
def docker_runner(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The docker runner, every key quick (the fast path's gate is not what these tests time), and the
    calls submitted to the runtime loop, counted."""
    flyte.init(runner="docker", quiet=True)
    for task in (square, listing, fleeting, serialized):
        flyte.registry().add_task(task)  # the suite clears the registry before each test
    monkeypatch.setattr(cache, "QUICK_KEY", 10.0)
    submitted: list[Any] = []
    submit = runtime().submit

    def counting(coro: Any) -> Any:
        submitted.append(coro)
        return submit(coro)

    monkeypatch.setattr(runtime(), "submit", counting)
    yield submitted
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True) == []


def loop_way(task: Any, *args: Any) -> Any:
    """The call as it went before the fast path: Runtime.execute on the runtime loop."""
    return runtime().wait(runtime().submit(runtime().execute(task, task.bind(args, {}))))


def comparable(run: Any) -> dict[str, Any]:
    """A run record's fields, without those that differ between any two runs (id, times)."""
    fields = run.to_json()
    for name in ("id", "created", "ended", "duration"):
        fields.pop(name)
    return fields


def entry_path(task: Any) -> Path:
    (entry,) = flyte.cache.list(task.name)
    return Path(entry.path)


def test_a_hit_here_records_the_same_run_and_output_as_the_loop_way(docker_runner: list[Any]) -> None:
    assert square(3) == 9  # the real run: writes the entry
    flyte.registry().edit_task(square.name, {"retries": 1})  # a sidebar edit: the record lists it
    try:
        here, loop, before, after = both_ways_in_a_group(docker_runner)
    finally:
        flyte.registry().edit_task(square.name, {"retries": None})
    assert after == before + 1  # the fast one submitted nothing, the loop's way one
    fast_run, loop_run = flyte.registry().runs[-2:]
    assert here == loop == 9
    assert comparable(fast_run) == comparable(loop_run)
    assert fast_run.status is Status.CACHED and fast_run.cache == "hit" and fast_run.group == "g"
    assert fast_run.edits == ["retries=1 from the sidebar (@env.task decorator level)"] and fast_run.attempts == []
    assert fast_run.ended is not None and fast_run.ended >= fast_run.created


def both_ways_in_a_group(submitted: list[Any]) -> tuple[Any, Any, int, int]:
    with flyte.group("g"):
        before = len(submitted)
        here = square(3)
        loop = loop_way(square, 3)
        after = len(submitted)
    return here, loop, before, after


def test_each_hit_is_a_fresh_copy(docker_runner: list[Any]) -> None:
    assert listing(3) == [0, 1, 2]
    first = listing(3)
    first.append(99)
    second = listing(3)
    assert second == [0, 1, 2] and second is not first
    assert [run.cache for run in flyte.registry().runs] == ["written", "hit", "hit"]


def test_bad_inputs_raise_as_on_the_loop_way(docker_runner: list[Any]) -> None:
    assert square(4) == 16
    with pytest.raises(TypeError) as here:
        square("4")  # type: ignore[arg-type]
    with pytest.raises(TypeError) as loop:
        loop_way(square, "4")
    assert str(here.value) == str(loop.value)
    failed = flyte.registry().runs[-2:]
    assert [run.status for run in failed] == [Status.FAILED, Status.FAILED]
    assert comparable(failed[0]) == comparable(failed[1])


def another_entry(task: Any, value: Any) -> bytes:
    """The bytes of a valid entry holding `value` (as another kernel would write it)."""
    other = cache.write(task.name, "another", value, run=None, secrets=[])
    assert other is not None
    data = other.read_bytes()
    other.unlink()
    return data


def test_a_written_entry_is_known_at_once_and_a_replaced_one_is_read_again(docker_runner: list[Any]) -> None:
    assert square(5) == 25  # written just now: known, its file held open until it settles
    path = entry_path(square)
    assert path in cache._READ and cache._READ[path].hold is not None
    replacement = path.with_name(".tmp-another-kernel")
    replacement.write_bytes(another_entry(square, 26))
    os.replace(replacement, path)  # another kernel's write, within the same second: a new file in its place
    calls = len(docker_runner)
    assert square(5) == 26 and len(docker_runner) == calls  # the new file, still a hit here
    path.unlink()
    assert square(5) == 25  # gone: recomputed in a container
    assert len(docker_runner) == calls + 1
    assert flyte.registry().runs[-1].status is Status.SUCCEEDED and flyte.registry().runs[-1].cache == "written"


def test_a_settled_entry_read_before_is_read_again_once_replaced(docker_runner: list[Any],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "SETTLED_SECONDS", 0.0)  # settled at once (else after a second)
    assert square(5) == 25
    assert square(5) == 25
    path = entry_path(square)
    assert path in cache._READ and cache._READ[path].hold is None  # settled: no longer held open
    replacement = path.with_name(".tmp-another-kernel")
    replacement.write_bytes(another_entry(square, 27))
    os.replace(replacement, path)
    calls = len(docker_runner)
    assert square(5) == 27 and len(docker_runner) == calls


def test_an_entry_rewritten_in_place_is_read_again(docker_runner: list[Any]) -> None:
    assert square(6) == 36
    assert square(6) == 36
    path = entry_path(square)
    assert path in cache._READ
    data, inode = another_entry(square, 37), path.stat().st_ino
    with open(path, "r+b") as file:  # the same file (inode), another valid entry in it
        file.truncate()
        file.write(data)
    later = path.stat().st_mtime_ns + 10**9  # a later mtime, whatever the file system's timestamp granularity
    os.utime(path, ns=(later, later))
    assert path.stat().st_ino == inode
    calls = len(docker_runner)
    assert square(6) == 37 and len(docker_runner) == calls


def test_max_age_expires_an_entry_served_here(docker_runner: list[Any]) -> None:
    assert fleeting(1) == 2
    calls = len(docker_runner)
    assert fleeting(1) == 2 and len(docker_runner) == calls  # young: a hit here
    time.sleep(2.2)
    assert fleeting(1) == 2 and len(docker_runner) == calls + 1  # expired: recomputed
    assert [run.cache for run in flyte.registry().runs] == ["written", "hit", "written"]


def test_eight_threads_hit_at_once_and_every_view_hears_every_run(docker_runner: list[Any]) -> None:
    assert square(7) == 49
    heard: list[tuple[str, str, str]] = []
    lock = threading.Lock()

    def listener(kind: str, name: str) -> None:
        with lock:
            heard.append((kind, name, flyte.registry().run(name).status.value if kind == "run" else ""))

    unsubscribe = flyte.registry().subscribe(listener)
    calls = len(docker_runner)
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: square(7), range(200)))
    finally:
        unsubscribe()
    assert results == [49] * 200
    hits = flyte.registry().runs[1:]
    assert len(hits) == 200 and len({run.id for run in hits}) == 200
    assert all(run.status is Status.CACHED and run.cache == "hit" and run.output == "49" for run in hits)
    assert len(docker_runner) == calls  # not one went to the loop
    for run in hits:  # added (queued), then done (cached): each run twice, in that order
        assert [status for kind, name, status in heard if name == run.id] == ["queued", "cached"]


def test_what_is_not_a_plain_hit_goes_the_loop_way(docker_runner: list[Any]) -> None:
    assert serialized(3) == 2
    calls = len(docker_runner)
    assert serialized(3) == 2 and len(docker_runner) == calls + 1  # serialize=True: the lock is the loop's
    assert flyte.registry().runs[-1].cache == "hit"
    assert square(8) == 64
    calls = len(docker_runner)
    assert square.override(cache="disable")(8) == 64 and len(docker_runner) == calls + 1
    assert flyte.registry().runs[-1].cache is None and flyte.registry().runs[-1].status is Status.SUCCEEDED
    assert square.override(cache="override")(8) == 64 and len(docker_runner) == calls + 2
    assert flyte.registry().runs[-1].cache == "written"  # Cache(behavior="override") still writes
