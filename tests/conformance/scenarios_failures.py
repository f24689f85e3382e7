"""What a caller receives when a task fails: a parent task around a child call, flyte.run, flyte.map, a direct
call. flyte 2.12.1 raises flyte.errors.RuntimeUserError (code: the failed code's exception class name, str: its
message, kind "user", worker "user") to a parent task and to flyte.run; flyte.errors raised by the code (OOMError,
a RuntimeUserError of its own) keep their class and code; a direct call of an async task keeps the exception.

Facts from flyte 2.12.1's observed local mode; each nested scenario runs under flyte_nb in-process and, for the
ones marked, in Docker containers (the error crosses the container boundary twice there).
"""

from __future__ import annotations

from tests.conformance.harness import Scenario

TASKS = '''
import asyncio
env = flyte.TaskEnvironment(name="conf_fail")

class MyError(Exception):
    pass

@env.task
async def fails(x: int) -> int:
    raise ValueError(f"bad {x}")

@env.task
def fails_sync(x: int) -> int:
    raise KeyError(f"k{x}")

@env.task
async def fails_custom() -> int:
    raise MyError("mine")

@env.task
async def fails_user_error() -> int:
    raise flyte.errors.RuntimeUserError("MyCode", "my message")

@env.task
async def fails_oom() -> int:
    raise flyte.errors.OOMError("OOMKilled", "custom oom")

@env.task
async def fails_from_exception() -> int:
    raise flyte.errors.CustomError.from_exception(KeyError("kk"))

@env.task(retries=1)
async def fails_retried() -> int:
    raise ValueError("again")

@env.task
def odd_fails(x: int) -> int:
    if x % 2:
        raise ValueError(f"odd {x}")
    return x

def info(e):
    return [type(e).__name__, str(e), getattr(e, "code", None), getattr(e, "kind", None), getattr(e, "worker", None),
            isinstance(e, ValueError), list(e.args)]

flyte.init()
'''

#: (scenario key, the awaited child call inside an async parent task)
NESTED = [
    ("value_error", "fails(1)"),
    ("custom_class", "fails_custom()"),
    ("own_runtime_user_error", "fails_user_error()"),
    ("oom_error_kept", "fails_oom()"),
    ("custom_error_from_exception", "fails_from_exception()"),
    ("retries_exhausted", "fails_retried()"),
]
#: The ones also run with tasks in containers (the error is packed in the child's container, rebuilt in the kernel,
#: packed again for the parent's container).
IN_DOCKER = {"value_error", "custom_class", "own_runtime_user_error", "oom_error_kept"}


def nested(key: str, call: str, runner: str) -> Scenario:
    suffix = ".docker" if runner == "docker" else ""
    return Scenario(f"failures.nested.{key}{suffix}", TASKS + f'''
@env.task
async def parent() -> list:
    try:
        await {call}
    except Exception as e:
        return info(e)
    return []
result = flyte.run(parent).outputs()[0]
''', timeout=120.0, runner=runner)


SCENARIOS = [
    *(nested(key, call, "inprocess") for key, call in NESTED),
    *(nested(key, call, "docker") for key, call in NESTED if key in IN_DOCKER),
    Scenario("failures.nested.sync_parent_sync_child", TASKS + '''
@env.task
def parent() -> list:
    try:
        fails_sync(2)
    except Exception as e:
        return info(e)
    return []
result = flyte.run(parent).outputs()[0]
'''),
    Scenario("failures.nested.except_value_error_does_not_catch", TASKS + '''
@env.task
async def parent() -> str:
    try:
        await fails(3)
    except ValueError:
        return "caught as ValueError"
    except flyte.errors.RuntimeUserError as e:
        return f"caught as RuntimeUserError {e.code}"
    return "not raised"
result = flyte.run(parent).outputs()[0]
'''),
    Scenario("failures.run.async_task", TASKS + '''
try:
    flyte.run(fails, 3)
except Exception as e:
    result = info(e)
'''),
    Scenario("failures.run.sync_task", TASKS + '''
try:
    flyte.run(fails_sync, 4)
except Exception as e:
    result = info(e)
'''),
    Scenario("failures.run.aio", TASKS + '''
try:
    asyncio.run(flyte.run.aio(fails, 5))
except Exception as e:
    result = info(e)
'''),
    Scenario("failures.run.custom_class", TASKS + '''
try:
    flyte.run(fails_custom)
except Exception as e:
    result = info(e)
'''),
    Scenario("failures.run.async_task.docker", TASKS + '''
try:
    flyte.run(fails, 3)
except Exception as e:
    result = info(e)
''', timeout=120.0, runner="docker"),
    Scenario("failures.direct.async_call_keeps_the_exception", TASKS + '''
try:
    asyncio.run(fails(6))
except Exception as e:
    result = info(e)
'''),
    Scenario("failures.direct.sync_call", TASKS + '''
try:
    fails_sync(7)
except Exception as e:
    result = info(e)[:2]
'''),
    Scenario("failures.map.raises_without_return_exceptions", TASKS + '''
@env.task
def parent() -> list:
    try:
        list(flyte.map(odd_fails, [2, 1], return_exceptions=False))
    except Exception as e:
        return info(e)
    return []
result = flyte.run(parent).outputs()[0]
'''),
    Scenario("failures.map.returned_exception", TASKS + '''
@env.task
def parent() -> list:
    return [info(r) if isinstance(r, Exception) else r for r in flyte.map(odd_fails, [2, 1])]
result = flyte.run(parent).outputs()[0]
'''),
]
