"""Standby containers (flyte_nb/runners/standby.py) against the real Docker engine (never skipped).

A call's next call of the same container config runs in a container started before it arrived; every
call still gets a container no other call used, its secrets arrive only with it, standbys are counted by
the scheduler and go away when idle, at kernel exit, after an interrupt and after faults.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import docker
import pytest

import flyte_nb as flyte
from flyte_nb import secrets as secret_store
from flyte_nb.errors import RunnerUnavailableError
from flyte_nb.runners.docker import KERNEL_ID, LABEL, gc
from flyte_nb.runtime import runtime
from flyte_nb.scheduler import Scheduler

pytestmark = pytest.mark.docker
BASE_IMAGE = "flyte-nb/debian-base:bookworm-py3.11"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def client() -> Any:
    return docker.DockerClient(base_url="unix:///var/run/docker.sock")


def ours(client: Any) -> list[Any]:
    return client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True)


def standbys(client: Any, **labels: str) -> list[Any]:
    """Standby containers (running, waiting for a call) of this process, or of the kernel with these labels."""
    wanted = [f"{LABEL}.standby"] + ([f"{LABEL}.{k}={v}" for k, v in labels.items()] or
                                     [f"{LABEL}.kernel={KERNEL_ID}"])
    return client.containers.list(filters={"label": wanted}, ignore_removed=True)


def until(condition: Callable[[], Any], seconds: float = 60, what: str = "the condition") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen in {seconds:g}s")


def ready_standby(client: Any) -> Any:
    """The one standby of this process, once its shim is connected (a call handed to it runs at once)."""
    waiting = runtime().runner().standbys.waiting  # type: ignore[attr-defined]
    until(lambda: len(waiting) == 1 and next(iter(waiting.values())).connection.done(), what="a standby")
    container = client.containers.get(next(iter(waiting.values())).container.id)
    assert container.status == "running" and f"{LABEL}.standby" in container.labels
    return container


@pytest.fixture(autouse=True)
def docker_runner(client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FLYTE_NB_STANDBY", "1")  # the default; the suite's conftest turns standbys off
    flyte.init(runner="docker", quiet=True)
    yield
    runtime().wait(runtime().submit(runtime().runner().close()))
    assert ours(client) == [], "a test left containers behind"


senv = flyte.TaskEnvironment(name="standby_env")


@senv.task
def probe(path: str) -> dict:
    import os as o
    import socket as s

    seen = o.path.exists(path)
    with open(path, "w") as file:
        file.write("written by an earlier call")
    return {"host": s.gethostname(), "seen": seen, "secret": o.environ.get("SB_SECRET"),
            "flyte_env": sorted(k for k in o.environ if k.startswith("FLYTE_NB"))}


@senv.task
def sleeper(seconds: float) -> int:
    import time as t

    t.sleep(seconds)
    return 1


# ---- isolation ---------------------------------------------------------------------------------------
def test_two_calls_never_share_a_container_and_the_second_runs_in_the_standby(client: Any) -> None:
    first = probe("/tmp/mark")
    standby = ready_standby(client)
    second = probe("/tmp/mark")
    run = flyte.registry().runs[-1]
    assert run.attempts[0].container == standby.short_id  # the call ran in the container started before it
    assert second["host"] == standby.id[:12] != first["host"]
    assert first["seen"] is False and second["seen"] is False  # call 1's /tmp file is not in call 2's container
    assert flyte.registry().runs[-2].attempts[0].container != run.attempts[0].container
    until(lambda: not client.containers.list(all=True, filters={"id": standby.id}, ignore_removed=True), 30,
          "its removal")  # removed after its call, off the call's path
    third_standby = ready_standby(client)  # a new one, started off the call's path
    assert third_standby.id != standby.id
    assert "FLYTE_NB_STANDBY_TOKEN" not in second["flyte_env"]  # the standby socket's key stays with the shim
    used = run.attempts[0].usage  # what the call used is measured in a standby too (from the call's start)
    assert used is not None and used.complete and used.cpu_seconds is not None and used.wall_seconds is not None
    assert used.wall_seconds < 30 and (used.peak_memory or 0) > 0
    assert used.source.endswith("(standby container, from the call's start)"), used.source  # not "warm worker"


def test_no_secret_of_a_call_reaches_the_next_call_nor_the_standbys_config(client: Any) -> None:
    value = "s3cr3t-STANDBY-77"
    secret_store.set("sb_key", value)
    try:
        with_secret = probe.override(secrets=[flyte.Secret("sb_key", as_env_var="SB_SECRET")])
        assert with_secret("/tmp/s")["secret"] == value
        standby = ready_standby(client)
        config = json.dumps(client.api.inspect_container(standby.id))
        assert value not in config and "SB_SECRET" not in config
        assert "FLYTE_NB_TOKEN" not in config and "FLYTE_NB_RUN=" not in config  # the call's own parts travel with it
        second = probe("/tmp/s")  # no secret: same container config, so it runs in that standby
        assert flyte.registry().runs[-1].attempts[0].container == standby.short_id
        assert second["secret"] is None and second["seen"] is False
        assert value not in json.dumps(client.api.inspect_container(ready_standby(client).id))
    finally:
        secret_store.delete("sb_key")


def test_a_changed_config_gets_its_own_container_not_the_standby(client: Any) -> None:
    probe("/tmp/c")
    standby = ready_standby(client)
    other = probe.override(pod_template=flyte.PodTemplate(labels={"other": "1"}))("/tmp/c")  # fixed at creation
    assert flyte.registry().runs[-1].attempts[0].container != standby.short_id
    assert other["host"] != standby.id[:12]
    assert standbys(client) and standby.id in {c.id for c in standbys(client)}  # still waiting for its config


@senv.task
def env_probe() -> dict:
    import os as o
    import socket as s
    import subprocess as sp

    child = sp.run(["sh", "-c", "echo ${FIRST_VAR:-unset} ${SECOND_VAR:-unset}"], capture_output=True, text=True)
    return {"host": s.gethostname(), "env": {k: v for k, v in o.environ.items() if k.endswith("_VAR")},
            "child": child.stdout.split(), "hashseed": o.environ.get("PYTHONHASHSEED"),
            "hash": hash("flyte-nb"), "pid1": open("/proc/1/environ").read()}


def test_a_config_differing_only_in_env_vars_runs_in_the_standby_with_exactly_its_own(client: Any) -> None:
    """env_vars travel at hand-off: a waiting standby of the same container config serves the call, the task
    (and its subprocesses) see exactly that call's env vars, none of the previous call's, and no call's
    env var is in a standby's config."""
    first = env_probe.override(env_vars={"FIRST_VAR": "one"})()
    assert first["env"] == {"FIRST_VAR": "one"} and first["child"] == ["one", "unset"]
    standby = ready_standby(client)
    config = json.dumps(client.api.inspect_container(standby.id)["Config"]["Env"])
    assert "FIRST_VAR" not in config  # the standby started after call 1 holds nothing of its env vars
    second = env_probe.override(env_vars={"SECOND_VAR": "two"})()
    assert flyte.registry().runs[-1].attempts[0].container == standby.short_id  # adapted, not a new container
    assert second["host"] == standby.id[:12] != first["host"]
    assert second["env"] == {"SECOND_VAR": "two"} and second["child"] == ["unset", "two"]
    assert "SECOND_VAR" not in second["pid1"] and "FIRST_VAR" not in second["pid1"]
    third = env_probe()  # no env vars at all: the next standby, with none of call 2's
    assert third["env"] == {} and third["child"] == ["unset", "unset"]


