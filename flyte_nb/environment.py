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
from .config.parameters import BY_NAME, Level, parameters_at
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


#: What an environment attribute reads when the setting was never given: the SDK's field defaults.
SDK_ENV_DEFAULTS: dict[str, Any] = {"secrets": None, "env_vars": None, "include": ()}
#: The parameters of the SDK's base Environment (TaskEnvironment adds cache, reusable, plugin_config, queue).
BASE_PARAMETERS = ("name", "depends_on", "pod_template", "description", "secrets", "env_vars", "resources",
                   "interruptible", "image", "service_account")


def check_include(include: Any) -> tuple[str, ...]:
    """include=: a sequence of str paths (files shipped with the environment's code on a cluster)."""
    if isinstance(include, str):
        raise ConfigError(f"include={include!r} at the TaskEnvironment level: expected a sequence of str paths, "
                          "got a bare str", parameter="include", value=include, level=Level.ENVIRONMENT.value)
    try:
        items = tuple(include)
    except TypeError:
        raise ConfigError(f"include={show(include)} at the TaskEnvironment level: expected a sequence of str paths",
                          parameter="include", value=include, level=Level.ENVIRONMENT.value) from None
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(f"include={show(include)} at the TaskEnvironment level: entries must be str, got "
                              f"{show(item)}", parameter="include", value=include, level=Level.ENVIRONMENT.value)
    return items


def check_service_account(value: Any, level: Level) -> str | None:
    """service_account=: a str or None (the SDK's TypeError otherwise, as a ConfigError naming it)."""
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"service_account={show(value)} at the {level.title} level: Expected service_account to "
                          f"be of type str, got {type(value)}", parameter="service_account", value=value,
                          level=level.value)
    return value


class Environment:
    """flyte.Environment: the settings every environment kind shares (TaskEnvironment is the one that runs tasks).

    Settings are validated against the table's TaskEnvironment level; attributes read back what
    was given (as the SDK's dataclass fields do), or the SDK's default when it was not.
    """

    #: Parameters this class takes; None: every TaskEnvironment-level parameter of the table.
    accepts: tuple[str, ...] | None = BASE_PARAMETERS

    def __init__(self, name: str = _MISSING, *, include: Any = (), service_account: str | None = None,
                 **settings: Any) -> None:
        if name is _MISSING:
            raise ConfigError(f"{type(self).__name__} needs name= (the TaskEnvironment level requires it)",
                              parameter="name", level=Level.ENVIRONMENT.value)
        unknown = sorted(set(settings) - set(self.accepts)) if self.accepts is not None else []
        if unknown:
            raise ConfigError(f"{type(self).__name__}() got unexpected keyword argument(s) {', '.join(unknown)} "
                              "(flyte.TaskEnvironment takes them)", parameter=unknown[0], level=Level.ENVIRONMENT.value)
        checked = validate_settings(Level.ENVIRONMENT, {"name": name, **settings})
        check_depends_on(checked["name"], checked.get("depends_on", ()))
        self._settings: Mapping[str, Any] = MappingProxyType(checked)
        self._given: dict[str, Any] = {k: v for k, v in settings.items() if k in checked}
        self._include = check_include(include)
        self._service_account = check_service_account(service_account, Level.ENVIRONMENT)
        self._register()

    def _register(self) -> None:
        """Only a TaskEnvironment has tasks to show and run: the base class stays out of the registry."""

    # Environments travel into containers with their tasks (pickled by value): a mappingproxy
    # does not pickle, so the settings go as a dict and come back read-only.
    def __getstate__(self) -> dict[str, Any]:
        return {"_settings": dict(self._settings), "_given": self._given, "_include": self._include,
                "_service_account": self._service_account}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._settings = MappingProxyType(state["_settings"])
        self._given = state.get("_given", {})
        self._include = state.get("_include", ())
        self._service_account = state.get("_service_account")

    # ---- settings ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._settings["name"]

    @property
    def include(self) -> tuple[str, ...]:
        """Files shipped with the environment's code on a cluster (here the notebook's code travels itself)."""
        return self._include

    @property
    def service_account(self) -> str | None:
        """The cluster identity the tasks run as (Kubernetes service account); no meaning on this machine."""
        return self._service_account

    @property
    def depends_on(self) -> list["Environment"]:
        return list(self._settings.get("depends_on", ()))

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
        self._given = {k: v for k, v in self._given.items() if checked.get(k) == self._settings.get(k)}
        self._settings = MappingProxyType(checked)

    def add_dependency(self, *env: "Environment") -> None:
        """Add environments this one depends on (deployed with it); duplicates are ignored, itself refused."""
        added = list(self._settings.get("depends_on", ()))
        for item in env:
            if not isinstance(item, Environment):
                raise ConfigError(f"add_dependency: expected Environment, got {type(item)}", parameter="depends_on",
                                  value=item, level=Level.ENVIRONMENT.value)
            if item.name == self.name:
                raise ConfigError("Cannot add self as a dependency", parameter="depends_on", value=item.name,
                                  level=Level.ENVIRONMENT.value)
            if item not in added:
                added.append(item)
        self.replace_settings({**self._settings, "depends_on": tuple(added)})

    def __getattr__(self, attr: str) -> Any:
        # env.image, env.resources, ... : what was given (the SDK's field), else the default.
        if attr.startswith("_") or attr not in {p.name for p in parameters_at(Level.ENVIRONMENT)}:
            raise AttributeError(attr)
        if attr in self._given:
            return self._given[attr]
        if attr in self._settings:
            return self._settings[attr]
        if attr in SDK_ENV_DEFAULTS:
            return SDK_ENV_DEFAULTS[attr]
        return BY_NAME[attr].default

    # ---- derived environments ----------------------------------------------------------------
    def clone_with(self, name: str, **settings: Any) -> Any:
        """A new environment with this one's settings, changed by `settings`."""
        merged = {k: self._given.get(k, v) for k, v in self._settings.items() if k != "name"}
        merged.setdefault("include", self._include)
        merged.setdefault("service_account", self._service_account)
        merged.update(settings)
        return type(self)(name=name, **merged)

    def __repr__(self) -> str:
        given = ", ".join(f"{k}={v!r}" if k != "depends_on" else f"depends_on={[e.name for e in v]}"
                          for k, v in self._settings.items())
        return f"{type(self).__name__}({given})"


