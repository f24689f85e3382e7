"""flyte_nb: Flyte 2's task configuration, native in Jupyter. `import flyte_nb as flyte`.

Names are imported on first use (the configuration models pull in pydantic; docker,
widgets and IPython load only when used), so `import flyte_nb`, `%load_ext flyte_nb` and
the shim that starts every task container stay fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from .cluster import NAMES as CLUSTER_ONLY  # light: what needs a Flyte cluster, by name
from .registry import registry  # eager and light: the name would otherwise be its submodule's

if TYPE_CHECKING:
    from . import cache, errors, io, report, secrets
    from .config.cache import Cache
    from .config.errors import ConfigError
    from .config.image import Image
    from .config.links import Link
    from .config.pod_template import PodTemplate
    from .config.resources import GPU, TPU, Device, Resources
    from .config.retries import RetryStrategy, Timeout
    from .config.reuse import ReusePolicy
    from .config.secrets import Secret
    from .config.triggers import Cron, FixedRate, Trigger
    from .config.devices import AMD_GPU, HABANA_GAUDI, Neuron
    from .config.retries import Backoff
    from .config.triggers import TriggerTime
    from .environment import Environment, TaskEnvironment
    from .errors import TaskError, TaskOOMError, TaskTimeoutError
    from .runcontext import init, init_from_config, run, with_runcontext
    from .mapping import map
    from .grouping import group, trace
    from .context import ctx, custom_context, get_custom_context
    from .userlog import logger, system_logger
    from .config.documentation import Documentation
    from .config.devices import APPLE_SILICON, DeviceClass
    from .config.cache import CachePolicy, CacheRequest
    from .config.secrets import SecretRequest
    from .config.retries import TimeoutType
    from .config.plugins import load_plugin_config
    from .excepthook import custom_excepthook
    from . import models
    from .task import AsyncFunctionTaskTemplate, TaskTemplate

#: Public name -> the module that defines it, imported on first use (PEP 562).
_LAZY = {
    "Cache": ".config.cache", "ConfigError": ".config.errors", "Image": ".config.image", "Link": ".config.links",
    "PodTemplate": ".config.pod_template", "GPU": ".config.resources", "TPU": ".config.resources",
    "Device": ".config.resources", "Resources": ".config.resources", "RetryStrategy": ".config.retries",
    "Timeout": ".config.retries", "ReusePolicy": ".config.reuse", "Secret": ".config.secrets",
    "Cron": ".config.triggers", "FixedRate": ".config.triggers", "Trigger": ".config.triggers",
    "TaskEnvironment": ".environment", "TaskError": ".errors", "TaskOOMError": ".errors",
    "TaskTimeoutError": ".errors", "init": ".runcontext", "run": ".runcontext", "TaskTemplate": ".task",
    "Environment": ".environment", "Backoff": ".config.retries", "TriggerTime": ".config.triggers",
    "AsyncFunctionTaskTemplate": ".task", "AMD_GPU": ".config.devices", "Neuron": ".config.devices", "HABANA_GAUDI": ".config.devices",
    "Documentation": ".config.documentation",
    "with_runcontext": ".runcontext", "init_from_config": ".runcontext", "map": ".mapping", "group": ".grouping",
    "trace": ".grouping", "ctx": ".context", "custom_context": ".context", "get_custom_context": ".context",
    "logger": ".userlog", "system_logger": ".userlog",
    "APPLE_SILICON": ".config.devices", "DeviceClass": ".config.devices", "CachePolicy": ".config.cache",
    "CacheRequest": ".config.cache", "SecretRequest": ".config.secrets", "TimeoutType": ".config.retries",
    "custom_excepthook": ".excepthook", "load_plugin_config": ".config.plugins",
    "is_control_plane_available": ".cluster", **{name: ".cluster" for name in CLUSTER_ONLY},
}
#: Submodules that are part of the API: flyte.cache.list(), flyte.io.File, flyte.report.log(), ...
_MODULES = ("cache", "compat", "errors", "export", "io", "models", "report", "secrets", "syncify")

__version__ = "0.1.0"

__all__ = [
    "GPU", "TPU", "Cache", "ConfigError", "Cron", "Device", "FixedRate", "Image", "Link", "PodTemplate",
    "Resources", "RetryStrategy", "ReusePolicy", "Secret", "TaskEnvironment", "TaskError", "TaskOOMError",
    "TaskTemplate", "TaskTimeoutError", "Timeout", "Trigger", "cache", "errors", "init", "io", "registry", "report", "run", "secrets",
    "AMD_GPU", "AsyncFunctionTaskTemplate", "HABANA_GAUDI", "Backoff", "Environment", "Neuron", "TriggerTime",
    "Documentation", "with_runcontext", "init_from_config", "map", "group", "trace", "ctx",
    "custom_context", "get_custom_context", "logger", "system_logger", "version",
    "APPLE_SILICON", "CachePolicy", "CacheRequest", "DeviceClass", "SecretRequest", "TimeoutType",
    "load_plugin_config",
]


def version() -> str:
    """flyte.version(): flyte_nb's version (flyte.__version__)."""
    return __version__


def __getattr__(name: str) -> object:
    """Names load on first use, so `import flyte_nb` (and a task's container shim) stays light."""
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
    elif name in _MODULES:
        value = import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'flyte_nb' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_MODULES})


def load_ipython_extension(shell: object) -> None:
    """`%load_ext flyte_nb`: register the magics (IPython is imported only now)."""
    from .magics import load_ipython_extension as load

    load(shell)
