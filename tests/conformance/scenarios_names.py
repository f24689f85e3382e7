"""Names scenarios: the SDK top-level names issue 12 listed (devices, cache and secret types, timeout type,
excepthook, plugin config loader, flyte.models) and what flyte.group / flyte.trace keep of a function.

Facts from flyte 2.12.1's documented API and its observed local-mode behaviour; the same code runs
under the real SDK and under flyte_nb's stand-in (tests/conformance/harness.py).
"""

from __future__ import annotations

from tests.conformance.harness import Scenario

IN_ALL = ["APPLE_SILICON", "CachePolicy", "CacheRequest", "DeviceClass", "SecretRequest", "TimeoutType",
          "load_plugin_config"]
NOT_IN_ALL = ["custom_excepthook", "models"]

#: A plugin config module written next to the scenario, so its class has a fully qualified name.
PLUGIN = '''
import sys, tempfile, pathlib, textwrap
folder = pathlib.Path(tempfile.mkdtemp())
(folder / "conf_plugin.py").write_text(textwrap.dedent("""
    import dataclasses
    from typing import List, Optional

    @dataclasses.dataclass
    class Worker:
        group_name: str
        replicas: int = 1

    @dataclasses.dataclass
    class JobConfig:
        workers: List[Worker]
        head: Optional[Worker] = None
        labels: Optional[dict] = None
"""))
sys.path.insert(0, str(folder))
def write(text):
    path = folder / "plugin.yaml"
    path.write_text(textwrap.dedent(text))
    return path
'''


def plugin_scenario(key: str, body: str) -> Scenario:
    """A load_plugin_config scenario: the plugin module, then `body`."""
    return Scenario(f"names.plugin.{key}", PLUGIN + body)


PRESENCE = [
    *(Scenario(f"names.{name}.in_all", f"result = ['{name}' in flyte.__all__, hasattr(flyte, '{name}')]")
      for name in IN_ALL),
    *(Scenario(f"names.{name}.exists_outside_all",
               f"result = ['{name}' in flyte.__all__, hasattr(flyte, '{name}'), '{name}' in dir(flyte)]")
      for name in NOT_IN_ALL),
]

DEVICES = [Scenario(f"names.devices.{key}", code) for key, code in [
    ("apple_silicon_type", "result = [type(flyte.APPLE_SILICON).__name__, type(flyte.APPLE_SILICON()).__name__]"),
    ("apple_silicon_signature", "import inspect\nresult = list(inspect.signature(flyte.APPLE_SILICON).parameters)"),
    ("apple_silicon_fields", "d = flyte.APPLE_SILICON()\nresult = [d.device, d.quantity, d.device_class, d.partition]"),
    ("apple_silicon_equal", "result = flyte.APPLE_SILICON() == flyte.APPLE_SILICON()"),
    ("apple_silicon_no_args", "flyte.APPLE_SILICON(1)"),
    ("apple_silicon_in_resources", "r = flyte.Resources(gpu=flyte.APPLE_SILICON())\n"
                                   "result = [r.gpu.device_class, r.gpu.device]"),
    ("apple_silicon_in_environment", "env = flyte.TaskEnvironment(name='mac', resources=flyte.Resources("
                                     "gpu=flyte.APPLE_SILICON()))\nresult = env.resources.gpu.device"),
    ("device_class_origin", "import typing\nresult = typing.get_origin(flyte.DeviceClass) is typing.Literal"),
    ("device_class_members", "import typing\nresult = list(typing.get_args(flyte.DeviceClass))"),
    ("device_class_type", "result = type(flyte.DeviceClass).__name__"),
    ("device_class_covers_families", "import typing\nc = typing.get_args(flyte.DeviceClass)\n"
                                     "result = [flyte.GPU('T4', 1).device_class in c, flyte.TPU('V5E', '2x2').device_class in c,"
                                     " flyte.Neuron('Inf1').device_class in c, flyte.AMD_GPU('MI300X').device_class in c,"
                                     " flyte.HABANA_GAUDI('Gaudi1').device_class in c]"),
    ("device_class_of_a_device", "result = flyte.Device(quantity=2, device_class='GPU', device='A100').device_class"),
]]

