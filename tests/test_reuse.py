"""Reusable environments: warm worker containers on the real Docker engine."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest

import flyte_nb as flyte
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runs import Status
from flyte_nb.runtime import runtime
from tests.streams import assert_streams_kept_apart

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def client() -> Any:
    return docker.from_env()


def workers(client: Any) -> list[Any]:
    return client.containers.list(all=True, filters={"label": [f"{LABEL}.kernel={KERNEL_ID}", f"{LABEL}.worker"]}, ignore_removed=True)


@pytest.fixture(autouse=True)
def docker_runner(client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)
    yield
    runtime().wait(runtime().submit(runtime().runner().close()))
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True) == []


def policy(**options: Any) -> flyte.ReusePolicy:
    options.setdefault("replicas", 2)
    return flyte.ReusePolicy(**options)


def containers_of(task: Any) -> list[str | None]:
    return [run.attempts[-1].container for run in flyte.registry().runs if run.task == task.name]


def test_the_second_call_reaches_the_same_warm_container(client: Any) -> None:
    env = flyte.TaskEnvironment(name="warm_env", reusable=policy(idle_ttl=30),
                                resources=flyte.Resources(cpu=1, memory="256Mi"), env_vars={"WHO": "warm"})

    @env.task
    def who(x: int) -> str:
        import os
        import socket

        print("call", x, "on", socket.gethostname())
        return f"{socket.gethostname()} {os.getpid()} {os.environ['WHO']} {os.environ['FLYTE_NB_WORKER']}"

    @env.task
    def other() -> str:
        import socket

        return socket.gethostname()

    first, second = who(1), who(2)
    assert first == second and first.endswith(" warm 1")  # same container, same process
    assert other() == first.split()[0]  # another task of the environment shares the worker
    ids = containers_of(who)
    assert ids[0] == ids[1] and first.startswith(ids[0])
    assert len(workers(client)) == 1 and workers(client)[0].short_id == ids[0]
    assert [run.logs for run in flyte.registry().runs[:2]] == [f"call 1 on {ids[0]}\n", f"call 2 on {ids[0]}\n"]
    config = client.api.inspect_container(ids[0])
    assert config["HostConfig"]["NetworkMode"] == "none" and config["HostConfig"]["Memory"] == 256 * 2**20


def test_idle_workers_stop_after_idle_ttl(client: Any) -> None:
    env = flyte.TaskEnvironment(name="idle_env", reusable=policy(idle_ttl=1))

    @env.task
    def ping() -> int:
        return 1

    assert ping() == 1
    assert len(workers(client)) == 1
    deadline = time.monotonic() + 10
    while workers(client) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert workers(client) == []
    assert ping() == 1 and len(workers(client)) == 1  # a new call starts a new one


def test_a_burst_scales_up_then_back_down_to_min_replicas_after_scaledown_ttl(client: Any) -> None:
    env = flyte.TaskEnvironment(name="burst_env", reusable=policy(replicas=(1, 2), idle_ttl=60, scaledown_ttl=1))

    @env.task
    async def nap() -> str:
        import socket

        await asyncio.sleep(1)
        return socket.gethostname()

    async def burst() -> list[str]:
        return await asyncio.gather(nap(), nap())

    assert len(set(asyncio.run(burst()))) == 2 and len(workers(client)) == 2
    deadline = time.monotonic() + 10
    while len(workers(client)) > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)
    assert len(workers(client)) == 1  # back to the minimum, not to zero (idle_ttl is 60 s)


def test_a_crashed_worker_is_replaced_and_the_call_retried() -> None:
    env = flyte.TaskEnvironment(name="crash_env", reusable=policy())

    @env.task(retries=1)
    def fragile() -> str:
        import os

        if os.environ["FLYTE_NB_WORKER"] == "1":
            os._exit(3)  # the first worker dies under the call
        return "worker " + os.environ["FLYTE_NB_WORKER"]

    assert fragile() == "worker 2"
    run = flyte.registry().runs[-1]
    assert [a.status for a in run.attempts] == [Status.FAILED, Status.SUCCEEDED]
    assert "exited with code 3" in run.attempts[0].error and "warm worker 1" in run.attempts[0].error
    assert run.attempts[0].container != run.attempts[1].container

    @env.task
    def fragile_once() -> str:
        import os
        import subprocess
        import time

        subprocess.run(["echo", "from a subprocess"], check=True)  # fd-level output, not Python's sys.stdout
        time.sleep(0.5)
        os.write(2, b"dying now\n")
        time.sleep(0.5)
        os._exit(5)

    with pytest.raises(flyte.errors.TaskCrashedError, match=r"(?s)exited with code 5.*last output:.*dying now"):
        fragile_once()
    assert "from a subprocess\n" in flyte.registry().runs[-1].logs  # one call in flight: its output is its log


def test_concurrency_shares_a_worker_and_replicas_add_workers(client: Any) -> None:
    shared = flyte.TaskEnvironment(name="shared_env", reusable=policy(replicas=2, concurrency=2))
    spread = flyte.TaskEnvironment(name="spread_env", reusable=policy(replicas=2, concurrency=1))

    async def nap() -> tuple[str, float, float]:
        import socket
        import time

        start = time.time()
        await asyncio.sleep(1.5)
        return socket.gethostname(), start, time.time()

    shared_nap = shared.task(nap)
    spread_nap = spread.task(nap)

    async def both(task: Any) -> list[Any]:
        return await asyncio.gather(task(), task())

    (h1, s1, e1), (h2, s2, e2) = asyncio.run(both(shared_nap))
    assert h1 == h2 and max(s1, s2) < min(e1, e2)  # one container, two calls at once
    (h3, s3, e3), (h4, s4, e4) = asyncio.run(both(spread_nap))
    assert h3 != h4 and max(s3, s4) < min(e3, e4)  # two replicas, one call each
    assert len(workers(client)) == 3


def test_reusable_off_runs_a_cold_container_and_the_rules_hold_at_run_time(client: Any) -> None:
    env = flyte.TaskEnvironment(name="rules_env", reusable=policy(), resources=flyte.Resources(memory="256Mi"))

    @env.task
    def memory() -> int:
        for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
            try:
                return int(open(path).read())
            except OSError:
                continue
        return -1

    warm = memory()
    assert warm == 256 * 2**20 and len(workers(client)) == 1
    with pytest.raises(flyte.ConfigError, match="resources.*reusable"):
        memory.override(resources=flyte.Resources(memory="512Mi"))
    cold = memory.override(reusable="off", resources=flyte.Resources(memory="512Mi"))
    assert cold() == 512 * 2**20
    ids = containers_of(memory)
    assert ids[1] != ids[0] and ids[1] not in [w.short_id for w in workers(client)]
    assert flyte.registry().runs[-1].settings["reusable"]["value"] == "off"


def test_a_timeout_on_a_warm_worker_stops_it(client: Any) -> None:
    env = flyte.TaskEnvironment(name="slow_env", reusable=policy())

    @env.task(timeout=2)
    def slow(seconds: float) -> float:
        import time

        time.sleep(seconds)
        return seconds

    assert slow(0.01) == 0.01  # the worker is up: the 2 s below are the call's, not the container start's
    with pytest.raises(flyte.TaskTimeoutError):
        slow(30)
    deadline = time.monotonic() + 10
    while workers(client) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert workers(client) == []  # the worker that ran the stuck call is gone
    assert slow(0.1) == 0.1  # and a fresh one takes the next call


def test_secrets_reach_warm_workers_but_not_their_config(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYTE_NB_SECRET_WARM_TOKEN", "warm-s3cret-42")
    env = flyte.TaskEnvironment(name="secret_env", reusable=policy(),
                                secrets=[flyte.Secret("WARM_TOKEN"), flyte.Secret("WARM_TOKEN", mount="/etc/warm")])

    @env.task
    def peek() -> str:
        import os

        print("token is", os.environ["WARM_TOKEN"])
        return open("/etc/warm/WARM_TOKEN").read()[:4]

    assert peek() == "warm" and peek() == "warm"  # the second call re-installs on the same worker
    assert "warm-s3cret-42" not in flyte.registry().runs[-1].logs and "[redacted]" in flyte.registry().runs[-1].logs
    assert "warm-s3cret-42" not in str(client.api.inspect_container(workers(client)[0].id))


def test_a_warm_tasks_stderr_prints_on_stderr_and_its_stdout_on_stdout_redacted(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """Each stream keeps its own partial line and is printed where the SDK prints it (flyte.logger: stderr)."""
    monkeypatch.setenv("FLYTE_NB_SECRET_WARM_STREAM", "warm-STREAM-7")
    env = flyte.TaskEnvironment(name="stream_env", reusable=policy(), secrets=[flyte.Secret("WARM_STREAM")])
    runtime().quiet = False

    @env.task
    def both() -> int:
        import os
        import sys

        sys.stdout.write("to stdout ")
        flyte.logger.warning("to stderr %s", os.environ["WARM_STREAM"])
        print(os.environ["WARM_STREAM"])
        return 1

    assert_streams_kept_apart(both, capfd, "warm-STREAM-7")


def test_kernel_exit_removes_warm_workers(client: Any, tmp_path: Path) -> None:
    script = tmp_path / "kernel.py"
    script.write_text(textwrap.dedent("""
        import flyte_nb as flyte
        from flyte_nb.runners.docker import KERNEL_ID
        flyte.init(runner="docker", quiet=True)
        env = flyte.TaskEnvironment(name="exit_env", reusable=flyte.ReusePolicy(replicas=2, idle_ttl=600))
        @env.task
        def ping() -> int:
            return 1
        assert ping() == 1
        print(KERNEL_ID)
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).parent.parent)
    assert out.returncode == 0, out.stderr
    kernel = out.stdout.split()[-1]
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={kernel}"}, ignore_removed=True) == []


