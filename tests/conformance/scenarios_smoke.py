"""Smoke scenarios over flyte's top-level names: they prove the harness on both implementations."""

from __future__ import annotations

from tests.conformance.harness import Scenario

SCENARIOS = [
    Scenario("smoke.task_environment_is_a_class", "result = isinstance(flyte.TaskEnvironment, type)"),
    Scenario("smoke.environment_name", "result = flyte.TaskEnvironment(name='smoke').name"),
    Scenario("smoke.resources_cpu", "result = flyte.Resources(cpu=2).cpu"),
    Scenario("smoke.resources_memory", "result = flyte.Resources(memory='1Gi').memory"),
    Scenario("smoke.resources_cpu_range", "result = flyte.Resources(cpu=(1, 2)).cpu"),
    Scenario("smoke.cache_behavior", "result = flyte.Cache(behavior='auto').behavior"),
    Scenario("smoke.cache_version_override", "result = flyte.Cache('override', version_override='v1').version_override"),
    Scenario("smoke.secret_key", "result = flyte.Secret(key='token').key"),
    Scenario("smoke.secret_group", "result = flyte.Secret(key='token', group='grp').group"),
    Scenario("smoke.retry_strategy_count", "result = flyte.RetryStrategy(count=3).count"),
    Scenario("smoke.trigger_name", "result = flyte.Trigger('nightly', flyte.Cron('0 0 * * *')).name"),
    Scenario("smoke.cron_expression", "result = flyte.Cron('0 0 * * *').expression"),
    Scenario("smoke.image_is_a_class", "result = isinstance(flyte.Image, type)"),
    Scenario("smoke.top_level_names", """
names = ['TaskEnvironment', 'Resources', 'Cache', 'Image', 'Secret', 'ReusePolicy', 'Timeout', 'RetryStrategy',
         'Trigger', 'Cron', 'FixedRate', 'PodTemplate', 'GPU', 'TPU', 'Device', 'run', 'init', 'with_runcontext',
         'group', 'trace', 'Documentation', 'Backoff', 'init_from_config']
result = [n for n in names if not hasattr(flyte, n)]
"""),
    Scenario("smoke.task_runs_locally", """
env = flyte.TaskEnvironment(name='smoke_run')

@env.task
def add(a: int, b: int) -> int:
    return a + b

flyte.init()
result = flyte.run(add, 2, 3).outputs()[0]
"""),
    Scenario("smoke.with_runcontext_local", """
env = flyte.TaskEnvironment(name='smoke_ctx')

@env.task
def greet(name: str) -> str:
    return 'hi ' + name

flyte.init()
result = flyte.with_runcontext(mode='local').run(greet, name='ann').outputs()[0]
"""),
    Scenario("smoke.nested_task_call", """
env = flyte.TaskEnvironment(name='smoke_nested')

@env.task
def double(x: int) -> int:
    return 2 * x

@env.task
def main(x: int) -> int:
    return double(x) + 1

flyte.init()
result = flyte.run(main, 4).outputs()[0]
"""),
    Scenario("smoke.async_task", """
import asyncio
env = flyte.TaskEnvironment(name='smoke_async')

@env.task
async def square(x: int) -> int:
    return x * x

@env.task
async def main(n: int) -> list[int]:
    return list(await asyncio.gather(*[square(i) for i in range(n)]))

flyte.init()
result = flyte.run(main, 4).outputs()[0]
"""),
    Scenario("smoke.task_error_is_raised", """
env = flyte.TaskEnvironment(name='smoke_err')

@env.task
def boom(x: int) -> int:
    raise ValueError('no ' + str(x))

flyte.init()
try:
    flyte.run(boom, 1)
    result = 'no error'
except Exception as e:
    result = 'raised'
"""),
    Scenario("smoke.print_in_scenario_is_captured", "print('{not json'); result = 'printed'"),
    Scenario("smoke.bad_resources_type", "flyte.Resources(cpu=object())"),
]