class TaskEnvironment(Environment):
    """flyte.TaskEnvironment(name, image=..., resources=..., ...): level 1 of the configuration."""

    accepts = None

    def _register(self) -> None:
        from .registry import registry

        registry().add_environment(self)

    @property
    def tasks(self) -> dict[str, Any]:
        """This environment's tasks by full name ('env.function'), as the SDK keys them."""
        from .registry import registry

        return {task.name: task for task in registry().tasks_of(self).values()}

    # ---- the decorator ---------------------------------------------------------------------
    @overload
    def task(self, _func: F) -> Any: ...
    @overload
    def task(self, _func: None = None, **settings: Any) -> Callable[[F], Any]: ...

    def task(self, _func: Callable[..., Any] | None = None, *, entrypoint: bool = False,
             service_account: str | None = None, **settings: Any) -> Any:
        """@env.task or @env.task(retries=3, ...): level 2 of the configuration.

        entrypoint=True marks a task meant to be started directly (the SDK's UI lists those first).
        """
        checked = validate_settings(Level.DECORATOR, settings)
        check_service_account(service_account, Level.DECORATOR)
        if not isinstance(entrypoint, bool):
            raise ConfigError(f"entrypoint={show(entrypoint)} at the @env.task decorator level: expected a bool",
                              parameter="entrypoint", value=entrypoint, level=Level.DECORATOR.value)

        def decorate(func: Callable[..., Any]) -> Any:
            from .task import make_task

            return make_task(self, func, checked, entrypoint=entrypoint, service_account=service_account,
                             given=settings)

        if _func is not None:
            if not callable(_func):
                raise ConfigError(f"@env.task got {show(_func)} where a function was expected",
                                  value=_func, level=Level.DECORATOR.value)
            return decorate(_func)
        return decorate



Environment.__init__.__signature__ = _signature(  # type: ignore[attr-defined]
    Level.ENVIRONMENT,
    first=[inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
           inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str),
           inspect.Parameter("include", inspect.Parameter.KEYWORD_ONLY, default=()),
           inspect.Parameter("service_account", inspect.Parameter.KEYWORD_ONLY, default=None)],
)
TaskEnvironment.task.__signature__ = _signature(  # type: ignore[attr-defined]
    Level.DECORATOR,
    first=[inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
           inspect.Parameter("_func", inspect.Parameter.POSITIONAL_ONLY, default=None),
           inspect.Parameter("entrypoint", inspect.Parameter.KEYWORD_ONLY, default=False),
           inspect.Parameter("service_account", inspect.Parameter.KEYWORD_ONLY, default=None)],
)