def test_env_vars_that_act_at_process_start_get_a_container_made_with_them(client: Any) -> None:
    """PYTHON*, LD_*, PATH, locale...: set only at creation, so they are part of the container config's key."""
    env_probe()
    standby = ready_standby(client)
    seeded = env_probe.override(env_vars={"PYTHONHASHSEED": "7", "OTHER_VAR": "x"})()
    assert flyte.registry().runs[-1].attempts[0].container != standby.short_id
    assert seeded["hashseed"] == "7" and seeded["env"] == {"OTHER_VAR": "x"}
    again = env_probe.override(env_vars={"PYTHONHASHSEED": "7"})()  # the interpreter really got it at start
    assert again["hash"] == seeded["hash"] and again["env"] == {}


@senv.task
def limits_probe() -> dict:
    import os as o
    import socket as s

    def read(*paths: str) -> str | None:
        for path in paths:
            if o.path.exists(path):
                return open(path).read().strip()
        return None

    cpu_max = read("/sys/fs/cgroup/cpu.max")  # v2: "quota period"
    quota, period = cpu_max.split() if cpu_max else (
        read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us"),
        read("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us"))
    memory = read("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
    return {"host": s.gethostname(), "cpu": None if quota in ("max", "-1") else int(quota) / int(period),
            "memory": None if memory == "max" or int(memory) > 2**60 else int(memory)}  # None: no limit


def test_a_config_differing_only_in_limits_runs_in_the_standby_with_exactly_its_own(client: Any) -> None:
    """cpu and memory limits are set at hand-off (docker update): the waiting standby of a config with other
    values serves the call, and the task reads its own limits from its cgroup (v1 or v2)."""
    first = limits_probe.override(resources=flyte.Resources(cpu="1", memory="300Mi"))()
    assert first["cpu"] == 1.0 and first["memory"] == 300 * 2**20
    standby = ready_standby(client)
    second = limits_probe.override(resources=flyte.Resources(cpu="0.5", memory="200Mi"))()
    assert flyte.registry().runs[-1].attempts[0].container == standby.short_id  # adapted, not a new container
    assert second["host"] == standby.id[:12] and second["cpu"] == 0.5 and second["memory"] == 200 * 2**20
    standby = ready_standby(client)  # made with call 2's limits
    third = limits_probe.override(resources=flyte.Resources(cpu="1.5", memory="400Mi"))()
    assert third["host"] == standby.id[:12] and third["cpu"] == 1.5 and third["memory"] == 400 * 2**20
    limited = ready_standby(client)
    unlimited = limits_probe()  # no limits at all: another container config (which limits are set is in the key)
    assert unlimited["host"] != limited.id[:12] and unlimited["cpu"] is None and unlimited["memory"] is None



def test_a_limit_the_waiting_standby_cannot_take_ends_in_a_clear_error_and_leaves_no_container(client: Any) -> None:
    """6Mi is below what a waiting shim uses (~10 MB): cgroup v1 refuses the update (the standby is removed
    and a container made with 6Mi runs the call), v2 takes it and kills the shim; either way the call fails
    as out of memory at its limit, and no container stays (the fixture checks after close)."""
    assert limits_probe.override(resources=flyte.Resources(memory="300Mi"))()["memory"] == 300 * 2**20
    standby_id = ready_standby(client).id
    with pytest.raises(flyte.TaskOOMError, match=r"out of memory.*memory=6Mi"):
        limits_probe.override(resources=flyte.Resources(memory="6Mi"))()
    until(lambda: not client.containers.list(all=True, filters={"id": standby_id}, ignore_removed=True), 30,
          "the standby's removal")

#: What a container's shim must not import before its call is on the way: every cold call waits for it.
HEAVY = ("asyncio", "cloudpickle", "pydantic", "flyte_nb.io", "flyte_nb.codec", "flyte_nb.remote", "flyte_nb.runs",
         "flyte_nb.usage", "flyte_nb.tracebacks", "flyte_nb.config.resources")


def test_the_shim_imports_only_what_reaching_the_kernel_needs_before_its_call(client: Any) -> None:
    """In the base image with the runner's mounts: `import flyte_nb.shim` (what runs until a container
    says hello or ready) loads none of the call's modules; loading a call loads them (and still works)."""
    from flyte_nb.runners.docker import RUNTIME_DIR

    runner = runtime().runner()
    script = ("import json, sys; import flyte_nb.shim as shim; before = sorted(sys.modules); shim._call_modules(); "
              "print(json.dumps([before, sorted(sys.modules)]))")
    out = client.containers.run(BASE_IMAGE, ["python3", "-c", script], remove=True, network_mode="none",
                                user="12345:12345", read_only=True, environment={"PYTHONPATH": RUNTIME_DIR},
                                mounts=runner._mounts)  # type: ignore[attr-defined]
    before, after = json.loads(out)
    assert [m for m in HEAVY if m in before] == []
    assert {"cloudpickle", "flyte_nb.codec", "flyte_nb.context", "flyte_nb.usage"} <= set(after)
    assert probe.override(env_vars={"FRESH": str(time.time())})("/tmp/i")["seen"] is False  # a first call runs


# ---- cleanup -----------------------------------------------------------------------------------------
def test_an_idle_standby_is_removed_with_its_folder(client: Any) -> None:
    flyte.init(runner="docker", quiet=True, standby_idle=1.0)
    probe("/tmp/i")
    standby = ready_standby(client)
    folder = next(iter(runtime().runner().standbys.waiting.values())).folder  # type: ignore[attr-defined]
    assert folder.is_dir()
    until(lambda: not client.containers.list(all=True, filters={"id": standby.id}, ignore_removed=True), 30,
          "the idle reap")
    assert standbys(client) == []
    assert not folder.exists()


KERNEL = '''
import os, sys, time
import flyte_nb as flyte
from flyte_nb.runtime import runtime

flyte.init(runner="docker", quiet=True)
env = flyte.TaskEnvironment(name="sb_kernel_env")

@env.task
def quick() -> int:
    return 1

@env.task
def forever() -> None:
    import time
    time.sleep(600)

quick()
waiting = runtime().runner().standbys.waiting
while not (waiting and next(iter(waiting.values())).connection.done()):
    time.sleep(0.05)
print("standby", os.getpid(), next(iter(waiting.values())).folder, flush=True)
if sys.argv[1] == "interrupt":
    forever()
elif sys.argv[1] == "kill":
    time.sleep(600)
'''


def _kernel(tmp_path: Path, mode: str, temp: str) -> subprocess.Popen[str]:
    script = tmp_path / "kernel.py"
    script.write_text(KERNEL)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": temp, "FLYTE_NB_DATA_DIR": str(tmp_path / "data"),
           "FLYTE_NB_STANDBY": "1"}
    env.pop("FLYTE_NB_RUN_DIR", None)
    return subprocess.Popen([sys.executable, str(script), mode], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _standby_line(proc: subprocess.Popen[str]) -> tuple[str, Path]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("standby "), (line, proc.stderr.read() if proc.poll() is not None else "")
    _, pid, folder = line.split()
    return pid, Path(folder)


@pytest.mark.parametrize("mode", ["exit", "interrupt"])
def test_nothing_is_left_after_the_kernel_exits_or_is_interrupted(client: Any, tmp_path: Path, mode: str) -> None:
    temp = tempfile.mkdtemp(prefix="fnb-sb-", dir="/tmp")
    proc = _kernel(tmp_path, mode, temp)
    try:
        pid, folder = _standby_line(proc)
        assert standbys(client, pid=pid) and folder.is_dir()
        if mode == "interrupt":
            time.sleep(2.0)  # forever() took the standby (ready when the line was printed) and runs in it
            assert len(standbys(client, pid=pid)) == 1  # that container: no second one while it runs
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        if mode == "interrupt":
            assert "KeyboardInterrupt" in err
        else:
            assert proc.returncode == 0, err[-3000:]
        assert client.containers.list(all=True, filters={"label": f"{LABEL}.pid={pid}"}, ignore_removed=True) == []
        left = [str(p.relative_to(temp)) for p in Path(temp).rglob("*")]
        assert left in ([], [f"flyte-nb-{os.getuid()}"]), left  # no standby folder outlives its kernel
    finally:
        if proc.poll() is None:
            proc.kill()
        import shutil

        shutil.rmtree(temp, ignore_errors=True)


def test_a_killed_kernels_standby_is_removed_by_gc(client: Any, tmp_path: Path) -> None:
    temp = tempfile.mkdtemp(prefix="fnb-sb-", dir="/tmp")
    proc = _kernel(tmp_path, "kill", temp)
    try:
        pid, _ = _standby_line(proc)
        proc.kill()
        proc.wait(30)
        assert standbys(client, pid=pid), "the standby of a killed kernel is still there (nothing ran its atexit)"
        names = gc(client)
        assert any(f"flyte-nb-{pid}-s-" in name for name in names)
        assert client.containers.list(all=True, filters={"label": f"{LABEL}.pid={pid}"}, ignore_removed=True) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        import shutil

        shutil.rmtree(temp, ignore_errors=True)


# ---- memory accounting -------------------------------------------------------------------------------
def test_a_standby_holds_its_calls_memory_and_is_dropped_for_a_call_that_needs_it(client: Any) -> None:
    flyte.init(runner="docker", quiet=True, memory="1Gi")
    scheduler = runtime().scheduler
    assert scheduler is not None
    a_env = flyte.TaskEnvironment(name="sb_mem_a", resources=flyte.Resources(memory="600Mi"))
    b_env = flyte.TaskEnvironment(name="sb_mem_b", resources=flyte.Resources(memory="600Mi"),
                                  pod_template=flyte.PodTemplate(labels={"b": "1"}))  # another container config

    @a_env.task
    def a() -> int:
        return 1

    @b_env.task
    def b() -> int:
        return 2

    assert a() == 1
    standby_a = ready_standby(client)
    assert scheduler.held == 600 * 2**20 and scheduler.free[1] == 2**30 - 600 * 2**20
    assert client.api.inspect_container(standby_a.id)["HostConfig"]["Memory"] == 600 * 2**20
    assert b() == 2  # 600Mi more does not fit beside a's standby: it is dropped first, nothing overcommits
    assert client.containers.list(all=True, filters={"id": standby_a.id}, ignore_removed=True) == []  # before b ran
    standby_b = ready_standby(client)
    assert standby_b.labels[f"{LABEL}.standby"] != standby_a.labels[f"{LABEL}.standby"]
    assert scheduler.held == 600 * 2**20 and scheduler.free[1] == 2**30 - 600 * 2**20


def test_scheduler_holds_never_overcommit_and_are_reclaimed_first() -> None:
    import asyncio

    async def scenario() -> list[str]:
        scheduler = Scheduler(cpus=2, memory=1000)
        events: list[str] = []
        hold: list[Any] = []

        def drop() -> None:
            events.append("dropped")
            asyncio.get_running_loop().call_later(0.05, scheduler.unhold, hold[0])  # its container goes, then

        hold.append(scheduler.hold(600, drop))
        assert hold[0] is not None and scheduler.held == 600
        assert scheduler.hold(500, lambda: None) is None  # not free: no second hold
        reservation = await asyncio.wait_for(scheduler.acquire(0, 700, None, task="t"), 5)
        events.append(f"admitted with {scheduler.free[1]} free")
        await scheduler.release(reservation)
        return events

    assert asyncio.run(scenario()) == ["dropped", "admitted with 300 free"]


# ---- the setting -------------------------------------------------------------------------------------
def test_standby_false_or_env_zero_starts_none(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    flyte.init(runner="docker", quiet=True, standby=False)
    assert runtime().runner().standbys is None  # type: ignore[attr-defined]
    first, second = probe("/tmp/o"), probe("/tmp/o")
    time.sleep(1.0)
    assert standbys(client) == [] and first["host"] != second["host"] and not second["seen"]
    monkeypatch.setenv("FLYTE_NB_STANDBY", "0")
    flyte.init(runner="docker", quiet=True)
    assert runtime().runner().standbys is None  # type: ignore[attr-defined]
    monkeypatch.setenv("FLYTE_NB_STANDBY", "1")
    flyte.init(runner="docker", quiet=True)
    assert runtime().runner().standbys is not None  # type: ignore[attr-defined]


@pytest.mark.parametrize(("options", "env", "message"), [
    ({"standby": "yes"}, {}, r"flyte.init\(standby='yes'\): standby must be True or False"),
    ({"standby_idle": 0}, {}, r"flyte.init\(standby_idle=0\): standby_idle must be a number of seconds > 0"),
    ({}, {"FLYTE_NB_STANDBY": "maybe"}, r"FLYTE_NB_STANDBY='maybe': set it to 1 or 0"),
    ({}, {"FLYTE_NB_STANDBY_IDLE": "soon"}, r"FLYTE_NB_STANDBY_IDLE='soon': set it to a number of seconds > 0"),
])
def test_bad_standby_settings_are_clear_errors_and_change_nothing(monkeypatch: pytest.MonkeyPatch, options: dict,
                                                                   env: dict, message: str) -> None:
    before = runtime().runner()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        flyte.init(runner="docker", quiet=True, **options)
    assert runtime().runner() is before


# ---- faults ------------------------------------------------------------------------------------------
def test_oom_and_timeout_in_a_standby_are_reported_and_leave_no_container(client: Any) -> None:
    menv = flyte.TaskEnvironment(name="sb_fault_env", resources=flyte.Resources(memory="64Mi"))

    @menv.task
    def hog(n: int) -> int:
        blocks = [bytearray(8 * 2**20) for _ in range(n)]
        return len(blocks)

    @menv.task
    def slow() -> int:
        import time as t

        t.sleep(60)
        return 1

    assert hog(1) == 1
    standby = ready_standby(client)
    with pytest.raises(flyte.TaskOOMError, match=r"out of memory.*memory=64Mi"):
        hog(64)
    assert flyte.registry().runs[-1].attempts[0].container == standby.short_id
    assert client.containers.list(all=True, filters={"id": standby.id}, ignore_removed=True) == []  # before it raised
    standby = ready_standby(client)  # a failed call's config keeps its standby (a retry finds it)
    with pytest.raises(flyte.TaskTimeoutError, match=r"timeout=2s"):
        slow.override(timeout=2)()
    assert flyte.registry().runs[-1].attempts[0].container == standby.short_id
    assert ours(client) == []  # the timed-out container is gone before the call returns; no new standby after it


def test_the_engine_going_away_is_a_clear_error_and_nothing_is_left_after_it_returns(
        client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_faults import Engine

    engine = Engine(forward="/var/run/docker.sock")
    try:
        monkeypatch.setenv("DOCKER_HOST", engine.url)
        flyte.init(runner="docker", quiet=True)
        assert sleeper(0) == 1
        ready_standby(client)
        engine.stop()
        with pytest.raises(RunnerUnavailableError, match=r"Docker engine"):
            sleeper(0)
        engine.start()
        assert sleeper(0) == 1  # reaches the engine again; what was left while it was away is removed
        runtime().wait(runtime().submit(runtime().runner().standbys.clear()))  # type: ignore[attr-defined]
        assert ours(client) == []
    finally:
        engine.close()
