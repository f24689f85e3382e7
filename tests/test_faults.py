"""Faults inside tasks fail that call only: the runtime, its loop and later calls survive (issue 16).

Runs against the real Docker engine, local subprocesses and the in-process runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sys
import tempfile
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest

import flyte_nb as flyte
from flyte_nb.errors import RunnerUnavailableError, TaskExitError, plain_text
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runtime import runtime

RUNNERS = ("docker", "local", "inprocess")
ROOT = Path(__file__).resolve().parent.parent


def _client() -> Any:
    """The real engine, whatever DOCKER_HOST a test points the runner at."""
    return docker.DockerClient(base_url="unix:///var/run/docker.sock")


def ours() -> list[Any]:
    """Containers of this kernel (the test process), whatever their state."""
    return _client().containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True)


@pytest.fixture(params=RUNNERS)
def runner(request: pytest.FixtureRequest) -> Iterator[str]:
    flyte.init(runner=request.param, quiet=True)
    yield request.param
    if request.param == "docker":
        assert ours() == [], "a test left containers behind"


# ---- BaseException in a task ---------------------------------------------------------------------
fenv = flyte.TaskEnvironment(name="faults_env")


@fenv.task
def exits(code: Any) -> int:
    sys.exit(code)


@fenv.task
def interrupts() -> int:
    raise KeyboardInterrupt


class Custom(BaseException):
    pass


@fenv.task
def raises_base() -> int:
    raise Custom("not an Exception")


@fenv.task
async def exits_async() -> int:
    sys.exit(4)


@fenv.task
def fine(x: int) -> int:
    return x + 1


@pytest.mark.parametrize("code, exit_code", [(3, 3), (None, 0), ("bye", 1)])
def test_sys_exit_is_the_tasks_failure_with_its_exit_code(runner: str, code: Any, exit_code: int) -> None:
    with pytest.raises(TaskExitError, match=rf"sys.exit\({code!r}\) \(exit code {exit_code}\)") as caught:
        exits(code)
    assert caught.value.exit_code == exit_code and caught.value.task == "faults_env.exits"
    assert fine(1) == 2  # the runtime's loop survived
    assert flyte.registry().runs[-2].status.value == "failed"


def test_keyboard_interrupt_and_other_base_exceptions_fail_the_call_only(runner: str) -> None:
    with pytest.raises(TaskExitError, match="raised KeyboardInterrupt"):
        interrupts()
    with pytest.raises(TaskExitError, match=r"raised Custom\(not an Exception\)"):
        raises_base()
    with pytest.raises(TaskExitError, match=r"sys.exit\(4\)"):
        asyncio.run(exits_async())
    assert fine(2) == 3
    assert runtime().loop.is_running()


def test_sys_exit_is_retried_like_any_failure(runner: str) -> None:
    with pytest.raises(TaskExitError):
        exits.override(retries=1)(5)
    assert len(flyte.registry().runs[-1].attempts) == 2


# ---- nested fan-out ------------------------------------------------------------------------------
@fenv.task
async def fan(widths: list[int]) -> int:
    """A tree of calls: widths[0] children, each a tree of widths[1:]; the leaves count 1."""
    if not widths:
        return 1
    return sum(await asyncio.gather(*(fan(widths[1:]) for _ in range(widths[0]))))


@pytest.mark.parametrize("widths", [[5, 1], [8, 8]], ids=["5x1", "3-levels-x8"])
def test_nested_fan_out_finishes_in_containers(widths: list[int]) -> None:
    """Each waiting container used to hold a thread of the loop's pool (cores + 4): 5 children each
    calling a grandchild hung forever. 3 levels of 8 (73 containers) must finish too."""
    flyte.init(runner="docker", quiet=True)
    expected = widths[0] * widths[1]
    assert asyncio.run(fan(widths)) == expected
    runs = flyte.registry().runs
    assert len(runs) == 1 + widths[0] + expected and all(r.status.value == "succeeded" for r in runs)
    assert ours() == []


@fenv.task
async def sleepy_fan(width: int) -> int:
    """width children that each sleep long enough to be interrupted."""
    return sum(await asyncio.gather(*(sleeper(30) for _ in range(width))))


@fenv.task
async def sleeper(seconds: float) -> int:
    await asyncio.sleep(seconds)
    return 1


def test_cancelling_a_nested_fan_out_removes_every_container() -> None:
    """A kernel interrupt cancels the root call: its children (running as nested calls of its controller)
    are cancelled with it, and no container is left running or in "Created"."""
    flyte.init(runner="docker", quiet=True)
    future = runtime().submit(runtime().execute(sleepy_fan, sleepy_fan.bind((6,), {})))
    deadline = time.monotonic() + 120
    while len([r for r in flyte.registry().runs if r.status.value == "running"]) < 7:
        assert time.monotonic() < deadline and not future.done(), "the fan-out did not start"
        time.sleep(0.2)
    runtime().cancel(future)
    assert future.cancelled()
    assert ours() == []
    assert all(r.status.value == "cancelled" for r in flyte.registry().runs)


# ---- the Docker engine hung or gone --------------------------------------------------------------
class Engine:
    """A unix socket where an engine would be: hung (accepts, never answers) or a proxy to the real one
    that can be stopped mid-call (the engine going away) and started again."""

    def __init__(self, forward: str | None) -> None:
        self.folder = tempfile.mkdtemp(prefix="fnb-engine-", dir="/tmp")  # short: AF_UNIX paths are short
        self.path = os.path.join(self.folder, "docker.sock")
        self.forward = forward
        self.connections: list[socket.socket] = []
        self.server: socket.socket | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def start(self) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(128)
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        os.unlink(self.path)
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self.connections.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            self.connections.append(conn)
            if self.forward is not None:
                upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                upstream.connect(self.forward)
                self.connections.append(upstream)
                for a, b in ((conn, upstream), (upstream, conn)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                target.sendall(chunk)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        with contextlib.suppress(OSError, AssertionError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def watchdog(func: Any, seconds: float = 60) -> Any:
    """func() on a thread; fails the test (instead of hanging it) when func has not returned in time."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = func()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{func} hung for {seconds:g}s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def test_a_hung_engine_fails_init_soon_and_auto_falls_back_to_local(monkeypatch: pytest.MonkeyPatch,
                                                                    capfd: pytest.CaptureFixture[str]) -> None:
    engine = Engine(forward=None)
    try:
        monkeypatch.setenv("DOCKER_HOST", engine.url)
        with pytest.raises(RunnerUnavailableError, match=rf"no Docker engine answers at {engine.url} \(it did not "
                                                         rf"reply within 3s\)"):
            watchdog(lambda: flyte.init(runner="docker"))  # was 600 s: the version query had the API timeout
        capfd.readouterr()
        watchdog(lambda: flyte.init(runner="auto"))
        err = capfd.readouterr().out
        assert err.count("runner=auto picked 'local'") == 1 and "did not reply within 3s" in err
        assert fine(1) == 2 and runtime().runner().name == "local"
    finally:
        engine.close()


