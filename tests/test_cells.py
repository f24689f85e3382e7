"""All 63 (parameter, level) cells: allowed cells accept a valid value, forbidden ones refuse it."""

from __future__ import annotations

import pytest

import flyte_nb as flyte
from flyte_nb.config.parameters import LEVELS, PARAMETERS, Level

from .helpers import set_at, valid_value

CELLS = [(p.name, level) for p in PARAMETERS for level in LEVELS]
ALLOWED = [(n, lv) for n, lv in CELLS if next(p for p in PARAMETERS if p.name == n).rule(lv).allowed]
FORBIDDEN = [(n, lv) for n, lv in CELLS if (n, lv) not in ALLOWED]


def test_there_are_63_cells() -> None:
    assert len(CELLS) == 63 and len(ALLOWED) == 38 and len(FORBIDDEN) == 25


@pytest.mark.parametrize(("name", "level"), ALLOWED, ids=[f"{n}-{lv.value}" for n, lv in ALLOWED])
def test_allowed_cell_accepts_and_takes_effect(name: str, level: Level) -> None:
    value = valid_value(name)
    holder = set_at(level, name, value)
    effective = holder.resolve()[name]
    assert effective.level is level
    if name == "name":
        assert effective.value == "cell_env"
    elif name == "depends_on":
        assert [e.name for e in effective.value] == ["dep_env"]
    elif name == "cache":
        assert effective.value == flyte.Cache("auto")
    elif name == "retries":
        assert effective.value == flyte.RetryStrategy(2)
    elif name == "timeout":
        assert effective.value.seconds("max_runtime") == 30
    elif name in ("secrets", "triggers", "links"):
        assert effective.value == (value,)
    else:
        assert effective.value == value


@pytest.mark.parametrize(("name", "level"), FORBIDDEN, ids=[f"{n}-{lv.value}" for n, lv in FORBIDDEN])
def test_forbidden_cell_refuses_with_a_message_naming_everything(name: str, level: Level) -> None:
    value = valid_value(name)
    before_envs, before_tasks = set(flyte.registry().environments), set(flyte.registry().tasks)
    with pytest.raises(flyte.ConfigError) as info:
        set_at(level, name, value)
    error = info.value
    message = str(error)
    allowed = next(p for p in PARAMETERS if p.name == name).levels
    assert f"{name}=" in message
    assert level.title in message
    assert "not allowed" in message
    for where in allowed:
        assert where.title in message
    assert error.parameter == name and error.level == level.value
    assert error.allowed_levels == tuple(lv.value for lv in allowed)
    # The refused call made nothing: at most the helper's own environment exists, and no task.
    if level is Level.ENVIRONMENT:
        assert set(flyte.registry().environments) - before_envs <= {"dep_env"}
        assert "cell_env" not in flyte.registry().environments or "cell_env" in before_envs
    if level is Level.DECORATOR:
        assert set(flyte.registry().tasks) == before_tasks
    if level is Level.OVERRIDE:  # the helper's task exists; the refused override left it untouched
        (task,) = flyte.registry().tasks.values()
        assert dict(task.override_settings) == {} and task.resolve()[name].level is not Level.OVERRIDE


@pytest.mark.parametrize("name", ["resources", "env_vars", "secrets"])
def test_if_not_reusable_cells_on_a_reusable_environment(name: str) -> None:
    reusable = {"reusable": flyte.ReusePolicy(replicas=2)}
    with pytest.raises(flyte.ConfigError) as info:
        set_at(Level.OVERRIDE, name, valid_value(name), env_settings=reusable)
    assert "reusable" in str(info.value) and f"{name}=" in str(info.value)
    assert info.value.parameter == name
    # The same override with reusable="off" is allowed and takes effect.
    env = flyte.TaskEnvironment(name="reuse_env", **reusable)
    task = env.task(lambda_free)
    cold = task.override(reusable="off", **{name: valid_value(name)})
    assert cold.resolve()[name].level is Level.OVERRIDE
    assert cold.resolve().value("reusable") == "off"
    assert not cold.resolve().reusable


def test_if_not_reusable_is_judged_after_the_override() -> None:
    env = flyte.TaskEnvironment(name="plain_env")
    task = env.task(lambda_free)
    # An override making the task reusable cannot also set resources.
    with pytest.raises(flyte.ConfigError, match="reusable"):
        task.override(reusable=flyte.ReusePolicy(replicas=2), resources=flyte.Resources(cpu=1))
    # A chain that turned reuse off earlier allows them later.
    env2 = flyte.TaskEnvironment(name="warm_env", reusable=flyte.ReusePolicy(replicas=2))
    chained = env2.task(lambda_free).override(reusable="off").override(env_vars={"A": "b"})
    assert chained.resolve().value("env_vars") == {"A": "b"}


def lambda_free(x: int) -> int:
    return x
