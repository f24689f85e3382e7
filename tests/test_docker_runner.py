"""The container runner against the real Docker engine that .ci/run starts (never skipped)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest

import flyte_nb as flyte
from flyte_nb import tracebacks
from flyte_nb import secrets as secret_store
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runtime import runtime
from tests.streams import assert_streams_kept_apart

pytestmark = pytest.mark.docker
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def client() -> Any:
    return docker.from_env()


def ours(client: Any) -> list[Any]:
    return client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True)


@pytest.fixture(autouse=True)
def docker_runner(client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)
    yield
    assert ours(client) == [], "a test left containers behind"


# ---- helpers that run inside the container -------------------------------------------------------
def cgroup_limits() -> dict[str, Any]:
    """cpu quota/period and memory limit from cgroup v2 or v1 files."""
    def read(*paths: str) -> str | None:
        for p in paths:
            if os.path.exists(p):
                return open(p).read().strip()
        return None

    cpu_max = read("/sys/fs/cgroup/cpu.max")
    if cpu_max:
        quota, period = cpu_max.split()
    else:
        quota = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us")
        period = read("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us")
    memory = read("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
    status = open("/proc/self/status").read()
    caps = next(line.split()[1] for line in status.splitlines() if line.startswith("CapEff"))
    nnp = next(line.split()[1] for line in status.splitlines() if line.startswith("NoNewPrivs"))
    return {"quota": quota, "period": period, "memory": memory, "uid": os.getuid(), "caps": caps, "nnp": nnp,
            "net": sorted(os.listdir("/sys/class/net")), "my_var": os.environ.get("MY_VAR"),
            "hostname": os.uname().nodename}


env = None  # set per test through make_env, module level so nested tasks pickle cleanly


def make_env(name: str = "dock_env", **settings: Any) -> flyte.TaskEnvironment:
    return flyte.TaskEnvironment(name=name, **settings)


# ---- tests ---------------------------------------------------------------------------------------
def test_spec_example_runs_in_two_containers_with_the_override_visible() -> None:
    ns: dict[str, Any] = {}
    exec(compile((ROOT / "tests/data/spec_example.py").read_text(), "spec_example.py", "exec"), ns)
    env_2 = ns["env_2"]

    @env_2.task
    async def probe() -> dict:
        return cgroup_limits()

    @env_2.task
    async def parent() -> dict:
        child = await probe.override(resources=flyte.Resources(cpu=4, memory="2Gi"),
                                     env_vars={"MY_VAR": "new_value"})()
        return {"child": child, "me": cgroup_limits()}

    assert asyncio.run(ns["invoke_process_data"]()) == "Processed input.csv"
    outer, inner = flyte.registry().runs[-2:]
    assert inner.parent == outer.id
    assert outer.attempts[0].container != inner.attempts[0].container
    out = asyncio.run(parent())
    child, me = out["child"], out["me"]
    assert (child["quota"], child["period"]) == ("400000", "100000")  # 4 CPUs
    assert int(child["memory"]) == 2 * 2**30
    assert child["my_var"] == "new_value"
    assert (me["quota"], me["period"]) == ("100000", "100000") and int(me["memory"]) == 512 * 2**20
    assert me["my_var"] == "value"
    assert child["hostname"] != me["hostname"]  # two containers


def test_hardening_non_root_no_caps_no_network() -> None:
    e = make_env()

    @e.task
    def probe() -> dict:
        return cgroup_limits()

    info = probe()
    assert info["uid"] != 0
    assert int(info["caps"], 16) == 0
    assert info["nnp"] == "1"
    assert info["net"] == ["lo"]


def test_oom_is_reported_as_oom_with_the_limit_and_retried() -> None:
    e = make_env(resources=flyte.Resources(memory="64Mi"))

    @e.task(retries=1)
    def hog() -> int:
        blocks = []
        for _ in range(64):
            blocks.append(bytearray(8 * 2**20))
        return len(blocks)

    with pytest.raises(flyte.TaskOOMError, match=r"out of memory.*memory=64Mi") as info:
        hog()
    assert "dock_env.hog" in str(info.value) and "attempt 2/2" in str(info.value)
    run = flyte.registry().runs[-1]
    assert run.status.value == "oom" and [a.status.value for a in run.attempts] == ["oom", "oom"]


def test_timeout_kills_the_container_and_names_the_limit(client: Any) -> None:
    e = make_env()

    @e.task(timeout=2)
    async def sleepy() -> None:
        import time as t

        t.sleep(60)

    start = time.monotonic()
    with pytest.raises(flyte.TaskTimeoutError, match=r"dock_env.sleepy.*timeout=2s") as info:
        asyncio.run(sleepy())
    assert time.monotonic() - start < 30
    assert isinstance(info.value, TimeoutError)
    assert ours(client) == []


def test_retries_count_attempts_and_keep_each_attempts_logs() -> None:
    e = make_env()

    @e.task(retries=flyte.RetryStrategy(2, backoff=0))
    def always_fails() -> None:
        print(f"attempt {os.environ['FLYTE_NB_ATTEMPT']} here")
        raise RuntimeError("still broken")

    with pytest.raises(RuntimeError, match="still broken") as info:
        always_fails()
    run = flyte.registry().runs[-1]
    assert len(run.attempts) == 3
    assert [a.logs for a in run.attempts] == [[f"attempt {n} here\n"] for n in (1, 2, 3)]
    assert len({a.container for a in run.attempts}) == 3
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "dock_env.always_fails" in notes and "attempt 3/3" in notes and "container" in notes
    frames = traceback.extract_tb(info.value.__traceback__)  # the task's own frames, at this file's lines
    assert frames[-1].name == "always_fails" and frames[-1].filename == __file__
    assert frames[-1].line == 'raise RuntimeError("still broken")'
    # of flyte_nb's, only the entry point's own frame is left, which IPython and pytest hide (__tracebackhide__)
    assert [(f.filename, f.name) for f in frames if "flyte_nb" in f.filename] == [(tracebacks.__file__, "entry")]
    assert "still broken" in run.attempts[-1].traceback and "shim.py" in run.attempts[-1].traceback  # the whole one


def test_secrets_reach_the_task_but_not_inspect_logs_or_outputs(client: Any) -> None:
    secret_store.set("api_key", "s3cr3t-VALUE-123", group="team")
    e = make_env(secrets=[flyte.Secret("api_key", group="team", as_env_var="API_KEY"),
                          flyte.Secret("api_key", group="team", mount=Path("/etc/flyte/secrets"))])

    @e.task
    def use_secret() -> str:
        import time as t

        value = os.environ["API_KEY"]
        from_file = open("/etc/flyte/secrets/api_key").read()
        print(f"the secret is {value}")
        t.sleep(3)
        return f"{len(value)} {from_file == value}"

    seen: list[str] = []

    def watch() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not seen:
            for c in ours(client):
                seen.append(json.dumps(client.api.inspect_container(c.id)))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert use_secret() == "16 True"
    watcher.join()
    assert seen and all("s3cr3t-VALUE-123" not in s for s in seen)
    run = flyte.registry().runs[-1]
    assert "s3cr3t" not in run.logs and "[redacted]" in run.logs
    assert "s3cr3t" not in json.dumps(run.to_json())


def test_missing_secret_fails_before_any_container(client: Any) -> None:
    e = make_env(secrets=flyte.Secret("nope", group="grp"))

    @e.task
    def needs() -> None: ...

    with pytest.raises(secret_store.SecretNotFoundError, match=r"'nope'.*'grp'"):
        needs()
    assert flyte.registry().runs[-1].attempts[0].container is None


def test_exception_is_reraised_with_its_type_and_remote_traceback() -> None:
    e = make_env()

    @e.task
    def boom(x: int) -> int:
        raise KeyError(f"missing {x}")

    with pytest.raises(KeyError, match="missing 3") as info:
        boom(3)
    assert info.value.__cause__ is None  # the task's frames are the traceback, not a text cause
    last = traceback.extract_tb(info.value.__traceback__)[-1]
    assert (last.filename, last.name, last.line) == (__file__, "boom", 'raise KeyError(f"missing {x}")')


def test_types_are_checked_at_the_boundary() -> None:
    e = make_env()

    @e.task
    def typed(x: int) -> str:
        return x  # type: ignore[return-value]

    with pytest.raises(TypeError, match=r"input x='3'.*int"):
        typed("3")  # type: ignore[arg-type]
    assert flyte.registry().runs[-1].attempts == []
    with pytest.raises(TypeError, match=r"output 3 .*str"):
        typed(3)


def test_python_version_mismatch_is_refused_before_running() -> None:
    e = make_env(image=flyte.Image.from_debian_base(python_version="3.12"))

    @e.task
    def f() -> None: ...

    with pytest.raises(Exception, match=r"3\.12"):
        f()
    assert flyte.registry().runs[-1].attempts[0].container is None


def test_gather_packs_by_cpu_request_and_queue_limits() -> None:
    e = make_env(resources=flyte.Resources(cpu=1))

    @e.task
    async def span() -> tuple[float, float]:
        import time as t

        start = t.time()
        t.sleep(3)
        return start, t.time()

    async def many(task: Any, n: int) -> list[tuple[float, float]]:
        return await asyncio.gather(*(task() for _ in range(n)))

    def peak(spans: list[tuple[float, float]]) -> int:
        return max(sum(1 for s, e2 in spans if s <= t < e2) for t, _ in spans)

    flyte.init(runner="docker", quiet=True, cpus=2)
    assert peak(asyncio.run(many(span, 4))) == 2  # 2 CPUs, 1-CPU requests: two at a time
    flyte.init(runner="docker", quiet=True, cpus=2, queues={"one": 1})
    assert peak(asyncio.run(many(span.override(queue="one"), 3))) == 1


def test_max_queued_time_fails_a_call_that_waits_too_long() -> None:
    flyte.init(runner="docker", quiet=True, queues={"single": 1})
    e = make_env(queue="single")

    @e.task
    async def hold() -> None:
        import time as t

        t.sleep(4)

    async def both() -> list[Any]:
        return await asyncio.gather(hold(), hold.override(timeout=flyte.Timeout(max_queued_time=1))(),
                                    return_exceptions=True)

    first, second = asyncio.run(both())
    assert first is None
    assert isinstance(second, flyte.TaskTimeoutError) and "max_queued_time=1s" in str(second)


def test_kernel_interrupt_stops_the_container(client: Any, tmp_path: Path) -> None:
    script = tmp_path / "interrupt.py"
    script.write_text(textwrap.dedent("""
        import flyte_nb as flyte
        flyte.init(runner="docker", quiet=True)
        env = flyte.TaskEnvironment(name="intr_env")

        @env.task
        def forever() -> None:
            import time
            time.sleep(600)

        forever()
    """))
    proc = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    label = {"label": "flyte-nb.task=intr_env.forever"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not client.containers.list(filters=label, ignore_removed=True):
        time.sleep(0.2)
    assert client.containers.list(filters=label, ignore_removed=True), "the task's container never started"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "KeyboardInterrupt" in err
    assert client.containers.list(all=True, filters=label, ignore_removed=True) == []


def test_gc_removes_containers_of_dead_kernels(client: Any) -> None:
    from flyte_nb.runners.docker import gc
    from flyte_nb.images.bootstrap import base_image_name

    orphan = client.containers.create(base_image_name(), ["true"], labels={
        f"{LABEL}.kernel": "dead", f"{LABEL}.host": os.uname().nodename, f"{LABEL}.pid": "999999",
        f"{LABEL}.pid-start": "1"})
    assert orphan.name in gc(client)
    assert client.containers.list(all=True, filters={"id": orphan.id}, ignore_removed=True) == []


def test_gpu_request_without_a_gpu_runtime_is_a_clear_error() -> None:
    e = make_env(resources=flyte.Resources(gpu="A100:1"))

    @e.task
    def f() -> None: ...

    with pytest.raises(Exception, match=r"gpu='A100:1'.*no GPU runtime"):
        f()


def test_a_tasks_stderr_prints_on_stderr_and_its_stdout_on_stdout_redacted(
        capfd: pytest.CaptureFixture[str]) -> None:
    """Without a view a script prints a container's streams apart, as `docker run` does (demultiplexed)."""
    secret_store.set("stream_key", "s3cr3t-STREAM-42")
    runtime().quiet = False

    @make_env(secrets=flyte.Secret("stream_key", as_env_var="STREAM_KEY")).task
    def both() -> int:
        key = os.environ["STREAM_KEY"]
        sys.stderr.write(f"to stderr {key} (plain write, ")  # a partial line: stdout's line must not join it
        print(f"to stdout {key}", flush=True)
        print("no newline yet)", file=sys.stderr)
        return 1

    assert_streams_kept_apart(both, capfd, "s3cr3t-STREAM-42")


