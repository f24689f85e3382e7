"""The SDK's runtime surface inside real task containers: flyte.map, flyte.ctx(), custom context, flyte.errors.

Each task runs on the Docker runner (never skipped); nested calls made inside a container go back to
the kernel and run in containers of their own, so what is checked here crossed the wire both ways.
"""

from __future__ import annotations

import subprocess
from typing import Any, Iterator

import docker
import pytest

import flyte_nb as flyte
from flyte_nb import cluster, errors
from flyte_nb.compat import install, uninstall
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from tests.data.sdk_venv import sdk_python

env = flyte.TaskEnvironment(name="sdk_rt")


@env.task
def square(x: int) -> int:
    return x * x


@env.task
def fails_on_odd(x: int) -> int:
    if x % 2:
        raise ValueError(f"odd {x}")
    return x


@env.task
def where_and_context() -> dict[str, Any]:
    """What a task sees of its own call, with the caller's custom context."""
    context = flyte.ctx()
    return {"action": context.action.name, "run": context.action.run_name, "attempt": context.attempt_number,
            "custom": flyte.get_custom_context(), "truthy": bool(context)}


@env.task
def fan_out(n: int) -> list[int]:
    return list(flyte.map(square, range(n), concurrency=2))


@env.task
async def fan_out_async(n: int) -> list[int]:
    return [value async for value in flyte.map.aio(square, range(n), concurrency=2)]


@env.task
def fan_out_with_failures() -> list[str]:
    results = list(flyte.map(fails_on_odd, range(4)))
    return [type(r).__name__ if isinstance(r, Exception) else str(r) for r in results]


@env.task
def fan_out_raising() -> str:
    try:
        list(flyte.map(fails_on_odd, [0, 1], return_exceptions=False))
    except flyte.errors.RuntimeUserError as error:  # as the SDK raises a child's failure to its parent
        return f"{error.code}: {error}"
    return "no error"


@env.task
def parent_with_context() -> dict[str, Any]:
    own = flyte.ctx()
    with flyte.custom_context(team="ml"):
        child = where_and_context()
    return {"own_action": own.action.name, "own_run": own.action.run_name, "own": flyte.get_custom_context(),
            "child": child}


hog_env = flyte.TaskEnvironment(name="sdk_rt_hog", resources=flyte.Resources(memory="64Mi"))


@hog_env.task
def hog(mib: int) -> int:
    blocks = [bytearray(2**20) for _ in range(mib)]
    return len(blocks)


@env.task
def retry_with_more_memory(mib: int) -> str:
    """The SDK's documented pattern: catch flyte.errors.OOMError and call again with more memory."""
    try:
        return f"first {hog(mib)}"
    except flyte.errors.OOMError as error:
        bigger = hog.override(resources=flyte.Resources(memory="512Mi"))
        return f"{type(error).__name__} then {bigger(mib)}"


@pytest.fixture(scope="module")
def client() -> Any:
    return docker.from_env()


@pytest.fixture
def docker_runner(client: Any) -> Iterator[None]:
    flyte.init(runner="docker", quiet=True)
    yield
    left = client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True)
    assert left == [], "a test left containers behind"


@env.task
async def cube_async(x: int) -> int:
    return x * x * x


@env.task
def fan_out_sync_over_async(n: int) -> list[int]:
    return list(flyte.map(cube_async, range(n)))


# ---- inside containers ---------------------------------------------------------------------------
@pytest.mark.docker
def test_map_inside_a_container_runs_every_item_as_its_own_call_in_order(docker_runner: None) -> None:
    assert fan_out(5) == [0, 1, 4, 9, 16]
    children = [r for r in flyte.registry().runs if r.task == "sdk_rt.square"]
    assert len(children) == 5 and {r.runner for r in children} == {"docker"}
    parent = next(r for r in flyte.registry().runs if r.task == "sdk_rt.fan_out")
    assert {r.parent for r in children} == {parent.id}


@pytest.mark.docker
def test_sync_map_over_an_async_task_runs_each_item_as_the_sdk_does(docker_runner: None) -> None:
    """The SDK's sync flyte.map of an async task yields results, not coroutines (inside a task and at top level)."""
    assert fan_out_sync_over_async(4) == [0, 1, 8, 27]
    assert list(flyte.map(cube_async, range(3))) == [0, 1, 8]
    assert len([r for r in flyte.registry().runs if r.task == "sdk_rt.cube_async"]) == 7


@pytest.mark.docker
def test_map_aio_inside_an_async_task(docker_runner: None) -> None:
    assert flyte.run(fan_out_async, 4).outputs() == ([0, 1, 4, 9],)


@pytest.mark.docker
def test_map_returns_failures_as_runtime_user_errors_or_raises_the_first(docker_runner: None) -> None:
    assert fan_out_with_failures() == ["0", "RuntimeUserError", "2", "RuntimeUserError"]
    assert fan_out_raising() == "ValueError: odd 1"


