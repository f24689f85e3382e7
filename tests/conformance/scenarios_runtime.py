"""Runtime scenarios: flyte.errors (names, bases, codes, messages), flyte.map, group, trace, ctx(), custom
context, run / with_runcontext outputs, init variants, cluster-only names and the top-level names.

Facts from flyte 2.12.1's documented API and its observed local-mode behaviour; the same code runs
under the real SDK and under flyte_nb's stand-in (tests/conformance/harness.py).
"""

from __future__ import annotations

from tests.conformance.harness import Scenario

#: flyte.errors class -> the names on its MRO (flyte 2.12.1), without object/BaseException/Exception.
ERROR_MRO: dict[str, list[str]] = {
    'ActionAbortedError': ['ActionAbortedError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'ActionNotFoundError': ['ActionNotFoundError', 'RuntimeError'],
    'AppleSiliconBridgeUnreachableError': ['AppleSiliconBridgeUnreachableError', 'AppleSiliconError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'AppleSiliconDaemonOOMError': ['AppleSiliconDaemonOOMError', 'AppleSiliconError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'AppleSiliconDaemonStartFailedError': ['AppleSiliconDaemonStartFailedError', 'AppleSiliconError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'AppleSiliconError': ['AppleSiliconError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'AppleSiliconHostExecFailedError': ['AppleSiliconHostExecFailedError', 'AppleSiliconError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'AppleSiliconModelNotFoundError': ['AppleSiliconModelNotFoundError', 'AppleSiliconError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'AppleSiliconNotAvailableError': ['AppleSiliconNotAvailableError', 'AppleSiliconError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'BaseRuntimeError': ['BaseRuntimeError', 'RuntimeError'],
    'CodeBundleError': ['CodeBundleError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'ConditionAlreadyExistsError': ['ConditionAlreadyExistsError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'ConditionFailedError': ['ConditionFailedError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'ConditionNotFoundError': ['ConditionNotFoundError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'ConditionTimedoutError': ['ConditionTimedoutError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'CustomError': ['CustomError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'DeadlineExceededError': ['DeadlineExceededError', 'TaskTimeoutError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'DeploymentError': ['DeploymentError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'GPUFaultError': ['GPUFaultError', 'BaseRuntimeError', 'RuntimeError'],
    'GPUFaultSystemError': ['GPUFaultSystemError', 'GPUFaultError', 'RuntimeSystemError', 'BaseRuntimeError', 'RuntimeError'],
    'GPUFaultUserError': ['GPUFaultUserError', 'GPUFaultError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'ImageBuildError': ['ImageBuildError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'ImagePullBackOffError': ['ImagePullBackOffError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'InitializationError': ['InitializationError', 'BaseRuntimeError', 'RuntimeError'],
    'InlineIOMaxBytesBreached': ['InlineIOMaxBytesBreached', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'InvalidImageNameError': ['InvalidImageNameError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'InvalidPackageError': ['InvalidPackageError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'LogsNotYetAvailableError': ['LogsNotYetAvailableError', 'BaseRuntimeError', 'RuntimeError'],
    'MaxQueuedTimeExceededError': ['MaxQueuedTimeExceededError', 'TaskTimeoutError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'MaxRuntimeExceededError': ['MaxRuntimeExceededError', 'TaskTimeoutError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'ModuleLoadError': ['ModuleLoadError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'NonRecoverableError': ['NonRecoverableError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'NotInTaskContextError': ['NotInTaskContextError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'OOMError': ['OOMError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'OnlyAsyncIOSupportedError': ['OnlyAsyncIOSupportedError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'ParameterMaterializationError': ['ParameterMaterializationError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'PrimaryContainerNotFoundError': ['PrimaryContainerNotFoundError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'RemoteTaskNotFoundError': ['RemoteTaskNotFoundError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'RemoteTaskUsageError': ['RemoteTaskUsageError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'ResourceExhaustedError': ['ResourceExhaustedError', 'SlowDownError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'RestrictedTypeError': ['RestrictedTypeError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'RetriesExhaustedError': ['RetriesExhaustedError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'RuntimeDataValidationError': ['RuntimeDataValidationError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'RuntimeSystemError': ['RuntimeSystemError', 'BaseRuntimeError', 'RuntimeError'],
    'RuntimeUnknownError': ['RuntimeUnknownError', 'BaseRuntimeError', 'RuntimeError'],
    'RuntimeUserError': ['RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'SlowDownError': ['SlowDownError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'SyncTaskCallInAsyncContextError': ['SyncTaskCallInAsyncContextError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'TaskInterruptedError': ['TaskInterruptedError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'TaskTimeoutError': ['TaskTimeoutError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'TraceDoesNotAllowNestedTasksError': ['TraceDoesNotAllowNestedTasksError', 'RuntimeUserError', 'BaseRuntimeError', 'RuntimeError'],
    'UnionRpcError': ['UnionRpcError', 'RuntimeSystemError', 'BaseRuntimeError', 'RuntimeError'],
}

#: One task module the task scenarios share (defined in each scenario's own namespace).
TASKS = '''
env = flyte.TaskEnvironment(name="conf_rt")

@env.task
def square(x: int) -> int:
    return x * x

@env.task
def add(x: int, y: int) -> int:
    return x + y

@env.task
def fails_on_odd(x: int) -> int:
    if x % 2:
        raise ValueError(f"odd {x}")
    return x

@env.task
def custom() -> dict[str, str]:
    return flyte.get_custom_context()

flyte.init()
'''


def task_scenario(key: str, body: str) -> Scenario:
    """A scenario that runs tasks: the shared tasks, then `body`."""
    return Scenario(f"runtime.{key}", TASKS + body)


ERRORS = [
    Scenario(f"runtime.errors.{name}.mro",
             f"mine = {{m.__name__ for m in flyte.errors.{name}.__mro__}}\n"
             f"result = [n for n in {chain!r} if n not in mine]")
    for name, chain in ERROR_MRO.items()
]

ERROR_VALUES = [Scenario(f"runtime.errors.{key}", code) for key, code in [
    ("custom_error_fields", "e = flyte.errors.CustomError('E1', 'went wrong')\nresult = [str(e), e.code, e.kind]"),
    ("custom_from_exception", "e = flyte.errors.CustomError.from_exception(ValueError('bad'))\n"
                              "result = [e.code, str(e), type(e.__cause__).__name__]"),
    ("user_error_kind", "e = flyte.errors.RuntimeUserError('C', 'm')\nresult = [e.code, e.kind, str(e), e.worker]"),
    ("system_error_kind", "e = flyte.errors.RuntimeSystemError('C', 'm', 'w1')\nresult = [e.code, e.kind, e.worker]"),
    ("unknown_error_kind", "e = flyte.errors.RuntimeUnknownError('C', 'm')\nresult = [e.kind, str(e)]"),
    ("base_error_fields", "e = flyte.errors.BaseRuntimeError('C', 'user', 'm')\nresult = [e.code, e.kind, str(e)]"),
    ("initialization_error", "e = flyte.errors.InitializationError('C', 'user', 'not ready')\nresult = [str(e), e.kind]"),
    ("oom_error_kind", "e = flyte.errors.OOMError('OOM', 'killed')\nresult = [e.kind, str(e), isinstance(e, RuntimeError)]"),
    ("non_recoverable_code", "e = flyte.errors.NonRecoverableError('stop')\nresult = [e.code, str(e), e.kind]"),
    ("non_recoverable_own_code", "e = flyte.errors.NonRecoverableError('stop', code='MINE')\nresult = e.code"),
    ("max_runtime_code", "e = flyte.errors.MaxRuntimeExceededError('late')\nresult = [e.code, str(e)]"),
    ("max_queued_code", "e = flyte.errors.MaxQueuedTimeExceededError('waited')\nresult = [e.code, str(e)]"),
    ("deadline_code", "e = flyte.errors.DeadlineExceededError('over')\nresult = [e.code, str(e)]"),
    ("timeout_message", "result = str(flyte.errors.TaskTimeoutError('late'))"),
    ("module_load_code", "result = flyte.errors.ModuleLoadError('m').code"),
    ("image_build_code", "result = flyte.errors.ImageBuildError('m').code"),
    ("deployment_code", "result = flyte.errors.DeploymentError('m').code"),
    ("restricted_type_code", "result = flyte.errors.RestrictedTypeError('m').code"),
    ("inline_io_code", "result = flyte.errors.InlineIOMaxBytesBreached('m').code"),
    ("slow_down_code", "result = [flyte.errors.SlowDownError('m').code, flyte.errors.ResourceExhaustedError('m').code]"),
    ("logs_not_yet_kind", "e = flyte.errors.LogsNotYetAvailableError('m')\nresult = [e.code, e.kind]"),
    ("data_validation_message", "result = str(flyte.errors.RuntimeDataValidationError('o0', 'bad', 't.x'))"),
    ("invalid_package_message", "result = str(flyte.errors.InvalidPackageError('nope', 'no wheel'))"),
    ("remote_task_not_found_kind", "result = flyte.errors.RemoteTaskNotFoundError('m').kind"),
    ("trace_nested_code", "result = flyte.errors.TraceDoesNotAllowNestedTasksError('m').code"),
    ("apple_not_available", "e = flyte.errors.AppleSiliconNotAvailableError('m')\nresult = [e.code, e.recoverable]"),
    ("apple_daemon_oom", "e = flyte.errors.AppleSiliconDaemonOOMError('m')\nresult = [e.code, e.recoverable]"),
    ("error_used_as_number_raises_itself", "flyte.errors.RuntimeUserError('C', 'boom') + 1"),
    ("error_used_as_right_operand", "3 * flyte.errors.OOMError('C', 'boom')"),
    ("action_not_found_is_runtime_error", "result = issubclass(flyte.errors.ActionNotFoundError, RuntimeError)"),
    ("user_error_needs_code_and_message", "flyte.errors.RuntimeUserError('only')"),
    ("custom_error_is_raisable", "try:\n    raise flyte.errors.CustomError('X', 'y')\n"
                                 "except flyte.errors.RuntimeUserError as e:\n    result = e.code"),
]]

MAP = [
    task_scenario("map.sync_in_order", '''
@env.task
def main() -> list[int]:
    return list(flyte.map(square, [3, 1, 2]))
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("map.concurrency_one", '''
@env.task
def main() -> list[int]:
    return list(flyte.map(square, range(4), concurrency=1))
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("map.two_iterables", '''
@env.task
def main() -> list[int]:
    return list(flyte.map(add, [1, 2, 3], [10, 20, 30]))
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("map.shortest_iterable", '''
@env.task
def main() -> list[int]:
    return list(flyte.map(add, [1, 2, 3], [10]))
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("map.empty", '''
@env.task
def main() -> list[int]:
    return list(flyte.map(square, []))
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("map.partial", '''
import functools

@env.task
def main() -> list[int]:
    return list(flyte.map(functools.partial(add, y=100), [1, 2]))
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("map.group_name", '''
@env.task
def main() -> list[int]:
    return list(flyte.map(square, [5], group_name="squares"))
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("map.return_exceptions_types", '''
@env.task
def main() -> list[str]:
    return [type(r).__name__ for r in flyte.map(fails_on_odd, range(4))]
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("map.return_exceptions_are_runtime_user_errors", '''
@env.task
def main() -> list[bool]:
    return [isinstance(r, flyte.errors.RuntimeUserError) for r in flyte.map(fails_on_odd, [1, 2])]
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("map.returned_error_used_as_number", '''
@env.task
def main() -> str:
    try:
        return str(sum(flyte.map(fails_on_odd, [0, 1])))
    except flyte.errors.RuntimeUserError as error:
        return "raised"
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("map.aio_in_async_task", '''
@env.task
async def main() -> list[int]:
    return [v async for v in flyte.map.aio(square, [2, 3], concurrency=1)]
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("map.aio_return_exceptions", '''
@env.task
async def main() -> list[str]:
    return [type(v).__name__ async for v in flyte.map.aio(fails_on_odd, [0, 1])]
result = flyte.run(main).outputs()[0]
'''),
    Scenario("runtime.map.signature", "import inspect\nresult = list(inspect.signature(flyte.map.__call__).parameters)"),
    Scenario("runtime.map.defaults", "import inspect\nps = inspect.signature(flyte.map.__call__).parameters\n"
             "result = [ps['group_name'].default, ps['concurrency'].default, ps['return_exceptions'].default]"),
    Scenario("runtime.map.aio_is_async_generator",
             "import inspect\nresult = inspect.isasyncgenfunction(flyte.map.aio)"),
    Scenario("runtime.map.aio_signature", "import inspect\nresult = list(inspect.signature(flyte.map.aio).parameters)"),
    Scenario("runtime.map.keyword_only", "import inspect\nps = inspect.signature(flyte.map.__call__).parameters\n"
             "result = [p.kind.name for p in ps.values()]"),
]

GROUP_TRACE = [
    Scenario("runtime.group.is_context_manager", "result = type(flyte.group('g')).__name__"),
    Scenario("runtime.group.signature", "import inspect\nresult = list(inspect.signature(flyte.group).parameters)"),
    Scenario("runtime.group.outside_task", "with flyte.group('outside'):\n    result = 1"),
    task_scenario("group.inside_task", '''
@env.task
def main() -> int:
    with flyte.group("pair"):
        return square(2) + square(3)
result = flyte.run(main).outputs()[0]
'''),
    Scenario("runtime.trace.signature", "import inspect\nresult = list(inspect.signature(flyte.trace).parameters)"),
    Scenario("runtime.trace.callable", "def f(x):\n    return x + 1\nresult = callable(flyte.trace(f))"),
    Scenario("runtime.trace.outside_task_call", "@flyte.trace\ndef f(x):\n    return x + 1\nresult = f(1)"),
    task_scenario("trace.sync_in_task", '''
@flyte.trace
def helper(x: int) -> int:
    return x * 10

@env.task
def main() -> int:
    return helper(4)
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("trace.async_in_task", '''
@flyte.trace
async def helper(x: int) -> int:
    return x * 10

@env.task
async def main() -> int:
    return await helper(5)
result = flyte.run(main).outputs()[0]
'''),
]

CONTEXT = [
    Scenario("runtime.ctx.outside_is_falsy", "result = bool(flyte.ctx())"),
    Scenario("runtime.ctx.outside_repr", "result = repr(flyte.ctx())"),
    Scenario("runtime.ctx.outside_not_none", "result = flyte.ctx() is None"),
    Scenario("runtime.ctx.signature", "import inspect\nresult = list(inspect.signature(flyte.ctx).parameters)"),
    Scenario("runtime.custom.outside_empty", "result = flyte.get_custom_context()"),
    Scenario("runtime.custom.manager_outside_task", "with flyte.custom_context(a='1'):\n"
             "    result = flyte.get_custom_context()"),
    Scenario("runtime.custom.manager_type", "result = type(flyte.custom_context(a='1')).__name__"),
    Scenario("runtime.custom.signature", "import inspect\nresult = [p.kind.name for p in "
             "inspect.signature(flyte.custom_context).parameters.values()]"),
    task_scenario("ctx.inside_type", '''
@env.task
def main() -> list:
    c = flyte.ctx()
    return [type(c).__name__, bool(c), type(c.action).__name__, c.attempt_number, c.mode]
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("ctx.action_names_are_str", '''
@env.task
def main() -> list:
    a = flyte.ctx().action
    return [isinstance(a.name, str), isinstance(a.run_name, str), bool(a.name)]
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("ctx.not_in_cluster", '''
@env.task
def main() -> bool:
    return flyte.ctx().is_in_cluster()
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("ctx.child_same_run", '''
@env.task
def child() -> str:
    return flyte.ctx().action.run_name

@env.task
def main() -> bool:
    c = flyte.ctx()
    return child() == c.action.run_name
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("ctx.child_own_action", '''
@env.task
def child() -> str:
    return flyte.ctx().action.name

@env.task
def main() -> bool:
    return child() != flyte.ctx().action.name
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("custom.from_runcontext", '''
result = flyte.with_runcontext(custom_context={"project": "p1"}).run(custom).outputs()[0]
'''),
    task_scenario("custom.none_by_default", '''
result = flyte.run(custom).outputs()[0]
'''),
    task_scenario("custom.propagates_to_child", '''
@env.task
def main() -> dict[str, str]:
    return custom()
result = flyte.with_runcontext(custom_context={"k": "v"}).run(main).outputs()[0]
'''),
    task_scenario("custom.manager_adds_for_child", '''
@env.task
def main() -> dict[str, str]:
    with flyte.custom_context(team="ml"):
        return custom()
result = flyte.with_runcontext(custom_context={"k": "v"}).run(main).outputs()[0]
'''),
    task_scenario("custom.manager_overrides_key", '''
@env.task
def main() -> dict[str, str]:
    with flyte.custom_context(k="new"):
        return custom()
result = flyte.with_runcontext(custom_context={"k": "old"}).run(main).outputs()[0]
'''),
    task_scenario("custom.manager_restored_after_block", '''
@env.task
def main() -> list:
    with flyte.custom_context(a="1"):
        inside = flyte.get_custom_context()
    return [inside, flyte.get_custom_context()]
result = flyte.run(main).outputs()[0]
'''),
    task_scenario("custom.in_async_task", '''
@env.task
async def main() -> dict[str, str]:
    return flyte.get_custom_context()
result = flyte.with_runcontext(custom_context={"a": "b"}).run(main).outputs()[0]
'''),
    task_scenario("custom.get_returns_a_copy", '''
@env.task
def main() -> dict[str, str]:
    flyte.get_custom_context()["x"] = "y"
    return flyte.get_custom_context()
result = flyte.with_runcontext(custom_context={"a": "b"}).run(main).outputs()[0]
'''),
    Scenario("runtime.logger.name", "result = flyte.logger.name"),
    Scenario("runtime.logger.type", "result = type(flyte.logger).__name__"),
    Scenario("runtime.logger.not_propagated", "result = flyte.logger.propagate"),
    Scenario("runtime.system_logger.type", "result = type(flyte.system_logger).__name__"),
    task_scenario("logger.inside_task", '''
@env.task
def main() -> int:
    flyte.logger.info("hello %d", 1)
    return 1
result = flyte.run(main).outputs()[0]
'''),
]

RUN = [
    task_scenario("run.outputs_single", "result = flyte.run(square, 4).outputs()"),
    task_scenario("run.outputs_is_tuple", "result = isinstance(flyte.run(square, 4).outputs(), tuple)"),
    task_scenario("run.kwargs", "result = flyte.run(add, x=1, y=2).outputs()[0]"),
    task_scenario("run.name_is_str", "result = isinstance(flyte.run(square, 2).name, str)"),
    task_scenario("run.url_is_str", "result = isinstance(flyte.run(square, 2).url, str)"),
    task_scenario("run.wait_returns_none", "result = flyte.run(square, 2).wait()"),
    task_scenario("run.public_methods", "run = flyte.run(square, 2)\n"
                  "result = [callable(getattr(run, a, None)) for a in ('outputs', 'wait', 'done')]"),
    task_scenario("run.with_runcontext_local", "result = flyte.with_runcontext(mode='local').run(square, 3).outputs()[0]"),
    task_scenario("run.with_runcontext_no_mode", "result = flyte.with_runcontext().run(add, 2, 2).outputs()[0]"),
    task_scenario("run.aio", '''
import asyncio
result = asyncio.run(flyte.run.aio(square, 6)).outputs()[0]
'''),
    task_scenario("run.with_runcontext_aio", '''
import asyncio
result = asyncio.run(flyte.with_runcontext(custom_context={"a": "1"}).run.aio(custom)).outputs()[0]
'''),
    task_scenario("run.failure_is_raised", "flyte.run(fails_on_odd, 1)"),
    task_scenario("run.tuple_outputs", '''
@env.task
def pair() -> tuple[int, str]:
    return 1, "a"
result = list(flyte.run(pair).outputs())
'''),
    task_scenario("run.none_outputs", '''
@env.task
def nothing() -> None:
    return None
result = list(flyte.run(nothing).outputs())
'''),
    Scenario("runtime.run.signature_first", "import inspect\n"
             "result = list(inspect.signature(flyte.with_runcontext).parameters)[:1]"),
    Scenario("runtime.run.custom_context_param", "import inspect\n"
             "result = 'custom_context' in inspect.signature(flyte.with_runcontext).parameters"),
]

INIT = [
    Scenario("runtime.init.returns_none", "result = flyte.init()"),
    Scenario("runtime.init.aio", "import asyncio\nresult = asyncio.run(flyte.init.aio())"),
    Scenario("runtime.init.twice", "flyte.init()\nresult = flyte.init()"),
    Scenario("runtime.init.has_aio", "result = [hasattr(flyte.init, 'aio'), hasattr(flyte.init_from_config, 'aio'), "
             "hasattr(flyte.run, 'aio')]"),
    Scenario("runtime.version.is_str", "result = isinstance(flyte.version(), str)"),
    Scenario("runtime.version.dunder", "result = isinstance(flyte.__version__, str)"),
    Scenario("runtime.control_plane", "result = flyte.is_control_plane_available()"),
    Scenario("runtime.current_project_uninitialized", "flyte.current_project()"),
    Scenario("runtime.current_domain_uninitialized", "flyte.current_domain()"),
]

CLUSTER_NAMES = ["init_from_api_key", "init_in_cluster", "init_passthrough", "rerun", "run_python_script", "serve",
                 "with_servecontext", "new_condition", "ConditionWebhook", "OnArtifact", 
                 "TriggeredPartition", "AppHandle", "load_interactive_ctx", "deploy", "build_images",
                 "latest_checkpoint", "Checkpoint", "current_project", "current_domain"]
CLUSTER = [Scenario(f"runtime.cluster.{name}.exists", f"result = [hasattr(flyte, {name!r}), callable(flyte.{name})]")
           for name in CLUSTER_NAMES]
#: Not callable in the SDK either (a marker object): only that it exists.
CLUSTER.append(Scenario("runtime.cluster.TriggeredArtifact.exists", "result = hasattr(flyte, 'TriggeredArtifact')"))

NAMES = [
    Scenario("runtime.names.runtime_surface", """
names = ['map', 'group', 'trace', 'ctx', 'custom_context', 'get_custom_context', 'logger', 'system_logger',
         'with_runcontext', 'init', 'init_from_config', 'run', 'version', 'errors', 'Documentation', 'Backoff']
result = [n for n in names if not hasattr(flyte, n)]
"""),
    Scenario("runtime.names.errors_module", "import flyte.errors\nresult = flyte.errors.__name__.split('.')[-1]"),
    Scenario("runtime.names.from_errors_import", "from flyte.errors import OOMError, RuntimeUserError\n"
             "result = issubclass(OOMError, RuntimeUserError)"),
    Scenario("runtime.names.io_module", "import flyte.io\nresult = [hasattr(flyte.io, 'File'), hasattr(flyte.io, 'Dir')]"),
    Scenario("runtime.names.report_module", "import flyte.report\nresult = [hasattr(flyte.report, n) for n in "
             "('log', 'flush', 'replace')]"),
]

SYNCIFY = [Scenario(f"runtime.syncify.{key}", code) for key, code in [
    ("module_names", "import flyte.syncify\nresult = [hasattr(flyte.syncify, n) for n in ('Syncify', 'syncify')]"),
    ("sync_call", "from flyte.syncify import syncify\n@syncify\nasync def f(x: int) -> int:\n    return x + 1\n"
                  "result = f(1)"),
    ("aio_call", "import asyncio\nfrom flyte.syncify import syncify\n@syncify\nasync def f(x: int) -> int:\n"
                 "    return x * 2\nresult = asyncio.run(f.aio(4))"),
    ("keeps_name", "from flyte.syncify import syncify\n@syncify\nasync def named() -> None:\n    pass\n"
                   "result = named.__name__"),
]]

SCENARIOS = [*ERRORS, *ERROR_VALUES, *MAP, *GROUP_TRACE, *CONTEXT, *RUN, *INIT, *CLUSTER, *NAMES, *SYNCIFY]