def test_image_layers_build_once_and_run(client: Any, capfd: pytest.CaptureFixture[str]) -> None:
    image = flyte.Image.from_debian_base().with_env_vars({"BAKED": "yes"})
    e = make_env(image=image)
    runtime().quiet = False  # the build log is printed: on stderr, so a program's stdout stays its own

    @e.task
    def baked() -> str:
        return os.environ.get("BAKED", "no")

    assert baked() == "yes"
    first = client.images.get(image.tag).id
    assert baked() == "yes"
    assert client.images.get(image.tag).id == first
    client.images.remove(image.tag)  # removed behind the kernel's back: the next call builds it again
    capfd.readouterr()
    assert baked() == "yes"
    assert client.images.get(image.tag).id
    out, err = capfd.readouterr()
    assert f"building {image.tag}" in err and "building" not in out


def test_shm_shares_disk_pod_template_interruptible_and_queue_reach_the_container(
        client: Any, capfd: pytest.CaptureFixture[str]) -> None:
    template = flyte.PodTemplate(
        primary_container_name="primary", labels={"team": "ml"}, annotations={"note": "x"},
        pod_spec={"containers": [{"name": "primary", "env": [{"name": "FROM_POD", "value": "yes"}],
                                  "securityContext": {"runAsUser": 1234}}],
                  "nodeSelector": {"gpu": "true"}})
    e = make_env(name="knobs_env", resources=flyte.Resources(cpu=(0.5, 1), memory="300Mi", shm="64Mi", disk="1Gi"),
                 interruptible=True, queue="batch", pod_template=template)
    seen: dict[str, Any] = {}

    @e.task
    def knobs() -> dict:
        import os
        import time

        shares = None
        for path in ("/sys/fs/cgroup/cpu/cpu.shares", "/sys/fs/cgroup/cpu.weight"):
            if os.path.exists(path):
                shares = open(path).read().strip()
        stat = os.statvfs("/dev/shm")
        time.sleep(1.5)  # long enough for the test to inspect the running container
        return {"shm": stat.f_blocks * stat.f_frsize, "shares": shares, "uid": os.getuid(),
                "from_pod": os.environ.get("FROM_POD")}

    def inspect() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not seen:
            for c in client.containers.list(filters={"label": f"{LABEL}.task=knobs_env.knobs"}, ignore_removed=True):
                seen.update(c.attrs)
            time.sleep(0.1)

    watcher = threading.Thread(target=inspect)
    watcher.start()
    out = knobs()
    watcher.join()
    assert out["shm"] == 64 * 2**20 and out["uid"] == 1234 and out["from_pod"] == "yes"
    assert out["shares"] in ("512", "20")  # cpu request 0.5 -> 512 shares (cgroup v1) / weight (v2)
    labels = seen["Config"]["Labels"]
    assert labels[f"{LABEL}.interruptible"] == "true" and labels[f"{LABEL}.queue"] == "batch"
    assert labels["pod.team"] == "ml" and labels["pod-annotation.note"] == "x"
    host = seen["HostConfig"]
    assert host["CpuQuota"] == 100_000 and host["CpuPeriod"] == 100_000 and host["CpuShares"] == 512
    assert host["Memory"] == 300 * 2**20 and host["MemorySwap"] == 300 * 2**20 and host["ShmSize"] == 64 * 2**20
    err = capfd.readouterr().out
    if client.info()["Driver"] not in ("devicemapper", "btrfs", "zfs", "windowsfilter"):
        assert "disk=1Gi is not enforced: the Docker storage driver" in err
    else:
        assert host["StorageOpt"] == {"size": "1Gi"}
    assert "pod_template fields not honored by the docker runner: nodeSelector" in err


