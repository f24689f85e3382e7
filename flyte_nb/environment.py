"""TaskEnvironment: the first configuration level, and the decorator that makes tasks.

Its settings are validated against the table before the object exists and are held as one
immutable mapping, swapped whole when the panel or sidebar edits them, so a task never
sees half an edit. Creating one registers it (replacing an older one of the same name, as
re-running a notebook cell must).
"""

from __future__ import annotations

import inspect
from types import MappingProxyType
from typing import Any, Callable, Mapping, TypeVar, overload

from .config.errors import ConfigError, show
from .config.parameters import Level, parameters_at
from .config.resolve import Resolution, resolve
from .config.validate import validate_settings

F = TypeVar("F", bound=Callable[..., Any])
_MISSING: Any = object()


def _signature(level: Level, *, first: list[inspect.Parameter]) -> inspect.Signature:
    """An introspectable signature generated from the table (help(), IDEs, magics' help)."""
    params = list(first)
    for parameter in parameters_at(level):
        if parameter.name != "name":
            params.append(inspect.Parameter(parameter.name, inspect.Parameter.KEYWORD_ONLY, default=None))
    return inspect.Signature(params)


def check_depends_on(name: str, depends_on: tuple["TaskEnvironment", ...]) -> None:
    """Refuse a cycle, and two different live environments of one name, in the graph.

    Walked with an explicit stack, not recursion: a 1000-deep chain of environments is a
    legal graph and must not hit Python's recursion limit.
    """
    given = [e.name for e in depends_on]
    seen: dict[str, TaskEnvironment] = {}
    stack: list[tuple[TaskEnvironment, tuple[str, ...]]] = [(env, (name,)) for env in reversed(depends_on)]
    while stack:
        env, path = stack.pop()
        if env.name == name:
            raise ConfigError(
                f"depends_on={show(given)} at the TaskEnvironment level makes a cycle: "
                f"{' -> '.join(_shorten((*path, env.name)))}",
                parameter="depends_on", value=given, level=Level.ENVIRONMENT.value,
            )
        if env.name in seen and seen[env.name] is not env:
            raise ConfigError(
                f"depends_on={show(given)} at the TaskEnvironment level reaches two "
                f"different environments named {env.name!r} (one was redefined; re-run the cells that use it)",
                parameter="depends_on", value=given, level=Level.ENVIRONMENT.value,
            )
        if env.name in seen:
            continue
        seen[env.name] = env
        for child in reversed(env.settings.get("depends_on", ())):
            stack.append((child, (*path, env.name)))


def _shorten(path: tuple[str, ...], keep: int = 6) -> tuple[str, ...]:
    """A long cycle path with its middle elided, so the message stays one readable line."""
    return path if len(path) <= 2 * keep else (*path[:keep], "...", *path[-keep:])


class TaskEnvironment:
    """flyte.TaskEnvironment(name, image=..., resources=..., ...): level 1 of the configuration."""

    def __init__(self, name: str = _MISSING, **settings: Any) -> None:
        if name is _MISSING:
            raise ConfigError("TaskEnvironment needs name= (the TaskEnvironment level requires it)",
                              parameter="name", level=Level.ENVIRONMENT.value)
        checked = validate_settings(Level.ENVIRONMENT, {"name": name, **settings})
        check_depends_on(checked["name"], checked.get("depends_on", ()))
        self._settings: Mapping[str, Any] = MappingProxyType(checked)
        from .registry import registry

        registry().add_environment(self)

    # Environments travel into containers with their tasks (pickled by value): a mappingproxy
    # does not pickle, so the settings go as a dict and come back read-only.
    def __getstate__(self) -> dict[str, Any]:
        return {"_settings": dict(self._settings)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._settings = MappingProxyType(state["_settings"])

    # ---- settings ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._settings["name"]

    @property
    def settings(self) -> Mapping[str, Any]:
        """The settings given explicitly at this level, in normal form (read-only)."""
        return self._settings

    def resolve(self) -> Resolution:
        """Effective values of the environment's parameters, with the level each came from."""
        return resolve(self._settings)

    def replace_settings(self, settings: Mapping[str, Any]) -> None:
        """Swap in a complete new set of settings (validated first; the name cannot change)."""
        checked = validate_settings(Level.ENVIRONMENT, {**settings, "name": self.name})
        check_depends_on(self.name, checked.get("depends_on", ()))
        self._settings = MappingProxyType(checked)

    def __getattr__(self, attr: str) -> Any:
        # env.image, env.resources, ... : the effective environment-level value.
        if attr.startswith("_") or attr not in {p.name for p in parameters_at(Level.ENVIRONMENT)}:
            raise AttributeError(attr)
        return self.resolve().value(attr)

    @property
    def tasks(self) -> dict[str, Any]:
        from .registry import registry

        return registry().tasks_of(self)

    # ---- derived environments ----------------------------------------------------------------
    def clone_with(self, name: str, **settings: Any) -> "TaskEnvironment":
        """A new environment with this one's settings, changed by `settings`."""
        merged = {k: v for k, v in self._settings.items() if k != "name"}
        merged.update(settings)
        return TaskEnvironment(name=name, **merged)

    # ---- the decorator ---------------------------------------------------------------------
    @overload
    def task(self, _func: F) -> Any: ...
    @overload
    def task(self, _func: None = None, **settings: Any) -> Callable[[F], Any]: ...

    def task(self, _func: Callable[..., Any] | None = None, **settings: Any) -> Any:
        """@env.task or @env.task(retries=3, ...): level 2 of the configuration."""
        checked = validate_settings(Level.DECORATOR, settings)

        def decorate(func: Callable[..., Any]) -> Any:
            from .task import make_task

            return make_task(self, func, checked)

        if _func is not None:
            if not callable(_func):
                raise ConfigError(f"@env.task got {show(_func)} where a function was expected",
                                  value=_func, level=Level.DECORATOR.value)
            return decorate(_func)
        return decorate

    def __repr__(self) -> str:
        given = ", ".join(f"{k}={v!r}" if k != "depends_on" else f"depends_on={[e.name for e in v]}"
                          for k, v in self._settings.items())
        return f"TaskEnvironment({given})"


TaskEnvironment.__init__.__signature__ = _signature(  # type: ignore[attr-defined]
    Level.ENVIRONMENT,
    first=[inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
           inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str)],
)
TaskEnvironment.task.__signature__ = _signature(  # type: ignore[attr-defined]
    Level.DECORATOR,
    first=[inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
           inspect.Parameter("_func", inspect.Parameter.POSITIONAL_ONLY, default=None)],
)