TYPES = [Scenario(f"names.types.{key}", code) for key, code in [
    ("cache_request_origin", "import typing\nresult = typing.get_origin(flyte.CacheRequest) is typing.Union"),
    ("cache_request_args", "import typing\nb, c = typing.get_args(flyte.CacheRequest)\n"
                           "result = [list(typing.get_args(b)), typing.get_origin(b) is typing.Literal, c.__name__]"),
    ("cache_request_has_cache", "import typing\nresult = flyte.Cache in typing.get_args(flyte.CacheRequest)"),
    ("cache_request_type", "result = type(flyte.CacheRequest).__name__"),
    ("secret_request_origin", "import typing\nresult = typing.get_origin(flyte.SecretRequest) is typing.Union"),
    ("secret_request_args", "import typing\na, b, c = typing.get_args(flyte.SecretRequest)\n"
                            "result = [a.__name__, b.__name__, typing.get_origin(c).__name__]"),
    ("secret_request_list_items", "import typing\nitem, = typing.get_args(typing.get_args(flyte.SecretRequest)[2])\n"
                                  "result = sorted(t.__name__ for t in typing.get_args(item))"),
    ("secret_request_has_secret", "import typing\nresult = flyte.Secret in typing.get_args(flyte.SecretRequest)"),
    ("timeout_type_type", "result = type(flyte.TimeoutType).__name__"),
    ("timeout_type_args", "import typing\nresult = [t.__name__ for t in typing.get_args(flyte.TimeoutType)]"),
    ("timeout_type_has_timeout", "import typing\nresult = flyte.Timeout in typing.get_args(flyte.TimeoutType)"),
    ("timeout_type_isinstance", "import datetime\nresult = [isinstance(5, flyte.TimeoutType), "
                                "isinstance(datetime.timedelta(1), flyte.TimeoutType), isinstance('5', flyte.TimeoutType)]"),
]]

CACHE_POLICY = [Scenario(f"names.cache_policy.{key}", code) for key, code in [
    ("is_protocol", "import typing\nresult = [type(flyte.CachePolicy).__name__, "
                    "getattr(flyte.CachePolicy, '_is_protocol', False)]"),
    ("runtime_checkable", "class P:\n    def get_version(self, salt, params):\n        return salt\n"
                          "result = [isinstance(P(), flyte.CachePolicy), isinstance(object(), flyte.CachePolicy)]"),
    ("issubclass", "class P:\n    def get_version(self, salt, params):\n        return salt\n"
                   "result = [issubclass(P, flyte.CachePolicy), issubclass(int, flyte.CachePolicy)]"),
    ("get_version_signature", "import inspect\n"
                              "result = list(inspect.signature(flyte.CachePolicy.get_version).parameters)"),
    ("not_instantiable", "flyte.CachePolicy()"),
    ("custom_policy_in_cache", "class P:\n    def get_version(self, salt, params):\n        return 'v1'\n"
                               "c = flyte.Cache('auto', policies=[P()])\nresult = [c.behavior, len(c.policies)]"),
    ("name", "result = [flyte.CachePolicy.__name__, flyte.CachePolicy.__qualname__]"),
]]

EXCEPTHOOK = [Scenario(f"names.excepthook.{key}", code) for key, code in [
    ("signature", "import inspect\nresult = list(inspect.signature(flyte.custom_excepthook).parameters)"),
    ("callable", "result = [callable(flyte.custom_excepthook), type(flyte.custom_excepthook).__name__]"),
    ("name", "result = flyte.custom_excepthook.__name__"),
    ("prints_filtered", "import contextlib, io, sys\nout = io.StringIO()\ntry:\n    raise KeyError('k')\n"
                        "except KeyError:\n    info = sys.exc_info()\n"
                        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):\n"
                        "    flyte.custom_excepthook(*info)\n"
                        "result = out.getvalue().splitlines()"),
    ("returns_none", "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()), "
                     "contextlib.redirect_stderr(io.StringIO()):\n"
                     "    result = flyte.custom_excepthook(ValueError, ValueError('v'), None)"),
]]

