"""flyte_nb: Flyte 2's task configuration, native in Jupyter. `import flyte_nb as flyte`.

Only the configuration API is imported here; docker, widgets and IPython load when used,
so `%load_ext flyte_nb` and `import flyte_nb` stay fast.
"""

from __future__ import annotations

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
from . import cache, errors, io, secrets
from .environment import TaskEnvironment
from .errors import TaskError, TaskOOMError, TaskTimeoutError
from .registry import registry
from .runtime import init, run
from .task import TaskTemplate

__version__ = "0.1.0"

__all__ = [
    "GPU", "TPU", "Cache", "ConfigError", "Cron", "Device", "FixedRate", "Image", "Link", "PodTemplate",
    "Resources", "RetryStrategy", "ReusePolicy", "Secret", "TaskEnvironment", "TaskError", "TaskOOMError",
    "TaskTemplate", "TaskTimeoutError", "Timeout", "Trigger", "cache", "errors", "init", "io", "registry", "run", "secrets",
]


def __getattr__(name: str) -> object:
    """flyte_nb.compat and flyte_nb.export load on first use (they pull in IPython and nbclient)."""
    if name in ("compat", "export"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'flyte_nb' has no attribute {name!r}")


def load_ipython_extension(shell: object) -> None:
    """`%load_ext flyte_nb`: register the magics (IPython is imported only now)."""
    from .magics import load_ipython_extension as load

    load(shell)