def test_the_engine_going_away_mid_call_is_a_clear_error_and_the_container_goes_later(
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine(forward="/var/run/docker.sock")
    try:
        monkeypatch.setenv("DOCKER_HOST", engine.url)
        flyte.init(runner="docker", quiet=True)
        future = runtime().submit(runtime().execute(sleeper, sleeper.bind((30,), {})))
        watchdog(lambda: _until(lambda: flyte.registry().runs and flyte.registry().runs[0].attempts
                                and flyte.registry().runs[0].attempts[0].container))  # it runs in its container
        run_id = flyte.registry().runs[0].id
        engine.stop()
        with pytest.raises(RunnerUnavailableError, match=r"lost the connection to the Docker engine at "
                                                         r".*is removed when the engine answers again"):
            watchdog(future.result)
        assert [c.name for c in ours() if c.labels.get(f"{LABEL}.run") == run_id]  # left while unreachable
        engine.start()
        assert fine(1) == 2  # the next call reaches the engine again and removes what was left
        assert ours() == []
    finally:
        engine.close()


def _until(condition: Any) -> None:
    while not condition():
        time.sleep(0.1)


# ---- leftovers and socket paths --------------------------------------------------------------------
KERNEL_SCRIPT = '''
import flyte_nb as flyte

env = flyte.TaskEnvironment(name="leftover_env", reusable=flyte.ReusePolicy(replicas=2, idle_ttl=300))

@env.task
async def one(x: int) -> int:
    return x + 1

async def main() -> list:
    import asyncio
    return await asyncio.gather(*(one(i) for i in range(4)))

flyte.init(runner="docker", quiet=True)
import asyncio
print("result", asyncio.run(main()))
import os
print("pid", os.getpid())
'''


def test_a_kernel_that_exits_leaves_nothing_under_the_temp_dir(tmp_path: Path) -> None:
    """A reusable environment's replicas each had a worker-* folder that outlived the kernel."""
    temp = tempfile.mkdtemp(prefix="fnb-", dir="/tmp")
    try:
        script = tmp_path / "kernel.py"
        script.write_text(KERNEL_SCRIPT)
        env = {**os.environ, "TMPDIR": temp, "PYTHONPATH": str(ROOT), "FLYTE_NB_DATA_DIR": str(tmp_path / "data")}
        env.pop("FLYTE_NB_RUN_DIR", None)
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and "result [1, 2, 3, 4]" in done.stdout, done.stderr[-3000:]
        left = [str(p.relative_to(temp)) for p in Path(temp).rglob("*")]
        assert left in ([], [f"flyte-nb-{os.getuid()}"]), left  # at most the (shared, empty) root of call folders
        pid = done.stdout.split("pid ")[1].split()[0]
        assert _client().containers.list(all=True, filters={"label": f"{LABEL}.pid={pid}"}, ignore_removed=True) == []
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def test_a_deep_temp_dir_still_runs_calls_and_a_long_run_dir_is_a_clear_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deep TMPDIR gave `OSError: AF_UNIX path too long` with no hint."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    monkeypatch.delenv("FLYTE_NB_RUN_DIR", raising=False)
    for name in ("local", "docker"):
        flyte.init(runner=name, quiet=True)
        assert fine(1) == 2
    flyte.init(runner="docker", quiet=True)
    assert asyncio.run(reusable_one(1)) == 2  # a warm worker's call: the deepest socket path
    flyte.init(runner="docker", quiet=True)  # a new runner: the previous one's warm workers stop
    assert ours() == []
    monkeypatch.setenv("FLYTE_NB_RUN_DIR", str(deep))
    with pytest.raises(RunnerUnavailableError, match=r"FLYTE_NB_RUN_DIR='.*' is \d+ characters: .* AF_UNIX .* "
                                                     r"at most 44"):
        fine(1)
    assert flyte.registry().runs[-1].status.value == "failed"


renv = flyte.TaskEnvironment(name="faults_reuse", reusable=flyte.ReusePolicy(replicas=2, idle_ttl=60))


@renv.task
async def reusable_one(x: int) -> int:
    return x + 1


# ---- clear messages -------------------------------------------------------------------------------
class Unshowable(Exception):
    def __str__(self) -> str:
        raise ValueError("no text")


@fenv.task
def raises_unshowable() -> int:
    raise Unshowable()


@fenv.task
def two(a: int, b: int) -> int:
    return a + b


def test_an_exception_whose_str_raises_is_reported_clearly(runner: str) -> None:
    """Packing it for the kernel called str() and crashed the shim: a 'crash' with no hint."""
    with pytest.raises(Exception) as caught:
        raises_unshowable()
    text = "\n".join([plain_text(caught.value) or "", *getattr(caught.value, "__notes__", [])])
    assert "<Unshowable.__str__ raised ValueError: no text>" in text, text
    assert "exited with code" not in text
    assert fine(1) == 2


def test_positional_argument_errors_show_the_signature_and_what_was_given() -> None:
    flyte.init(runner="inprocess", quiet=True)
    with pytest.raises(TypeError, match=r"task faults_env.two\(a: int, b: int\) -> int: too many positional "
                                        r"arguments; called with 3 positional arguments"):
        two(1, 2, 3)
    with pytest.raises(TypeError, match=r"missing a required argument: 'b'; called with 1 positional argument$"):
        two(1)
    with pytest.raises(TypeError, match=r"multiple values for argument 'a'; called with 1 positional argument "
                                        r"and keyword a"):
        two(1, a=2)
    assert flyte.registry().runs == []  # nothing started


# ---- kernel interrupts ------------------------------------------------------------------------------
@fenv.task
def sleep_sync(seconds: float) -> int:
    time.sleep(seconds)
    return 1


def test_an_interrupt_delivered_to_another_thread_still_cancels_a_blocking_call() -> None:
    """The race behind the flaky kernel-interrupt test: a SIGINT to the process lands on any thread;
    on a thread other than the main one, Python runs the handler only when the main thread executes
    bytecode, and an untimed future.result() never does: the interrupt waited for the task to end."""
    import signal

    flyte.init(runner="local", quiet=True)

    def interrupt_from_here() -> None:  # the signal delivered to this (non-main) thread, as the kernel may see it
        _until(lambda: flyte.registry().runs and flyte.registry().runs[-1].status.value == "running")
        time.sleep(0.5)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)

    threading.Thread(target=interrupt_from_here, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        sleep_sync(20)
    run = flyte.registry().runs[-1]
    assert run.status.value == "cancelled" and run.attempts[-1].status.value == "cancelled"
