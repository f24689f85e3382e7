"""Every line a call prints reaches its log, however late the kernel's attach to its container lands.

A standby container's output is followed by an attach made on a thread while the container starts
(flyte_nb/runners/standby.py, Standby.follow). The engine's attach gets only what the container writes
once it is attached (logs=True replays nothing on Docker 20.10), so on a loaded machine a quick call
handed to the container before the attach was in place printed, exited, and its lines were gone:
tests/sdk_examples' basics_map once lost "Task 7". A call is now handed over only once the attach is in
place. The real-Docker test delays the attach the way a loaded machine did; the unit tests drive
Standby.follow and Standbys._ready with a fake container.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import flyte_nb as flyte
from flyte_nb.runners.standby import Standby, Standbys
from flyte_nb.runtime import runtime

#: Seconds the follower's attach is held back: longer than a quick call's whole run in its container.
ATTACH_LATE = 3.0

lines_env = flyte.TaskEnvironment(name="output_lines_env")


@lines_env.task
def say(text: str) -> int:
    print(text)
    return 1


@pytest.fixture
def standby_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FLYTE_NB_STANDBY", "1")  # the default; the suite's conftest turns standbys off
    flyte.init(runner="docker", quiet=True)
    yield
    runtime().wait(runtime().submit(runtime().runner().close()))


@pytest.mark.docker
def test_a_line_printed_before_a_late_attach_would_land_is_in_the_calls_log(
        standby_docker: None, monkeypatch: pytest.MonkeyPatch) -> None:
    follow = Standby.follow

    def late(self: Standby, container: Any, loop: asyncio.AbstractEventLoop) -> None:
        time.sleep(ATTACH_LATE)  # a loaded machine: the follower thread's attach reaches the engine late
        follow(self, container, loop)

    monkeypatch.setattr(Standby, "follow", late)
    assert say("a line of the first call") == 1  # no standby waits yet: a container made (and claimed) now
    run = flyte.registry().runs[-1]
    assert run.logs == "a line of the first call\n"


class FakeContainer:
    """An attach that returns once `attach_in_place` is set, then streams `chunks`; or raises `error`."""

    def __init__(self, chunks: list[tuple[bytes | None, bytes | None]], error: Exception | None = None) -> None:
        self.attach_in_place = threading.Event()
        self.chunks, self.error = chunks, error

    def attach(self, **options: Any) -> Iterator[tuple[bytes | None, bytes | None]]:
        assert options["stream"] and options["demux"]
        self.attach_in_place.wait(10)
        if self.error is not None:
            raise self.error
        return iter(self.chunks)


class FakeCall:
    def __init__(self) -> None:
        self.phases: list[str] = []
        self.task = type("T", (), {"name": "t"})()

    def status(self, phase: str) -> None:
        self.phases.append(phase)


def _standby(loop: asyncio.AbstractEventLoop) -> Standby:
    standby = Standby(key="k", folder=Path("/nonexistent"))
    standby.connection = loop.create_future()
    standby.attached = loop.create_future()
    standby.stopped = loop.create_future()
    return standby


def test_a_call_is_handed_over_only_once_the_attach_is_in_place() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        standby = _standby(loop)
        container = FakeContainer([(b"line\n", None)])
        follower = threading.Thread(target=standby.follow, args=(container, loop), daemon=True)
        follower.start()
        standby.connection.set_result(("reader", "writer"))  # the shim said "ready" before the attach landed
        ready = asyncio.ensure_future(Standbys(None)._ready(standby, FakeCall()))  # type: ignore[arg-type]
        await asyncio.sleep(0.3)
        assert not ready.done(), "the call was handed to a container whose output is not attached yet"
        container.attach_in_place.set()
        assert await asyncio.wait_for(ready, 5) == ("reader", "writer")
        await asyncio.wait_for(asyncio.shield(standby.stopped), 5)
        follower.join(5)

    asyncio.run(scenario())


def test_an_attach_that_fails_does_not_hold_the_call() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        standby = _standby(loop)
        container = FakeContainer([], error=ConnectionError("engine gone"))
        container.attach_in_place.set()
        standby.connection.set_result(("reader", "writer"))
        threading.Thread(target=standby.follow, args=(container, loop), daemon=True).start()
        ready = Standbys(None)._ready(standby, FakeCall())  # type: ignore[arg-type]
        assert await asyncio.wait_for(ready, 5) == ("reader", "writer")
        assert standby.stopped.done()  # the call then learns the container's state from the engine (_reply)

    asyncio.run(scenario())