def test_a_timeout_error_raised_by_the_task_is_its_failure_not_the_deadline() -> None:
    e = make_env(name="own_timeout_env")

    @e.task(retries=1)
    def flaky_http() -> str:
        raise TimeoutError("read timed out")

    @e.task(retries=1, timeout=600)
    def flaky_http_with_deadline() -> str:
        raise TimeoutError("read timed out")

    for task in (flaky_http, flaky_http_with_deadline):
        with pytest.raises(TimeoutError, match="read timed out") as caught:
            task()
        assert not isinstance(caught.value, flyte.TaskTimeoutError)
        assert len(flyte.registry().runs[-1].attempts) == 2  # retried like any failure


def test_what_cannot_travel_fails_once_with_a_clear_error(client: Any) -> None:
    import threading as _threading

    lock = _threading.Lock()
    e = make_env(name="ship_env")

    @e.task(retries=2)
    def locked() -> bool:
        with lock:
            return True

    with pytest.raises(flyte.errors.TaskShippingError, match="cannot be pickled to travel.*lock"):
        locked()
    assert len(flyte.registry().runs[-1].attempts) == 1

    import numpy

    @e.task(retries=2)
    def total(values: Any) -> float:
        return float(values.sum())

    with pytest.raises(flyte.errors.TaskShippingError, match="No module named 'numpy'.*with_pip_packages"):
        total(numpy.ones(100_000))  # by reference through the store; the default image has no numpy
    assert len(flyte.registry().runs[-1].attempts) == 1
    pickled = Path(flyte.io.host_root()) / "pickled"
    assert list(pickled.iterdir()) == []  # the input's blob went with the call


def test_a_task_silent_for_longer_than_the_api_timeout_keeps_its_logs() -> None:
    runner = runtime().runner()
    e = make_env(name="silent_env")

    @e.task
    def quiet_then_talk() -> int:
        import time

        print("before", flush=True)
        time.sleep(4)
        print("after the silence", flush=True)
        return 1

    patient = runner.client
    runner.client = docker.from_env(timeout=2)  # the engine API's read timeout, shorter than the silence
    try:
        assert quiet_then_talk() == 1
    finally:
        runner.client = patient
    assert flyte.registry().runs[-1].logs == "before\nafter the silence\n"
