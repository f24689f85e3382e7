"""The `flyte` module as code written for the flyte SDK sees it under flyte_nb.compat.install().

flyte_nb's configuration API as is (same names, same meaning), plus what an SDK program uses
to start runs, shaped as the SDK's: `flyte.run(task, ...)` returns a Run whose `outputs()` is a
tuple, `flyte.with_runcontext(mode=...).run(...)` the same. Every mode runs with flyte_nb's runner
(containers by default): the point of the stand-in is to try SDK code in real containers.
Cluster options (`init(project=...)`, `init_from_config(path)`) have nothing to connect to here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .. import __version__ as _nb_version
from .. import (  # noqa: F401 - re-exported as the flyte API
    GPU, TPU, Cache, ConfigError, Cron, Device, FixedRate, Image, Link, PodTemplate, Resources, RetryStrategy,
    ReusePolicy, Secret, TaskEnvironment, TaskError, TaskOOMError, TaskTemplate, TaskTimeoutError, Timeout, Trigger,
    errors, io, registry, secrets,
)
from .. import (  # noqa: F401 - the configuration names added for flyte 2.12.1 fidelity
    AMD_GPU, HABANA_GAUDI, AsyncFunctionTaskTemplate, Backoff, Environment, Neuron, TriggerTime,
)
from . import report  # noqa: F401 - flyte.report, with .aio forms
from ..runtime import run as _nb_run
from ..runtime import runtime as _runtime


@dataclass(frozen=True)
class Run:
    """What flyte.run returns in the SDK, for a call that already finished here."""

    name: str
    value: Any

    @property
    def url(self) -> str:
        return f"flyte_nb://runs/{self.name}"

    def outputs(self) -> tuple[Any, ...]:
        """The SDK's ActionOutputs: a tuple, empty for None, the items of a returned tuple."""
        if self.value is None:
            return ()
        return tuple(self.value) if isinstance(self.value, tuple) else (self.value,)

    def wait(self, *_: Any, **__: Any) -> None:
        return None


def _latest_run_id(task: Any) -> str:
    runs = [r for r in registry().runs if r.task == getattr(task, "name", None) and r.parent is None]
    return runs[-1].id if runs else "local"


class _RunFunction:
    """flyte.run(task, *args, **kwargs) -> Run; `await flyte.run.aio(...)` from async code."""

    def __call__(self, task: Any, *args: Any, **kwargs: Any) -> Run:
        value = _nb_run(task, *args, **kwargs)
        return Run(_latest_run_id(task), value)

    async def aio(self, task: Any, *args: Any, **kwargs: Any) -> Run:
        value = await _nb_run.aio(task, *args, **kwargs)
        return Run(_latest_run_id(task), value)


run = _RunFunction()


@dataclass(frozen=True)
class _RunContext:
    mode: str | None
    options: dict[str, Any]

    @property
    def run(self) -> _RunFunction:
        return run


def with_runcontext(mode: str | None = None, **options: Any) -> _RunContext:
    """flyte.with_runcontext(mode="local"|"remote", ...).run(task, ...): here every mode is flyte_nb's runner."""
    return _RunContext(mode, options)


def init(*_: Any, **__: Any) -> None:
    """flyte.init(...): picks flyte_nb's runner the first time (FLYTE_NB_RUNNER, else auto); never re-picks."""
    if _runtime()._runner is None:
        _runtime().init()


def init_from_config(*_: Any, **__: Any) -> None:
    init()


def Documentation(description: str) -> str:  # noqa: N802 - the SDK's class name
    """flyte.Documentation(description): flyte_nb's docs= takes the text."""
    return description


@contextlib.contextmanager
def group(name: str) -> Iterator[None]:
    """flyte.group(name): groups calls in the SDK's UI; here a no-op context."""
    yield


def trace(func: Callable[..., Any]) -> Callable[..., Any]:
    """flyte.trace: records a helper's calls in the SDK; here the function unchanged."""
    return func


def version() -> str:
    return f"flyte_nb {_nb_version}"