def test_idle_ttl_is_the_environments_a_busy_pool_keeps_its_replicas(client: Any) -> None:
    env = flyte.TaskEnvironment(name="busy_env", reusable=policy(replicas=2, idle_ttl=2))

    @env.task
    async def nap(seconds: float) -> str:
        import socket

        await asyncio.sleep(seconds)
        return socket.gethostname()

    async def burst() -> list[str]:
        return await asyncio.gather(nap(0.5), nap(0.5))

    assert len(set(asyncio.run(burst()))) == 2
    for _ in range(6):  # busy for ~4 s, past idle_ttl, with one call at a time
        assert asyncio.run(nap(0)) and len(workers(client)) == 2
        time.sleep(0.6)


def test_reports_and_concurrent_mounted_secrets_on_warm_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYTE_NB_SECRET_RACE_KEY", "race-value")
    env = flyte.TaskEnvironment(name="race_env", reusable=policy(replicas=1, concurrency=4),
                                secrets=flyte.Secret("RACE_KEY", mount="/etc/race"))

    @env.task(report=True)
    async def use(i: int) -> str:
        import asyncio

        from flyte_nb import report

        report.log(f"<p>call {i}</p>", do_flush=True)
        await asyncio.sleep(0.05)
        return open("/etc/race/RACE_KEY").read()

    async def many() -> list[str]:
        return await asyncio.gather(*(use(i) for i in range(12)))

    assert asyncio.run(many()) == ["race-value"] * 12
    runs = [run for run in flyte.registry().runs if run.task == "race_env.use"]
    assert all(len(run.attempts) == 1 for run in runs)  # no crash, no retry
    assert all(run.report and "call " in run.report["main"] for run in runs)


def test_a_nested_burst_past_a_workers_socket_backlog_runs_every_call() -> None:
    """reuse_concurrency's pattern: concurrency=100 on 2 replicas, 500 nested calls at once. Each
    worker's socket once had a backlog of 64: the kernel's connections past it were never made
    (protocol.open_connection) and calls failed with ConnectionResetError('Connection lost')."""
    env = flyte.TaskEnvironment(name="burst_env", resources=flyte.Resources(cpu=1, memory="1Gi"),
                                reusable=policy(replicas=2, concurrency=100, idle_ttl=30))

    @env.task
    async def noop(x: int) -> int:
        return x

    @env.task
    async def fan(n: int) -> int:
        return sum(await asyncio.gather(*(noop(i) for i in range(n))))

    assert flyte.run(fan, 500).outputs()[0] == sum(range(500))