PLUGINS = [
    Scenario("names.plugin.signature", "import inspect\nresult = list(inspect.signature(flyte.load_plugin_config).parameters)"),
    Scenario("names.plugin.missing_file", "flyte.load_plugin_config('/nonexistent/plugin.yaml')"),
    plugin_scenario("nested", '''
c = flyte.load_plugin_config(write("""
    plugin: conf_plugin.JobConfig
    config:
      workers:
        - group_name: a
          replicas: 2
        - group_name: b
      head:
        group_name: h
      labels: {x: y}
"""))
result = [type(c).__name__, [(w.group_name, w.replicas) for w in c.workers], type(c.head).__name__, c.head.replicas,
          c.labels]
'''),
    plugin_scenario("str_path", '''
c = flyte.load_plugin_config(str(write("plugin: conf_plugin.Worker\\nconfig: {group_name: g}\\n")))
result = [type(c).__name__, c.group_name, c.replicas]
'''),
    plugin_scenario("no_config", 'flyte.load_plugin_config(write("plugin: conf_plugin.Worker\\n"))'),
    plugin_scenario("no_plugin_key", 'flyte.load_plugin_config(write("config: {}\\n"))'),
    plugin_scenario("not_a_mapping", 'flyte.load_plugin_config(write("- 1\\n- 2\\n"))'),
    plugin_scenario("empty_file", 'flyte.load_plugin_config(write(""))'),
    plugin_scenario("unknown_class", 'flyte.load_plugin_config(write("plugin: conf_plugin.Nope\\n"))'),
    plugin_scenario("unknown_module", 'flyte.load_plugin_config(write("plugin: no_such_module_x.Cfg\\n"))'),
    plugin_scenario("not_a_dataclass", 'flyte.load_plugin_config(write("plugin: pathlib.Path\\n"))'),
    plugin_scenario("unknown_field", 'flyte.load_plugin_config(write("plugin: conf_plugin.Worker\\n'
                                     'config: {group_name: g, nope: 1}\\n"))'),
    plugin_scenario("config_not_mapping", 'flyte.load_plugin_config(write("plugin: conf_plugin.Worker\\nconfig: [1]\\n"))'),
    plugin_scenario("config_null", 'c = flyte.load_plugin_config(write("plugin: conf_plugin.JobConfig\\nconfig:\\n  workers: []\\n"))\n'
                                   'result = [c.workers, c.head]'),
]

MODELS = [Scenario(f"names.models.{key}", code) for key, code in [
    ("is_module", "result = [type(flyte.models).__name__, flyte.models.__name__.split('.')[-1]]"),
    ("has_context_types", "result = [hasattr(flyte.models, n) for n in ('ActionID', 'TaskContext', 'NULL_TASK_CONTEXT')]"),
    ("null_context", "n = flyte.models.NULL_TASK_CONTEXT\nresult = [bool(n), repr(n), type(n).__mro__[-2].__name__]"),
    ("ctx_outside_task", "result = [flyte.ctx() is None or not flyte.ctx(), "
                         "isinstance(flyte.models.NULL_TASK_CONTEXT, flyte.models.TaskContext)]"),
    ("action_id", "a = flyte.models.ActionID(name='a1')\nresult = [a.name, type(a).__name__]"),
    ("import_from", "from flyte.models import ActionID, TaskContext\nresult = [ActionID.__name__, TaskContext.__name__]"),
]]

GROUP_TRACE = [Scenario(f"names.{key}", code) for key, code in [
    ("group.nested_blocks", "with flyte.group('a'):\n    with flyte.group('b'):\n        result = 1"),
    ("group.exception_propagates", "with flyte.group('a'):\n    raise KeyError('inside')"),
    ("group.reusable_name", "with flyte.group('a'):\n    pass\nwith flyte.group('a'):\n    result = 2"),
    ("trace.keeps_name_and_doc", "def f(x):\n    'doc f'\n    return x\nt = flyte.trace(f)\n"
                                 "result = [t.__name__, t.__doc__, t.__wrapped__ is f]"),
    ("trace.keeps_signature", "import inspect\ndef f(x: int, y: int = 2) -> int:\n    return x\n"
                              "result = str(inspect.signature(flyte.trace(f)))"),
    ("trace.async_stays_coroutine_function", "import inspect\nasync def f(x):\n    return x\n"
                                             "result = [inspect.iscoroutinefunction(flyte.trace(f)), "
                                             "inspect.iscoroutinefunction(flyte.trace(lambda: 1))]"),
    ("trace.async_outside_task", "import asyncio\n@flyte.trace\nasync def f(x):\n    return x * 3\n"
                                 "result = asyncio.run(f(2))"),
    ("trace.error_outside_task", "@flyte.trace\ndef f():\n    raise KeyError('k')\nf()"),
    ("trace.kwargs_outside_task", "@flyte.trace\ndef f(x, *, y=1):\n    return x + y\nresult = f(1, y=5)"),
    ("trace.error_in_task", '''
env = flyte.TaskEnvironment(name="conf_names")

@flyte.trace
def helper(x: int) -> int:
    raise ValueError(f"bad {x}")

@env.task
def main() -> str:
    try:
        helper(3)
    except ValueError as error:
        return str(error)
    return "no error"
flyte.init()
result = flyte.run(main).outputs()[0]
'''),
    ("trace.in_group_in_task", '''
env = flyte.TaskEnvironment(name="conf_names")

@flyte.trace
def helper(x: int) -> int:
    return x + 1

@env.task
def main() -> int:
    with flyte.group("g"):
        return helper(1) + helper(2)
flyte.init()
result = flyte.run(main).outputs()[0]
'''),
]]

SCENARIOS = [*PRESENCE, *DEVICES, *TYPES, *CACHE_POLICY, *EXCEPTHOOK, *PLUGINS, *MODELS, *GROUP_TRACE]
