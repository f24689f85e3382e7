"""flyte.group and flyte.trace recorded on run records, and the SDK's top-level names issue 12 listed.

Group and trace run on the in-process runner (the kernel's own record), and on the Docker runner (cold
containers and warm workers): a group a task body opens and a trace it calls there reach the kernel's
record over the call's authenticated control channel, as in-kernel calls record them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

import flyte_nb as flyte
from flyte_nb.config.cache import FunctionBodyPolicy

env = flyte.TaskEnvironment(name="grouping")


@flyte.trace
def add(x: int, y: int = 1) -> int:
    """Adds."""
    return x + y


@flyte.trace
def explode(reason: str) -> int:
    raise ValueError(reason)


@flyte.trace
async def double(x: int) -> int:
    await asyncio.sleep(0)
    return 2 * x


@env.task
def uses_traces(x: int) -> int:
    try:
        explode("no")
    except ValueError:
        pass
    return add(x, y=2)


@env.task
async def uses_async_trace(x: int) -> int:
    return await double(x)


@env.task
def plain(x: int) -> int:
    return x


# ---- flyte.group ---------------------------------------------------------------------------------
def test_a_call_in_a_group_records_the_innermost_group_and_one_outside_none(inprocess: None) -> None:
    with flyte.group("outer"):
        plain(1)
        with flyte.group("inner"):
            plain(2)
        plain(3)
    plain(4)
    assert [run.group for run in flyte.registry().runs] == ["outer", "inner", "outer", None]
    assert flyte.registry().runs[0].to_json()["group"] == "outer"


def test_a_group_name_that_is_not_a_str_is_refused_naming_the_value() -> None:
    with pytest.raises(TypeError, match=r"flyte.group\(name=3\)"):
        with flyte.group(3):  # type: ignore[arg-type]
            pass


def test_flyte_runs_shows_the_group_and_trace_count(inprocess: None) -> None:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "flyte_nb")
    with flyte.group("etl"):
        uses_traces(1)
    table = shell.run_line_magic("flyte_runs", "")
    assert "group" in table.headers and "traces" in table.headers
    row = dict(zip(table.headers, table.rows[-1]))
    assert row["group"] == "etl" and row["traces"] == "2"


# ---- flyte.trace ---------------------------------------------------------------------------------
def test_traced_calls_inside_a_task_are_recorded_with_inputs_duration_and_error(inprocess: None) -> None:
    assert uses_traces(5) == 7
    run = flyte.registry().runs[-1]
    failed, ok = run.traces
    assert (failed.name, failed.inputs, failed.error, failed.attempt) == ("explode", {"reason": "'no'"},
                                                                          "ValueError: no", 1)
    assert (ok.name, ok.inputs, ok.error) == ("add", {"x": "5", "y": "2"}, None)
    assert ok.duration >= 0 and ok.started >= run.created
    assert run.to_json()["traces"][1]["inputs"] == {"x": "5", "y": "2"}


def test_an_async_traced_call_is_recorded_and_stays_a_coroutine_function(inprocess: None) -> None:
    assert asyncio.iscoroutinefunction(double)
    assert asyncio.run(uses_async_trace(4)) == 8
    [entry] = flyte.registry().runs[-1].traces
    assert (entry.name, entry.inputs, entry.error) == ("double", {"x": "4"}, None)


def test_a_traced_function_outside_a_task_is_the_function(capsys: pytest.CaptureFixture[str]) -> None:
    assert add(1) == 2 and asyncio.run(double(3)) == 6
    assert (add.__name__, add.__doc__, add.__wrapped__.__name__) == ("add", "Adds.", "add")  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="boom"):
        explode("boom")
    assert flyte.registry().runs == [] and capsys.readouterr().err == ""


def test_each_attempt_records_its_own_traces(inprocess: None) -> None:
    seen: list[int] = []

    @env.task(retries=1)
    def flaky() -> int:
        seen.append(1)
        add(len(seen))
        if len(seen) == 1:
            raise RuntimeError("first attempt fails")
        return 0

    flaky()
    assert [(t.attempt, t.inputs["x"]) for t in flyte.registry().runs[-1].traces] == [(1, "1"), (2, "2")]


def test_a_long_input_is_summarised_not_kept(inprocess: None) -> None:
    @env.task
    def big() -> int:
        return len(str(add(10 ** 200)))

    big()
    [entry] = flyte.registry().runs[-1].traces
    assert len(entry.inputs["x"]) == 80 and entry.inputs["x"].endswith("...")


@pytest.fixture
def docker_runner() -> Iterator[None]:
    flyte.init(runner="docker", quiet=True)
    yield
    flyte.init(runner="inprocess", quiet=True)


@flyte.trace
def keyed(key: str) -> int:
    return len(key)


GROUP_KEY = flyte.Secret("group_key", as_env_var="GROUP_KEY")
traced = flyte.TaskEnvironment(name="grouping_traced", secrets=GROUP_KEY)


@traced.task
def groups_and_traces_inside(x: int) -> int:
    """In a container: nested calls inside and outside groups, traced helpers (one fails, one sees a secret)."""
    import os

    with flyte.group("inner"):
        a = plain(x)
        with flyte.group("innermost"):
            b = plain(x + 1)
    c = plain(x + 2)
    try:
        explode("no")
    except ValueError:
        pass
    return a + b + c + add(x, y=2) + keyed(os.environ["GROUP_KEY"])


warm = flyte.TaskEnvironment(name="grouping_warm", secrets=GROUP_KEY,
                             reusable=flyte.ReusePolicy(replicas=1, concurrency=2, idle_ttl=30))
warm_groups_and_traces = warm.task(groups_and_traces_inside.func)


@pytest.mark.docker
@pytest.mark.parametrize("reusable", [False, True], ids=["cold", "warm-worker"])
def test_in_a_container_groups_and_traces_reach_the_kernels_record(docker_runner: None, reusable: bool,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYTE_NB_SECRET_GROUP_KEY", "s3cr3t-GROUP-9")
    task = warm_groups_and_traces if reusable else groups_and_traces_inside
    with flyte.group("boxed"):
        assert task(1) == 1 + 2 + 3 + 3 + len("s3cr3t-GROUP-9")
    runs = flyte.registry().runs
    parent = next(r for r in reversed(runs) if r.task == task.name)
    children = [r for r in runs if r.parent == parent.id]
    assert parent.group == "boxed" and [c.group for c in children] == ["inner", "innermost", None]
    assert [(t.name, t.inputs, t.error, t.attempt) for t in parent.traces] == [
        ("explode", {"reason": "'no'"}, "ValueError: no", 1), ("add", {"x": "1", "y": "2"}, None, 1),
        ("keyed", {"key": "'[redacted]'"}, None, 1)]
    assert "[flyte.trace]" not in parent.logs and "s3cr3t" not in str(parent.to_json())


@env.task
def forged_trace() -> list[str]:
    """From inside the container: trace frames to the controller, one unauthenticated, one malformed."""
    import os
    import socket

    from flyte_nb import protocol

    path, token = os.environ["FLYTE_NB_CONTROLLER"], os.environ["FLYTE_NB_TOKEN"]
    entry = {"name": "forged", "started": 0.0, "duration": 0.0, "inputs": {}}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        sock.sendall(protocol.dumps({"op": "trace", "entry": entry}, "not-the-token"))
        dropped = sock.recv(100)
    bad = protocol.request(path, {"op": "trace", "entry": {**entry, "inputs": {"x": 1}}}, token)
    return [repr(dropped), str(bad.get("ok")), str(bad.get("error", {}).get("message", ""))]


@pytest.mark.docker
def test_a_trace_frame_is_authenticated_before_it_is_read_and_checked_before_it_is_kept(
        docker_runner: None) -> None:
    dropped, ok, message = forged_trace()
    assert dropped == "b''" and ok == "False" and "inputs must map str to str" in message
    assert flyte.registry().runs[-1].traces == []


# ---- top-level names -----------------------------------------------------------------------------
def test_apple_silicon_is_the_apple_silicon_device() -> None:
    device = flyte.APPLE_SILICON()
    assert (device.device, device.quantity, device.device_class) == ("AppleSilicon", 1, "APPLE_SILICON")
    assert flyte.Resources(gpu=device).gpu == device


def test_type_aliases_are_typing_aliases_with_the_sdks_members() -> None:
    assert typing.get_args(flyte.DeviceClass) == ("GPU", "TPU", "NEURON", "AMD_GPU", "HABANA_GAUDI", "APPLE_SILICON")
    assert typing.get_args(flyte.TimeoutType) == (flyte.Timeout, int, timedelta)
    behavior, cache = typing.get_args(flyte.CacheRequest)
    assert typing.get_args(behavior) == ("auto", "override", "disable") and cache is flyte.Cache
    assert typing.get_args(flyte.SecretRequest)[:2] == (str, flyte.Secret)


def test_cache_policy_is_a_runtime_protocol_the_default_policy_meets() -> None:
    class GitPolicy:
        def get_version(self, salt: str, params: Any) -> str:
            return salt

    assert isinstance(FunctionBodyPolicy(), flyte.CachePolicy) and isinstance(GitPolicy(), flyte.CachePolicy)
    assert not isinstance(object(), flyte.CachePolicy)
    assert flyte.Cache("auto", policies=[GitPolicy()]).behavior == "auto"


@dataclasses.dataclass
class Pool:
    size: int


@dataclasses.dataclass
class Cluster:
    head: Pool | None  # a PEP 604 optional: the mapping under it still becomes a Pool
    pools: list[Pool] = dataclasses.field(default_factory=list)
    tags: dict[str, str] | None = None


def test_load_plugin_config_builds_nested_dataclasses(tmp_path: Path) -> None:
    path = tmp_path / "ray.yaml"
    path.write_text(f"plugin: {__name__}.Cluster\nconfig:\n  head: {{size: 1}}\n  pools: [{{size: 2}}, {{size: 3}}]\n")
    assert flyte.load_plugin_config(path) == Cluster(head=Pool(1), pools=[Pool(2), Pool(3)])


@pytest.mark.parametrize(("text", "message"), [
    ("config: {}\n", "top-level 'plugin' key"),
    ("plugin: nowhere.Thing\n", "Could not load plugin config class 'nowhere.Thing'"),
    (f"plugin: {__name__}.Cluster\nconfig: {{nope: 1}}\n", r"Unknown field\(s\) \['nope'\]"),
    (f"plugin: {__name__}.Cluster\nconfig: [1]\n", "'config' must be a mapping"),
    ("plugin: pathlib.Path\n", "is not a dataclass"),
])
def test_load_plugin_config_refuses_bad_files_naming_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        flyte.load_plugin_config(str(path))


def test_custom_excepthook_prints_a_filtered_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        raise KeyError("lost")
    except KeyError:
        flyte.custom_excepthook(*sys.exc_info())
    printed = capsys.readouterr()  # the frames go to stderr (traceback.print_list), the rest to stdout
    assert printed.out.startswith("Filtered traceback (most recent call last):") and "KeyError: 'lost'" in printed.out
    assert "test_grouping.py" in printed.err and "raise KeyError" in printed.err


def test_models_holds_the_task_context_types() -> None:
    assert flyte.models.TaskContext is type(flyte.ctx()).__mro__[1]
    assert not flyte.models.NULL_TASK_CONTEXT and flyte.models.ActionID(name="a").name == "a"


def test_a_maps_calls_record_the_sdks_group_name(inprocess: None) -> None:
    assert list(flyte.map(plain, [1, 2])) == [1, 2]
    assert list(flyte.map(plain, [3], group_name="batch")) == [3]

    async def collect() -> list[int]:
        return [x async for x in flyte.map.aio(plain, [4], group_name="async")]

    assert asyncio.run(collect()) == [4]
    assert [run.group for run in flyte.registry().runs] == ["grouping.plain_map"] * 2 + ["grouping.plain_batch",
                                                                                        "grouping.plain_async"]


def test_custom_excepthook_hides_flyte_nbs_frames_unless_debugging(inprocess: None,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    @env.task
    def fails() -> int:
        raise KeyError("in task")

    try:
        fails()
    except KeyError:
        info = sys.exc_info()
    flyte.custom_excepthook(*info)
    filtered = capsys.readouterr().err
    assert "test_grouping.py" in filtered and "flyte_nb/runtime.py" not in filtered
    level = flyte.system_logger.level
    flyte.system_logger.setLevel("DEBUG")  # flyte_nb keeps its frames at DEBUG (flyte_nb.tracebacks)
    try:
        try:
            fails()
        except KeyError:
            info = sys.exc_info()
        flyte.custom_excepthook(*info)
    finally:
        flyte.system_logger.setLevel(level)
    assert "flyte_nb/runtime.py" in capsys.readouterr().err
