"""The local subprocess runner: the embedded default where no Docker engine answers."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Iterator

import pytest

import flyte_nb as flyte
from flyte_nb import secrets as secret_store
from flyte_nb.runtime import runtime
from tests.streams import assert_streams_kept_apart


@pytest.fixture(autouse=True)
def no_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="auto", quiet=True)
    assert runtime().runner().name == "local"
    yield


def test_auto_says_why_it_picked_local(capfd: pytest.CaptureFixture[str]) -> None:
    flyte.init(runner="auto")
    err = capfd.readouterr().out  # a notice: stdout
    assert "runner=auto picked 'local'" in err and "/nonexistent/docker.sock" in err


def test_docker_runner_without_engine_is_a_clear_error() -> None:
    with pytest.raises(flyte.errors.RunnerUnavailableError, match="no Docker engine answers at unix:///nonexistent"):
        flyte.init(runner="docker")


def test_spec_example_runs_as_subprocesses() -> None:
    ns: dict = {}
    exec((Path(__file__).parent / "data" / "spec_example.py").read_text(), ns)
    assert asyncio.run(ns["invoke_process_data"]()) == "Processed input.csv"
    outer, inner = flyte.registry().runs[-2:]
    assert outer.attempts[0].container != inner.attempts[0].container
    assert outer.attempts[0].container.startswith("pid ")


def test_env_vars_are_clean_and_set() -> None:
    os.environ["KERNEL_ONLY"] = "1"
    env = flyte.TaskEnvironment(name="local_env", env_vars={"A": "env"})

    @env.task
    def read() -> dict:
        return {"A": os.environ.get("A"), "KERNEL_ONLY": os.environ.get("KERNEL_ONLY"), "pid": os.getpid()}

    got = read()
    assert got["A"] == "env" and got["KERNEL_ONLY"] is None and got["pid"] != os.getpid()
    assert read.override(env_vars={})()["A"] is None  # the explicit empty override wins


def test_timeout_kills_the_process() -> None:
    env = flyte.TaskEnvironment(name="local_env")

    @env.task(timeout=1)
    def sleepy() -> None:
        import time

        time.sleep(30)

    with pytest.raises(flyte.TaskTimeoutError, match=r"local_env.sleepy.*timeout=1s"):
        sleepy()
    pid = int(flyte.registry().runs[-1].attempts[0].container.split()[1])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_memory_rlimit_is_reported_as_oom() -> None:
    env = flyte.TaskEnvironment(name="local_env", resources=flyte.Resources(memory="400Mi"))

    @env.task(retries=1)
    def hog() -> int:
        return len(bytearray(800 * 2**20))

    with pytest.raises(flyte.TaskOOMError, match="memory=400Mi"):
        hog()
    assert [a.status.value for a in flyte.registry().runs[-1].attempts] == ["oom", "oom"]


def test_secrets_as_env_and_file_and_redacted() -> None:
    secret_store.set("token", "tok-987654321")
    env = flyte.TaskEnvironment(name="local_env", secrets=[flyte.Secret("token", as_env_var="TOKEN"),
                                                             flyte.Secret("token", mount=Path("/etc/flyte/secrets"))])

    @env.task
    def use() -> bool:
        root = os.environ["FLYTE_NB_SECRETS_ROOT"]
        print("token:", os.environ["TOKEN"])
        return open(f"{root}/etc/flyte/secrets/token").read() == os.environ["TOKEN"]

    assert use() is True
    assert "tok-987654321" not in flyte.registry().runs[-1].logs
    assert "[redacted]" in flyte.registry().runs[-1].logs


def test_a_tasks_stderr_prints_on_stderr_and_its_stdout_on_stdout_redacted(
        capfd: pytest.CaptureFixture[str]) -> None:
    """Without a view a script prints the task's streams where the SDK does: flyte.logger's lines on stderr."""
    secret_store.set("stream_key", "s3cr3t-LOCAL-42")
    env = flyte.TaskEnvironment(name="local_env", secrets=flyte.Secret("stream_key", as_env_var="STREAM_KEY"))
    runtime().quiet = False

    @env.task
    def both() -> int:
        print("to stdout", os.environ["STREAM_KEY"])
        flyte.logger.warning("to stderr %s", os.environ["STREAM_KEY"])
        return 1

    assert_streams_kept_apart(both, capfd, "s3cr3t-LOCAL-42")


def test_retries_in_subprocesses() -> None:
    env = flyte.TaskEnvironment(name="local_env")

    @env.task(retries=flyte.RetryStrategy(1, backoff=0))
    def crash() -> None:
        os._exit(3)

    with pytest.raises(flyte.errors.TaskCrashedError, match="exited with code 3"):
        crash()
    assert len(flyte.registry().runs[-1].attempts) == 2


def test_logs_print_unless_a_view_shows_them(capfd: pytest.CaptureFixture[str]) -> None:
    runtime().quiet = False
    heard: list[str] = []
    observer = lambda run, line: heard.append(line) or False  # noqa: E731 - like the sidebar: observes only
    runtime().log_listeners.append(observer)
    try:
        env = flyte.TaskEnvironment(name="log_env")

        @env.task
        def talk(word: str) -> None:
            print("said", word)

        talk("one")
        assert "said one" in capfd.readouterr().out and heard == ["said one\n"]
        shows = lambda run, line: run.task == "log_env.talk"  # noqa: E731 - like a cell's view of this run
        runtime().log_listeners.append(shows)
        talk("two")
        assert "said two" not in capfd.readouterr().out and heard[-1] == "said two\n"
        runtime().log_listeners.remove(shows)
    finally:
        runtime().log_listeners.remove(observer)
        runtime().quiet = True
