"""A call that sets what its runner cannot enforce says so, once per task and parameter."""

from __future__ import annotations

import pytest

import flyte_nb as flyte


def test_inprocess_names_what_it_cannot_enforce(inprocess: None, capfd: pytest.CaptureFixture[str]) -> None:
    env = flyte.TaskEnvironment(name="support_env", resources=flyte.Resources(cpu=1, memory="1Gi"),
                                env_vars={"A": "1"})

    @env.task
    def f() -> int:
        return 1

    assert f() == 1 and f() == 1
    err = capfd.readouterr().out  # notices are stdout lines
    assert err.count("task support_env.f: resources is not enforced by the inprocess runner") == 1
    assert "env_vars is not enforced by the inprocess runner" in err


def test_local_runner_names_the_image_and_triggers(capfd: pytest.CaptureFixture[str]) -> None:
    flyte.init(runner="local", quiet=True)
    env = flyte.TaskEnvironment(name="support_local", image=flyte.Image.from_debian_base().with_pip_packages("six"))

    @env.task(triggers=flyte.Trigger("hourly", flyte.Cron("0 * * * *")))
    def g() -> int:
        return 2

    assert g() == 2
    err = capfd.readouterr().out
    assert "task support_local.g: image is not enforced by the local runner" in err
    assert "triggers is not enforced by the local runner (schedules run on a Flyte cluster" in err
    assert "resources is not enforced" not in err  # not set, nothing to say
