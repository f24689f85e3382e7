"""Tasks: a function bound to an environment, its decorator settings and its overrides.

`override()` returns a new task object that shares the function and earlier levels and adds
its own validated settings on top; the original is never changed. Calling a task hands it to
the runtime, which runs it through the configured runner with the resolved settings.
"""

from __future__ import annotations

import functools
import inspect
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .config.errors import ConfigError
from .config.parameters import BY_NAME, Level
from .config.reuse import is_reusable
from .config.resolve import Resolution, resolve
from .config.validate import validate_settings
from .tracebacks import user_facing
from .typecheck import coerce_inputs

if TYPE_CHECKING:
    from .environment import TaskEnvironment


#: Attribute values the SDK's tasks show for a parameter never set (where flyte_nb's resolution has another form).
SDK_TASK_DEFAULTS: dict[str, Any] = {"timeout": 0, "env_vars": None, "secrets": None}
#: Parameters whose task attribute reads back the form given (the SDK shows `60` for timeout=60, not a Timeout);
#: the runtime and export read the normalized value from resolve() instead.
AS_GIVEN = ("timeout",)


class TaskTemplate:
    """A task: `env.name + "." + function name`, with decorator settings and overrides.

    Every parameter of the table reads as an attribute (`task.resources`, `task.cache`, ...): the
    value in effect for a call of this task, as the SDK's task objects show theirs.
    """

    #: entrypoint=True on the decorator: a task meant to be started directly.
    entrypoint: bool = False
    #: service_account= given on the decorator or an override (None: the environment's).
    _own_service_account: str | None = None
    #: {(parameter, level): (value as given, its normalized form)} for the AS_GIVEN parameters.
    _given: Mapping[tuple[str, Level], tuple[Any, Any]] = MappingProxyType({})

    def __init__(
        self,
        env: "TaskEnvironment",
        func: Callable[..., Any],
        decorator: Mapping[str, Any],
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.env = env
        self.func = func
        self._decorator: Mapping[str, Any] = MappingProxyType(dict(decorator))
        self._overrides: Mapping[str, Any] = MappingProxyType(dict(overrides or {}))
        self._plain = False
        self._resolved: tuple[Any, ...] | None = None  # (env settings, decorator, session, Resolution): resolve()
        functools.update_wrapper(self, func)  # keeps __name__, __doc__, __wrapped__ (signature, hints)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_decorator"], state["_overrides"] = dict(self._decorator), dict(self._overrides)
        state["_resolved"] = state["_signature"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["_decorator"] = MappingProxyType(state["_decorator"])
        state["_overrides"] = MappingProxyType(state["_overrides"])
        self.__dict__.update(state)

    # ---- identity -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return f"{self.env.name}.{self.func.__name__}"

    @property
    def short_name(self) -> str:
        return self.resolve().value("short_name")

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.func)

    @property
    def decorator_settings(self) -> Mapping[str, Any]:
        return self._decorator

    @property
    def override_settings(self) -> Mapping[str, Any]:
        return self._overrides

    @property
    def is_override(self) -> bool:
        return bool(self._overrides)

    def __getattr__(self, attr: str) -> Any:
        # task.resources, task.retries, ...: the effective value of a table parameter.
        if attr.startswith("_") or attr not in BY_NAME or attr == "name":
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")
        effective = self.resolve()[attr]
        if attr in SDK_TASK_DEFAULTS and effective.level is Level.DEFAULT:
            return SDK_TASK_DEFAULTS[attr]
        return self._as_given(attr, effective.level, effective.value)

    def _as_given(self, attr: str, level: Level, value: Any) -> Any:
        """The value as the code gave it at `level`, when that is what is in effect (a panel edit is not)."""
        given = self._given.get((attr, level))
        return given[0] if given is not None and given[1] == value else value

    def _remember(self, level: Level, raw: Mapping[str, Any], checked: Mapping[str, Any]) -> None:
        """Keep the given forms of the AS_GIVEN parameters set at `level` (raw and validated settings)."""
        kept = {(attr, level): (raw[attr], checked[attr]) for attr in AS_GIVEN if attr in raw and attr in checked}
        self._given = {**self._given, **kept}  # a new dict (pickled with the task; never changed in place)

    # ---- configuration -----------------------------------------------------------------------
    def resolve(self) -> Resolution:
        """Every parameter's effective value for a call of this task, and its level.

        The panel's override column (registry session overrides) applies under the call site's own.
        """
        from .registry import registry

        session = registry().session_overrides(self.name) if not self._plain else {}
        settings, decorator, memo = self.env.settings, self._decorator, getattr(self, "_resolved", None)
        # Each level's settings are replaced, never changed in place (read-only mappings): the same objects
        # and the same session overrides resolve the same (a cache hit's call resolved it once before).
        if memo is not None and memo[0] is settings and memo[1] is decorator and memo[2] == session:
            return memo[3]
        resolution = resolve(settings, decorator, {**session, **self._overrides}, self.func)
        self._resolved = (settings, decorator, dict(session), resolution)
        return resolution

    def without_session_overrides(self) -> "TaskTemplate":
        """This task as its code defines it, ignoring the panel's override column."""
        plain = self._sibling(self._overrides)
        plain._plain = True
        return plain

    def _sibling(self, overrides: Mapping[str, Any]) -> "TaskTemplate":
        """This task with other overrides, keeping what lives outside the table (entrypoint, service_account)."""
        task = type(self)(self.env, self.func, self._decorator, overrides)
        task._plain, task.entrypoint, task._own_service_account = self._plain, self.entrypoint, self._own_service_account
        task._given = self._given
        return task

    @property
    def service_account(self) -> str | None:
        """The cluster identity the task runs as: the override's or decorator's, else the environment's."""
        return self._own_service_account or self.env.service_account

    def override(self, *, service_account: str | None = None, **settings: Any) -> "TaskTemplate":
        """Level 3: a new task with these settings on top; this one is unchanged. Chains."""
        before = self.resolve().value("reusable")
        checked = validate_settings(Level.OVERRIDE, settings, reusable_before=before)
        if service_account is not None:
            _check_service_account_override(service_account, checked.get("reusable", before))
        task = self._sibling({**self._overrides, **checked})
        task._own_service_account = service_account or self._own_service_account
        task._remember(Level.OVERRIDE, settings, checked)
        return task

    def replace_decorator_settings(self, settings: Mapping[str, Any]) -> None:
        """Swap in new decorator-level settings (the panel's edits); validated first."""
        self._decorator = MappingProxyType(validate_settings(Level.DECORATOR, settings))

    # ---- calling -------------------------------------------------------------------------
    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> inspect.BoundArguments:
        """Check the call against the function's signature before anything starts."""
        signature = getattr(self, "_signature", None)
        if signature is None:
            signature = self._signature = inspect.signature(self.func)  # once: the function never changes
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:  # the signature and what was passed, not just "too many positional arguments"
            given = f"{len(args)} positional argument{'s' if len(args) != 1 else ''}"
            if kwargs:
                given += f" and keyword{'s' if len(kwargs) != 1 else ''} {', '.join(kwargs)}"
            raise TypeError(f"task {self.name}{_shown(self.func, signature)}: {error}; called with {given}") from None
        bound.apply_defaults()
        coerce_inputs(self.func, bound)  # dict -> pydantic model / dataclass input, as the SDK does
        return bound

    @user_facing
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .runtime import runtime

        bound = self.bind(args, kwargs)
        view = runtime().view(self)  # made here, in the calling cell's context, even if awaited elsewhere
        if self.is_async:
            return _named(runtime().call(self, bound, view=view), self.func)
        return runtime().call_blocking(self, bound, view=view)

    @user_facing
    def aio(self, *args: Any, **kwargs: Any) -> Any:
        """Awaitable call of any task (sync ones included), as in the flyte SDK."""
        from .runtime import runtime

        return runtime().call(self, self.bind(args, kwargs), view=runtime().view(self))

    def __repr__(self) -> str:
        extra = f", override={dict(self._overrides)!r}" if self._overrides else ""
        return f"<task {self.name}{extra}>"


class AsyncFunctionTaskTemplate(TaskTemplate):
    """What @env.task makes from a function (the SDK's class name, for code that checks it); sync functions too."""


def _check_service_account_override(value: Any, reusable: Any) -> None:
    """override(service_account=) is a str, and a reused container keeps its environment's identity."""
    from .environment import check_service_account

    check_service_account(value, Level.OVERRIDE)
    if is_reusable(reusable):
        raise ConfigError(f"service_account={value!r} at the task.override() level: Cannot override service_account "
                          "when reusable is set (a reused container runs as its environment's service account); "
                          "set reusable='off' in the same override", parameter="service_account", value=value,
                          level=Level.OVERRIDE.value)


def make_task(env: "TaskEnvironment", func: Callable[..., Any], decorator: Mapping[str, Any], *,
              entrypoint: bool = False, service_account: str | None = None,
              given: Mapping[str, Any] | None = None) -> TaskTemplate:
    """Build and register the task for `func` (replacing a same-named one: cells are re-run).

    `given` is the decorator's settings as written, before validation (see AS_GIVEN)."""
    if isinstance(func, TaskTemplate):
        raise ConfigError(f"{func.name} is already a task; decorate the plain function",
                          level=Level.DECORATOR.value)
    if not inspect.isfunction(func):
        raise ConfigError(f"@env.task needs a def or async def function, got {func!r}", level=Level.DECORATOR.value)
    if func.__name__ == "<lambda>":
        raise ConfigError("@env.task needs a named function (def), not a lambda", level=Level.DECORATOR.value)
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        raise ConfigError(f"@env.task cannot make a task of generator {func.__name__!r}: return a value instead",
                          level=Level.DECORATOR.value)
    task = AsyncFunctionTaskTemplate(env, func, decorator)
    task.entrypoint, task._own_service_account = entrypoint, service_account
    task._remember(Level.DECORATOR, given or {}, decorator)
    from .registry import registry

    registry().add_task(task)
    return task


def _shown(func: Any, signature: inspect.Signature) -> inspect.Signature:
    """The signature as written (annotations evaluated, not 'int' in quotes), when they evaluate."""
    try:
        return inspect.signature(func, eval_str=True)
    except Exception:  # noqa: BLE001 - a forward reference that does not resolve: show them as strings
        return signature


def _named(coroutine: Any, func: Any) -> Any:
    """`coroutine` named after the task's function, as the SDK's is (its repr and never-awaited warning say
    `my_task`, not flyte_nb's internal Runtime.call)."""
    coroutine.__name__, coroutine.__qualname__ = func.__name__, func.__qualname__
    return coroutine
