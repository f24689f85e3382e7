"""The public API under Flyte 2 names: decorators, signatures, clone_with, images, flyte.run (the SDK's Run)."""

from __future__ import annotations

import asyncio
import inspect
import typing
from pathlib import Path

import pytest

import flyte_nb as flyte

NAMES = ["TaskEnvironment", "Resources", "Image", "Secret", "Cache", "RetryStrategy", "Timeout", "ReusePolicy",
         "PodTemplate", "Trigger", "Cron", "FixedRate", "Link", "Device", "GPU", "TPU", "run", "init"]


def test_public_names_exist() -> None:
    for name in NAMES:
        assert hasattr(flyte, name), name


def test_task_decorator_bare_and_called_on_def_and_async_def(inprocess: None) -> None:
    env = flyte.TaskEnvironment(name="api_env")

    @env.task
    def plain(x: int, y: int = 2) -> int:
        """Adds."""
        return x + y

    @env.task(retries=1)
    async def coro(name: str) -> str:
        """Greets."""
        return f"Hello {name}!"

    assert plain(1) == 3
    assert asyncio.run(coro("you")) == "Hello you!"
    assert inspect.signature(plain) == inspect.signature(plain.func)
    assert list(inspect.signature(plain).parameters) == ["x", "y"]
    assert inspect.signature(plain).parameters["y"].default == 2
    assert plain.__doc__ == "Adds." and coro.__doc__ == "Greets."
    assert typing.get_type_hints(coro) == {"name": str, "return": str}
    assert plain.__name__ == "plain" and coro.is_async and not plain.is_async
    assert plain.name == "api_env.plain"
    with pytest.raises(TypeError, match="api_env.plain"):
        plain(1, 2, 3)


def test_flyte_run_and_aio(inprocess: None) -> None:
    env = flyte.TaskEnvironment(name="run_env")

    @env.task
    def sq(x: int) -> int:
        return x * x

    run = flyte.run(sq, 4)  # the SDK's Run: name, url, outputs() a tuple
    assert run.outputs() == (16,) and run.outputs()[0] == 16 and run.done() and run.wait() is None
    assert run.name == flyte.registry().runs[-1].id and run.url == f"flyte_nb://runs/{run.name}"
    assert repr(run).startswith(f"_InlineRun(\n    url='[blue bold][link={run.url}]link[/link][/blue bold]',\n"
                                f"    labels={{}},\n    name={run.name!r},\n    action name='a0',\n")
    assert type(run.outputs()).__name__ == "ActionOutputs" and repr(run.outputs()) == "ActionOutputs(o0=16)"
    assert asyncio.run(flyte.run.aio(sq, 5)).outputs() == (25,)
    assert asyncio.run(sq.aio(6)) == 36
    with pytest.raises(TypeError, match="needs a task"):
        flyte.run(lambda: 1)


def test_gather_runs_calls_concurrently(inprocess: None) -> None:
    env = flyte.TaskEnvironment(name="gather_env")

    @env.task
    async def nap(i: int) -> int:
        await asyncio.sleep(0.3)
        return i

    async def main() -> list[int]:
        return await asyncio.gather(*(nap(i) for i in range(8)))

    loop = asyncio.new_event_loop()
    start = loop.time()
    assert loop.run_until_complete(main()) == list(range(8))
    # eight 0.3 s naps overlapped: far below the 2.4 s of running them one after another
    assert loop.time() - start < 2.0
    loop.close()


def test_retries_count_attempts_and_timeout_names_the_limit(inprocess: None) -> None:
    env = flyte.TaskEnvironment(name="retry_env")
    calls: list[int] = []

    @env.task(retries=flyte.RetryStrategy(2, backoff=0))
    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ValueError("not yet")
        return "ok"

    assert flaky() == "ok" and len(calls) == 3
    run = flyte.registry().runs[-1]
    assert [a.status.value for a in run.attempts] == ["failed", "failed", "succeeded"]

    @env.task(timeout=1)
    async def slow() -> None:
        await asyncio.sleep(10)

    with pytest.raises(flyte.TaskTimeoutError, match=r"retry_env.slow.*timeout=1s"):
        asyncio.run(slow())
    calls.clear()
    with pytest.raises(ValueError, match="not yet"):
        flaky.override(retries=0)()  # the explicit 0 wins over the decorator's 2
    assert len(calls) == 1


def test_clone_with_copies_and_changes_settings() -> None:
    base = flyte.TaskEnvironment(name="base_env", queue="q", env_vars={"A": "1"})
    clone = base.clone_with(name="clone_env", env_vars={"B": "2"})
    assert clone.settings["queue"] == "q" and clone.settings["env_vars"] == {"B": "2"}
    assert base.settings["env_vars"] == {"A": "1"}
    assert set(flyte.registry().environments) == {"base_env", "clone_env"}


def test_image_is_immutable_and_content_hashed(tmp_path: Path) -> None:
    base = flyte.Image.from_debian_base()
    with_np = base.with_pip_packages("numpy==2.1.0")
    assert base.layers == () and len(with_np.layers) == 1
    assert with_np.tag == flyte.Image.from_debian_base().with_pip_packages("numpy==2.1.0").tag
    assert with_np.tag != base.tag and with_np.tag.startswith("flyte-nb/default:")
    req = tmp_path / "requirements.txt"
    req.write_text("pandas\n")
    one = base.with_requirements(req)
    req.write_text("polars\n")
    two = base.with_requirements(req)
    assert one.tag != two.tag  # file layers hash their content, not their path
    chain = (base.with_apt_packages("curl").with_env_vars({"X": "1"}).with_commands(["echo hi"])
             .with_workdir("/app"))
    assert [layer.kind for layer in chain.layers] == ["apt", "env", "commands", "workdir"]
    with pytest.raises(Exception):
        chain.name = "other"  # frozen
    with pytest.raises(flyte.ConfigError, match="pip requirement"):
        base.with_pip_packages("not a package!")


def test_setting_models_take_positional_arguments_like_the_sdk() -> None:
    assert flyte.Secret("k", "g").group == "g"
    assert flyte.Cache("auto").behavior == "auto"
    assert flyte.RetryStrategy(3).count == 3
    assert flyte.Cron("0 * * * *").timezone == "UTC"
    assert flyte.GPU("A100", 2) == flyte.Device(quantity=2, device_class="GPU", device="A100")
    assert flyte.Resources(cpu=("1", "2"), memory="1Gi").cpu_request_limit() == (1.0, 2.0)
    assert flyte.Resources(memory="512Mi").memory_request_limit() == (512 * 2**20, 512 * 2**20)


def test_signatures_are_generated_from_the_table() -> None:
    env_params = inspect.signature(flyte.TaskEnvironment.__init__).parameters
    assert "resources" in env_params and "retries" not in env_params
    task_params = inspect.signature(flyte.TaskEnvironment.task).parameters
    assert "retries" in task_params and "resources" not in task_params
