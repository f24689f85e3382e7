"""Provenance, precedence, explicit falsy overrides, and immutability of override()."""

from __future__ import annotations

from datetime import timedelta

import flyte_nb as flyte
from flyte_nb.config.parameters import PARAMETERS, Level


def make():
    env = flyte.TaskEnvironment(
        name="prov_env", resources=flyte.Resources(cpu=1), env_vars={"A": "env"}, cache="auto",
        interruptible=True, queue="env-q",
    )

    @env.task(retries=3, timeout=60, cache="override", queue="deco-q")
    async def work(x: int) -> int:
        """Doubles x."""
        return 2 * x

    return env, work


def test_every_parameter_has_an_effective_value_and_a_level() -> None:
    _, work = make()
    resolution = work.resolve()
    assert list(resolution) == [p.name for p in PARAMETERS]
    levels = {name: e.level for name, e in resolution.items()}
    assert levels["name"] is Level.ENVIRONMENT and resolution.value("name") == "prov_env"
    assert levels["resources"] is Level.ENVIRONMENT
    assert levels["interruptible"] is Level.ENVIRONMENT
    assert levels["cache"] is Level.DECORATOR and resolution.value("cache") == flyte.Cache("override")
    assert levels["queue"] is Level.DECORATOR and resolution.value("queue") == "deco-q"
    assert levels["retries"] is Level.DECORATOR
    assert levels["report"] is Level.DEFAULT and resolution.value("report") is False
    assert levels["max_inline_io_bytes"] is Level.DEFAULT and resolution.value("max_inline_io_bytes") == 10 * 2**20
    assert resolution.value("short_name") == "work" and levels["short_name"] is Level.DEFAULT
    assert resolution.value("docs") == "Doubles x."
    assert resolution.value("image") == flyte.Image.from_debian_base()


def test_override_wins_and_is_reported_as_override() -> None:
    _, work = make()
    over = work.override(queue="over-q", resources=flyte.Resources(cpu=4, memory="2Gi"), retries=1)
    r = over.resolve()
    assert r["queue"].level is Level.OVERRIDE and r.value("queue") == "over-q"
    assert r.value("resources") == flyte.Resources(cpu=4, memory="2Gi")
    assert r.value("retries").count == 1
    assert r["timeout"].level is Level.DECORATOR


def test_explicit_falsy_overrides_are_honored() -> None:
    _, work = make()
    over = work.override(retries=0, env_vars={}, cache="disable", timeout=None, interruptible=False)
    r = over.resolve()
    assert r.value("retries").count == 0 and r["retries"].level is Level.OVERRIDE
    assert r.value("env_vars") == {} and r["env_vars"].level is Level.OVERRIDE
    assert r.value("cache").behavior == "disable" and r["cache"].level is Level.OVERRIDE
    assert r.value("timeout") is None and r["timeout"].level is Level.OVERRIDE
    assert r.value("interruptible") is False and r["interruptible"].level is Level.OVERRIDE


def test_falsy_decorator_values_are_honored_over_the_environment() -> None:
    env = flyte.TaskEnvironment(name="falsy_env", cache="auto", interruptible=True)

    @env.task(cache="disable", interruptible=False, max_inline_io_bytes=0)
    def f() -> None: ...

    r = f.resolve()
    assert r.value("cache").behavior == "disable" and r["cache"].level is Level.DECORATOR
    assert r.value("interruptible") is False and r["interruptible"].level is Level.DECORATOR
    assert r.value("max_inline_io_bytes") == 0


def test_override_never_mutates_the_original_and_chains() -> None:
    _, work = make()
    before = work.resolve().to_json()
    first = work.override(retries=5)
    second = first.override(timeout=timedelta(seconds=5), queue="q2")
    assert work.resolve().to_json() == before
    assert first is not work and second is not first
    assert first.resolve().value("retries").count == 5 and first.resolve()["timeout"].level is Level.DECORATOR
    assert second.resolve().value("retries").count == 5  # carried through the chain
    assert second.resolve().value("timeout").max_runtime == timedelta(seconds=5)
    assert work.override_settings == {} and dict(first.override_settings).keys() == {"retries"}
    assert second.name == work.name and second.func is work.func
    # overrides are call-site variants, not new registry entries
    assert list(flyte.registry().tasks) == ["prov_env.work"]


def test_env_only_resolution_of_task_level_parameters_uses_defaults() -> None:
    env, _ = make()
    r = env.resolve()
    assert r["retries"].level is Level.DEFAULT and r.value("retries").count == 0
    assert r["env_vars"].level is Level.ENVIRONMENT
    assert env.resources == flyte.Resources(cpu=1)  # attribute access reads the same resolution


def test_resolution_to_json_is_json() -> None:
    import json

    _, work = make()
    data = work.override(timeout=5).resolve().to_json()
    text = json.dumps(data)
    assert '"level": "override"' in text
    assert data["timeout"]["value"] == {"max_runtime": 5.0}
    assert data["resources"]["value"] == {"cpu": 1}