@pytest.mark.docker
def test_ctx_and_custom_context_reach_containers_and_nested_calls(docker_runner: None) -> None:
    out = flyte.with_runcontext(custom_context={"project": "p1"}).run(parent_with_context).outputs()[0]
    parent = next(r for r in flyte.registry().runs if r.task == "sdk_rt.parent_with_context")
    child = next(r for r in flyte.registry().runs if r.task == "sdk_rt.where_and_context")
    assert out["own_action"] == parent.id and out["own_run"] == parent.id and out["own"] == {"project": "p1"}
    assert out["child"] == {"action": child.id, "run": parent.id, "attempt": 0,
                            "custom": {"project": "p1", "team": "ml"}, "truthy": True}
    assert where_and_context()["custom"] == {}  # a later run without custom context has none
    assert not flyte.ctx() and flyte.get_custom_context() == {}


@pytest.mark.docker
def test_an_oom_kill_is_the_sdks_oom_error_caught_in_a_task_and_retried_with_more_memory(docker_runner: None) -> None:
    assert retry_with_more_memory(160) == "TaskOOMError then 160"
    with pytest.raises(flyte.errors.OOMError) as info:
        hog(160)
    assert isinstance(info.value, flyte.TaskOOMError) and isinstance(info.value, errors.RuntimeUserError)
    assert info.value.kind == "user" and info.value.code == "TaskOOMError"


# ---- the runtime's own errors (in-process: the same runtime code decides for every runner) --------
def test_deadline_stops_the_call_across_its_retries(inprocess: None) -> None:
    calls: list[int] = []

    @env.task(retries=50, timeout=flyte.Timeout(deadline=1))
    def slow_failure() -> int:
        import time

        calls.append(1)
        time.sleep(0.2)
        raise ValueError("again")

    with pytest.raises(errors.DeadlineExceededError, match=r"deadline=1s") as info:
        slow_failure()
    assert isinstance(info.value, flyte.TaskTimeoutError) and 1 <= len(calls) < 51


def test_max_runtime_is_the_sdks_max_runtime_exceeded_error(inprocess: None) -> None:
    @env.task(timeout=flyte.Timeout(max_runtime=0.2))
    async def sleeps() -> int:
        import asyncio

        await asyncio.sleep(30)
        return 1

    with pytest.raises(errors.MaxRuntimeExceededError) as info:
        flyte.run(sleeps)
    assert isinstance(info.value, flyte.TaskTimeoutError) and isinstance(info.value, TimeoutError)


def test_non_recoverable_error_is_not_retried(inprocess: None) -> None:
    calls: list[int] = []

    @env.task(retries=3)
    def gives_up() -> int:
        calls.append(1)
        raise flyte.errors.NonRecoverableError("bad input, do not retry")

    with pytest.raises(flyte.errors.NonRecoverableError, match="do not retry"):
        gives_up()
    assert len(calls) == 1


def test_sdk_errors_survive_pickling_with_their_fields() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(errors.CustomError("E42", "custom failure")))
    assert (type(error), error.code, error.kind, str(error)) == (errors.CustomError, "E42", "user", "custom failure")
    oom = pickle.loads(pickle.dumps(errors.TaskOOMError("killed", "t", 2, "c1")))
    assert (oom.task, oom.attempt, oom.container, oom.worker) == ("t", 2, "c1", "c1")


# ---- the public surface --------------------------------------------------------------------------
def test_the_stand_in_has_exactly_flyte_nbs_public_names() -> None:
    try:
        stand_in = install()
        mine = {n for n in dir(flyte) if not n.startswith("_")}
        theirs = {n for n in dir(stand_in) if not n.startswith("_")}
    finally:
        uninstall()
    assert mine == theirs
    assert stand_in.__version__ == flyte.__version__ == flyte.version()


def test_every_sdk_public_name_exists() -> None:
    """flyte 2.12.1's __all__ (asked of the real SDK): each name is there, none an AttributeError."""
    names = subprocess.run([str(sdk_python()), "-c", "import flyte; print(' '.join(flyte.__all__))"],
                           capture_output=True, text=True, check=True).stdout.split()
    missing = sorted(n for n in names if not hasattr(flyte, n))
    assert len(names) > 60 and missing == []


@pytest.mark.parametrize("name", cluster.NAMES)
def test_cluster_only_names_fail_with_one_line_naming_export(name: str) -> None:
    with pytest.raises(errors.InitializationError) as info:
        getattr(flyte, name)()
    text = str(info.value)
    assert "\n" not in text and f"flyte.{name} needs a Flyte cluster" in text and "%flyte_export" in text
    assert flyte.is_control_plane_available() is False
