"""`flyte.run` and `flyte.with_runcontext(...)` returning the SDK's Run, and `flyte.init` / `init_from_config`.

Each has its `.aio` form. flyte.run returns a Run (its `outputs()` a tuple) as the SDK's does, so
SDK code and notebooks read results the same way; runtime.run is the value-returning call under it.

Every mode runs with flyte_nb's runner (containers by default): `mode="remote"` and cluster
options have nothing to connect to here. `with_runcontext(custom_context=...)` gives the run's
tasks (and their nested calls) that custom context (flyte.get_custom_context()).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from . import context
from .registry import registry
from .tracebacks import user_facing


class ActionOutputs(tuple):  # type: ignore[type-arg]
    """The SDK's ActionOutputs: a tuple of a run's outputs, each also an attribute named o0, o1, ... (named_outputs).

    Its repr is the SDK's too (what `print(run.outputs())` shows): `ActionOutputs(o0=42, o1="text")`, a str
    output between double quotes, as is, anything else by its str().
    """

    _fields: tuple[str, ...]

    def __new__(cls, data: tuple[Any, ...]) -> "ActionOutputs":
        made = super().__new__(cls, data)
        made._fields = tuple(f"o{i}" for i in range(len(data)))
        for name, value in zip(made._fields, made):
            setattr(made, name, value)
        return made

    @property
    def named_outputs(self) -> dict[str, Any]:
        return dict(zip(self._fields, self))

    def __repr__(self) -> str:
        shown = (f'"{v}"' if isinstance(v, str) else f"{v}" for v in self)
        return f"ActionOutputs({', '.join(f'{name}={text}' for name, text in zip(self._fields, shown))})"


@dataclass(frozen=True)
class Run:
    """What flyte.run returns in the SDK (here for a call that already finished): name, url, outputs(), wait()."""

    name: str
    value: Any

    @property
    def url(self) -> str:
        return f"flyte_nb://runs/{self.name}"

    def outputs(self) -> ActionOutputs:
        """The SDK's ActionOutputs: a tuple, the items of a returned tuple, else (value,) (None too, as the SDK's)."""
        return ActionOutputs(tuple(self.value) if isinstance(self.value, tuple) else (self.value,))

    def wait(self, quiet: bool = False, wait_for: str = "terminal") -> None:
        """The run is over already (the SDK's signature: quiet=, wait_for=)."""
        return None

    def done(self) -> bool:
        """flyte.run returns only once the call finished, so always True."""
        return True

    def __repr__(self) -> str:
        """The SDK's repr of a local run (its _InlineRun, as rich pretty-prints it): `print(run)` in SDK code
        shows the same fields. As in local mode the action fields are a placeholder action's (a0, no phase,
        epoch start time, run_time its timedelta's seconds); the url and name are this run's."""
        since = int(time.time()) % 86400  # (now - epoch).seconds, as the SDK's run_time of an epoch start
        fields = {"url": f"[blue bold][link={self.url}]link[/link][/blue bold]", "labels": {}, "name": self.name,
                  "action name": "a0", "start_time": "1970-01-01T00:00:00+00:00", "end_time": None,
                  "run_time": f"{since} secs", "phase": "ACTION_PHASE_UNSPECIFIED", "group": "", "parent": "",
                  "related to": "", "attempts": 0}
        return "_InlineRun(\n" + ",\n".join(f"    {k}={v!r}" for k, v in fields.items()) + "\n)"


def _latest_run_id(task: Any) -> str:
    runs = [r for r in registry().runs if r.task == getattr(task, "name", None) and r.parent is None]
    return runs[-1].id if runs else "local"


class _SDKRun:
    """flyte.run(task, *args, **kwargs) -> Run, as the SDK; `await flyte.run.aio(...)` from async code."""

    def __init__(self, custom_context: dict[str, str] | None = None) -> None:
        self._custom = dict(custom_context or {})

    @user_facing
    def __call__(self, task: Any, *args: Any, **kwargs: Any) -> Run:
        from .runtime import run

        with context.run_custom_context(self._custom):
            value = run.as_sdk(task, args, kwargs)
        return Run(_latest_run_id(task), value)

    @user_facing
    async def aio(self, task: Any, *args: Any, **kwargs: Any) -> Run:
        from .runtime import run

        with context.run_custom_context(self._custom):  # set in this coroutine's context while the call starts
            value = await run.as_sdk_aio(task, args, kwargs)
        return Run(_latest_run_id(task), value)


@dataclass(frozen=True)
class RunContext:
    """What with_runcontext returns: `.run(task, ...)` runs with these options."""

    mode: str | None = None
    custom_context: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def run(self) -> _SDKRun:
        return _SDKRun(self.custom_context)


def with_runcontext(mode: str | None = None, *, custom_context: dict[str, str] | None = None,
                    **options: Any) -> RunContext:
    """flyte.with_runcontext(mode="local"|"remote"|"hybrid", custom_context={...}, ...).run(task, ...)."""
    if mode is not None and mode not in ("local", "remote", "hybrid"):
        raise ValueError(f"flyte.with_runcontext(mode={mode!r}): mode must be 'local', 'remote' or 'hybrid'")
    values = dict(custom_context or {})
    bad = {k: v for k, v in values.items() if not isinstance(k, str) or not isinstance(v, str)}
    if bad:
        raise TypeError(f"flyte.with_runcontext(custom_context={bad!r}): keys and values must be str")
    return RunContext(mode, values, options)


run = _SDKRun()


class _Init:
    """flyte.init(...): pick flyte_nb's runner (runner=, queues=, cpus=, memory=); `await flyte.init.aio(...)`."""

    def __call__(self, runner: str | None = None, **options: Any) -> None:
        from .runtime import runtime

        runtime().init(runner, **options)

    async def aio(self, runner: str | None = None, **options: Any) -> None:
        self(runner, **options)


init = _Init()


class _InitFromConfig:
    """flyte.init_from_config(path): a cluster's config file has nothing to connect to here; picks the runner once."""

    def __call__(self, path_or_config: Any = None, root_dir: Any = None, **_: Any) -> None:
        from .runtime import runtime

        if runtime()._runner is None:
            runtime().init(announce=False)  # silent pick; task logs still reach stdout, as the SDK's local mode

    async def aio(self, path_or_config: Any = None, root_dir: Any = None, **options: Any) -> None:
        self(path_or_config, root_dir, **options)


init_from_config = _InitFromConfig()
