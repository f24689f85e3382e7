"""What each call used, measured in real containers (the Docker engine .ci/run starts) and local subprocesses:
peak memory against the limit, CPU time against wall time, and figures that survive an OOM kill and a timeout."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest

import flyte_nb as flyte
from flyte_nb import protocol
from flyte_nb.display import status_text
from flyte_nb.registry import registry
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runs import RunRecord
from flyte_nb.usage import summary

pytestmark = pytest.mark.docker
MiB = 2**20


@pytest.fixture(scope="module")
def client() -> Any:
    return docker.from_env()


@pytest.fixture(autouse=True)
def docker_runner(client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)
    yield
    mine = {"label": f"{LABEL}.kernel={KERNEL_ID}"}
    assert client.containers.list(all=True, filters=mine, ignore_removed=True) == [], "containers left behind"


env = flyte.TaskEnvironment(name="usage_env", resources=flyte.Resources(cpu=1, memory="400Mi"))


@env.task
def allocate(mib: int) -> int:
    """Holds `mib` MiB of touched memory for a moment (bytes * n writes every page)."""
    block = b"\x01" * (mib * 2**20)
    time.sleep(0.5)
    return len(block)


@env.task
def burn(seconds: float) -> list:
    """Burns CPU for `seconds` of its own CPU time; says what it measured itself."""
    start_wall, start_cpu = time.monotonic(), time.process_time()
    while time.process_time() - start_cpu < seconds:
        pass
    return [time.process_time() - start_cpu, time.monotonic() - start_wall]


@env.task
def rest(seconds: float) -> None:
    time.sleep(seconds)


def _last(task: str) -> RunRecord:
    return [run for run in registry().runs if run.task.endswith(task)][-1]


def _host_hierarchy() -> str:
    return "cgroup v2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "cgroup v1"


def test_a_200_mib_task_peaks_above_200_mib_and_below_its_limit() -> None:
    assert allocate(200) == 200 * MiB
    run = _last("allocate")
    usage = run.usage
    assert usage is not None and usage.complete and usage.source == _host_hierarchy()  # Docker uses the host's
    assert 200 * MiB <= usage.peak_memory < 400 * MiB, usage
    assert usage.memory_limit == 400 * MiB
    assert usage.wall_seconds and usage.wall_seconds >= 0.5 and usage.cpu_seconds and usage.cpu_seconds > 0
    assert len(usage.samples) >= 2 and all(s.at >= run.attempts[-1].started for s in usage.samples)
    assert run.to_json()["usage"]["peak_memory"] == usage.peak_memory
    assert f"— {summary(usage)}" in status_text(run) and "of 400 MiB" in status_text(run)


def test_cpu_time_follows_the_tasks_own_count_and_wall_time() -> None:
    """A busy task's CPU time is what it burned plus what an idle task's start costs, and never more than
    its wall time (one thread): differences of the same machine's runs, never a timing threshold (the
    machine is shared; on an idle one a busy task's CPU time is about its wall time)."""
    own_cpu, own_wall = burn(1.5)
    busy = _last("burn").usage
    rest(0.5)
    idle = _last("rest").usage
    assert busy is not None and idle is not None and busy.cpu_seconds and idle.cpu_seconds is not None
    assert own_cpu <= busy.cpu_seconds <= own_cpu + 1.0  # plus the interpreter's start and the shim
    assert abs((busy.cpu_seconds - idle.cpu_seconds) - own_cpu) < 0.5  # the same start, plus the burn
    assert busy.wall_seconds >= own_wall and busy.cpu_seconds <= busy.wall_seconds + 0.3  # one thread, one core
    assert idle.cpu_seconds < idle.wall_seconds  # a sleeping task's CPU time is below its wall time


