"""Bad values at allowed cells: a ConfigError naming parameter, value and level; nothing changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import flyte_nb as flyte
from flyte_nb.config.errors import show
from flyte_nb.config.parameters import BY_NAME, Level


_cron = flyte.Cron("0 * * * *")

BAD: dict[str, list[Any]] = {
    "name": ["My_Env", "my env", "-x", "x-", "a__b", "", 123, "é", "a" * 64, None],
    "short_name": ["", "has space", 5, "x" * 64, ["s"]],
    "image": [5, "", {}, ["python:3.11"], 3.5],
    "resources": ["2", {"cpu": 1}, 4, ["cpu"]],
    "env_vars": [{"1A": "x"}, {"A": 1}, ["A"], "A=1", {"A B": "x"}, {"A": None}, {3: "x"}],
    "secrets": [5, [5], {"key": "x"}, ["a", 3], "bad key!", [flyte.Secret("a"), flyte.Secret("a")], [None]],
    "cache": ["always", "AUTO", True, 1, {}, "", ["auto"]],
    "pod_template": [5, "", {"labels": {}}, [], "   "],
    "reusable": ["on", 2, True, {"replicas": 2}, "OFF"],
    "depends_on": ["other_env", [1], ["other_env"], 5, {"x": 1}],
    "description": [5, "x" * 256, ["d"]],
    "report": ["yes", 1, 0, "True"],
    "max_inline_io_bytes": [-1, 1.5, "100", True, -100, [1]],
    "retries": [-1, 1.5, "3", True, [3], 101, -100],
    "timeout": [-5, "60", True, [60], timedelta(seconds=-1)],  # 0 is "no limit", as in the SDK
    "triggers": ["hourly", _cron, [1], [flyte.Trigger("a", _cron), flyte.Trigger("a", _cron)]],
    "links": ["https://x", 5, ["a"], {"name": "x"}],
    "interruptible": ["yes", 1, 0, "false"],
    "queue": ["", "has space", 5, "-bad", "x" * 64],
    "docs": [5, ["d"], b"bytes"],
}

CASES = [
    (name, level, value)
    for name, values in BAD.items()
    for level in BY_NAME[name].levels
    for value in values
]


def test_at_least_150_bad_inputs() -> None:
    assert len(CASES) + len(MODEL_CASES) >= 150


def _snapshot() -> tuple[set[str], set[str], list[dict[str, Any]]]:
    reg = flyte.registry()
    return set(reg.environments), set(reg.tasks), [dict(t.decorator_settings) for t in reg.tasks.values()]


@pytest.mark.parametrize(("name", "level", "value"), CASES,
                         ids=[f"{n}-{lv.value}-{i}" for i, (n, lv, _) in enumerate(CASES)])
def test_bad_value_is_refused_clearly(name: str, level: Level, value: Any) -> None:
    env = flyte.TaskEnvironment(name="cell_env")
    task = env.task(_probe)
    before = _snapshot()
    with pytest.raises(flyte.ConfigError) as info:
        if level is Level.ENVIRONMENT:
            settings = {"name": "bad_env", name: value} if name != "name" else {"name": value}
            flyte.TaskEnvironment(**settings)
        elif level is Level.DECORATOR:
            env.task(**{name: value})(_other)
        else:
            task.override(**{name: value})
    message = str(info.value)
    assert f"{name}=" in message, message
    assert show(value) in message, message
    assert level.title in message, message
    assert info.value.parameter == name and info.value.level == level.value
    assert _snapshot() == before  # nothing registered, nothing changed
    assert dict(task.override_settings) == {}


MODEL_CASES: list[tuple[Any, dict[str, Any], str]] = [
    (flyte.Resources, {"cpu": 0}, "cpu"),
    (flyte.Resources, {"cpu": -1}, "cpu"),
    (flyte.Resources, {"cpu": "abc"}, "cpu"),
    (flyte.Resources, {"cpu": "500x"}, "cpu"),
    (flyte.Resources, {"cpu": (4, 2)}, "cpu"),
    (flyte.Resources, {"cpu": (1, 2, 3)}, "cpu"),
    (flyte.Resources, {"cpu": True}, "cpu"),
    (flyte.Resources, {"memory": "2GB"}, "memory"),
    (flyte.Resources, {"memory": "lots"}, "memory"),
    (flyte.Resources, {"memory": ("2Gi", "1Gi")}, "memory"),
    (flyte.Resources, {"memory": 1.5}, "memory"),
    (flyte.Resources, {"memory": "0Mi"}, "memory"),
    (flyte.Resources, {"gpu": "X100:1"}, "gpu"),
    (flyte.Resources, {"gpu": "A100:0"}, "gpu"),
    (flyte.Resources, {"gpu": "A100"}, "gpu"),
    (flyte.Resources, {"gpu": -1}, "gpu"),
    (flyte.Resources, {"disk": "big"}, "disk"),
    (flyte.Resources, {"shm": "huge"}, "shm"),
    (flyte.Resources, {"cpus": 2}, "cpus"),
    (flyte.Device, {"quantity": 0}, "quantity"),
    (flyte.Device, {"quantity": 1, "device_class": "FPGA"}, "device_class"),
    (flyte.Secret, {"key": ""}, "key"),
    (flyte.Secret, {"key": "k", "as_env_var": "1BAD"}, "as_env_var"),
    (flyte.Secret, {"key": "k", "mount": "relative/path"}, "mount"),
    (flyte.Cache, {"behavior": "sometimes"}, "behavior"),
    (flyte.Cache, {"behavior": "auto", "max_age": timedelta(seconds=-1)}, "max_age"),
    (flyte.RetryStrategy, {"count": -1}, "count"),
    (flyte.RetryStrategy, {"count": 1, "backoff": -2}, "backoff"),
    (flyte.Timeout, {"max_runtime": -2}, "max_runtime"),  # 0 is "no limit", as in the SDK
    (flyte.Timeout, {"max_queued_time": -1}, "max_queued_time"),
    (flyte.Timeout, {"deadline": "soon"}, "deadline"),
    (flyte.ReusePolicy, {"replicas": 0}, "replicas"),
    (flyte.ReusePolicy, {"replicas": (3, 1)}, "replicas"),
    (flyte.ReusePolicy, {"replicas": (0, 0)}, "replicas"),
    (flyte.ReusePolicy, {"idle_ttl": 0}, "idle_ttl"),
    (flyte.ReusePolicy, {"concurrency": 0}, "concurrency"),
    (flyte.ReusePolicy, {"scaledown_ttl": -1}, "scaledown_ttl"),
    (flyte.ReusePolicy, {"scope": "cluster"}, "scope"),
    (flyte.Cron, {"expression": "every hour"}, "expression"),
    (flyte.Cron, {"expression": "* * *"}, "expression"),
    (flyte.FixedRate, {"interval_minutes": 0}, "interval_minutes"),
    (flyte.Trigger, {"name": "", "automation": flyte.Cron("@hourly")}, "name"),
    (flyte.Link, {"name": "x", "url": "not a url"}, "url"),
    (flyte.PodTemplate, {"primary_container_name": ""}, "primary_container_name"),
]


@pytest.mark.parametrize(("model", "kwargs", "field"), MODEL_CASES,
                         ids=[f"{m.__name__}-{i}" for i, (m, _, _) in enumerate(MODEL_CASES)])
def test_bad_setting_model_is_refused_clearly(model: Any, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(flyte.ConfigError) as info:
        model(**kwargs)
    message = str(info.value)
    assert message.startswith(f"{model.__name__}("), message
    assert field in message, message
    for value in kwargs.values():
        assert show(value) in message, message


def test_reusable_with_plugin_config_is_refused() -> None:
    with pytest.raises(flyte.ConfigError, match="plugin_config") as info:
        flyte.TaskEnvironment(name="both", reusable=flyte.ReusePolicy(replicas=2), plugin_config={"p": 1})
    assert "reusable=" in str(info.value) and "TaskEnvironment" in str(info.value)
    assert "both" not in flyte.registry().environments


def test_unknown_parameter_suggests_the_close_one() -> None:
    env = flyte.TaskEnvironment(name="typo_env")
    with pytest.raises(flyte.ConfigError, match="did you mean 'retries'") as info:
        env.task(retires=3)
    assert "@env.task decorator" in str(info.value)


def test_missing_or_none_name_is_refused() -> None:
    with pytest.raises(flyte.ConfigError, match="name"):
        flyte.TaskEnvironment()
    with pytest.raises(flyte.ConfigError, match="name=None"):
        flyte.TaskEnvironment(name=None)


def test_decorating_a_non_function_is_refused() -> None:
    env = flyte.TaskEnvironment(name="deco_env")
    with pytest.raises(flyte.ConfigError, match="lambda"):
        env.task(lambda x: x)
    with pytest.raises(flyte.ConfigError, match="function"):
        env.task(5)
    assert flyte.registry().tasks == {}


async def _probe(x: int) -> int:
    return x


async def _other(x: int) -> int:
    return x