def test_an_oom_killed_call_keeps_its_figures_and_status() -> None:
    small = allocate.override(resources=flyte.Resources(memory="64Mi"))
    with pytest.raises(flyte.errors.OOMError):
        small(300)
    run = _last("allocate")
    assert run.status.value == "oom"
    usage = run.usage
    assert usage is not None and not usage.complete and usage.ended == "oom"
    assert usage.peak_memory == usage.memory_limit == 64 * MiB and usage.wall_seconds and usage.wall_seconds > 0
    assert "peak reached 64 MiB of 64 MiB" in status_text(run)
    assert "try resources=flyte.Resources(memory='128Mi')" in status_text(run)


def test_a_timed_out_call_keeps_the_samples_until_it_was_stopped() -> None:
    short = rest.override(timeout=2)
    with pytest.raises(flyte.errors.TaskTimeoutError):
        short(60)
    run = _last("rest")
    assert run.status.value == "timed_out"
    usage = run.usage
    assert usage is not None and usage.ended == "timed_out" and not usage.complete
    assert usage.wall_seconds is not None and usage.wall_seconds >= 2 and usage.samples
    assert usage.peak_memory and usage.peak_memory < 400 * MiB
    assert "measured until timed out" in summary(usage)


def test_far_above_use_shows_the_hint_in_the_cell_status_and_the_run_list() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    roomy = rest.override(resources=flyte.Resources(memory="2Gi"))
    roomy(0.2)
    run = _last("rest")
    assert "resources=flyte.Resources(memory='64Mi') would fit (asked for 2 GiB, peak" in status_text(run)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "flyte_nb")
    table = shell.run_line_magic("flyte_runs", "")
    row = next(row for row in table.rows if row[0] == run.id)
    assert row[table.headers.index("used")] == summary(run.usage) and "of 2 GiB" in row[-1]


@env.task
def forge_usage() -> list:
    """From inside the container: a usage frame with a forged MAC, and a malformed one with the right token."""
    frames = [protocol.dumps({"op": "usage", "usage": {"t": 1, "memory": 2**62, "peak": 2**62, "cpu": 1,
                                                      "limit": None, "source": "forged", "final": True}}, "not-it"),
              protocol.dumps({"op": "usage", "usage": {"t": -1, "source": 5}}, os.environ["FLYTE_NB_TOKEN"])]
    replies = []
    for frame in frames:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(os.environ["FLYTE_NB_CONTROLLER"])
            sock.sendall(frame)
            replies.append(len(sock.recv(100)))
    return replies


def test_usage_frames_are_authenticated_and_checked_before_they_count() -> None:
    assert forge_usage() == [0, 0]  # both dropped, no reply
    usage = _last("forge_usage").usage
    assert usage is not None and usage.source == _host_hierarchy() and usage.peak_memory < 400 * MiB


def test_the_local_runner_measures_its_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    flyte.init(runner="local", quiet=True)
    assert allocate(150) == 150 * MiB
    usage = _last("allocate").usage
    assert usage is not None and usage.complete and usage.source == "process"
    assert 150 * MiB <= usage.peak_memory < 400 * MiB and usage.cpu_seconds and usage.cpu_seconds > 0


shared = flyte.TaskEnvironment(name="usage_shared", resources=flyte.Resources(cpu=1, memory="400Mi"),
                               reusable=flyte.ReusePolicy(replicas=2, idle_ttl=30))


@shared.task
def warm_allocate(mib: int) -> int:
    block = b"\x01" * (mib * 2**20)
    time.sleep(0.5)
    return len(block)


def test_a_warm_workers_call_is_measured_within_its_shared_container() -> None:
    assert warm_allocate(120) == 120 * MiB
    usage = _last("warm_allocate").usage
    assert usage is not None and usage.complete and usage.source == f"{_host_hierarchy()} (shared warm worker)"
    assert usage.peak_memory >= 100 * MiB and usage.cpu_seconds is not None and usage.memory_limit == 400 * MiB
    runtime_close()


def runtime_close() -> None:
    """Stop the warm worker now, so the fixture finds no container of this kernel."""
    import asyncio

    from flyte_nb.runtime import runtime

    asyncio.run_coroutine_threadsafe(runtime().runner().close(), runtime().loop).result(60)
