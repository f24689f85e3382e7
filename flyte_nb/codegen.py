"""Python source for settings as they are in effect now: the panel's "Show code", the sidebar's
"Insert code" and the export to a flyte project all write the same text."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping

from .config.jsonable import Special, to_code

if TYPE_CHECKING:
    from .environment import TaskEnvironment
    from .task import TaskTemplate


def variable(name: str) -> str:
    """A Python identifier for an environment name ("data-env" -> "data_env_env")."""
    ident = re.sub(r"\W", "_", name)
    return ident if ident.endswith("env") else f"{ident}_env"


def kwargs_code(settings: Mapping[str, Any], prefix: str = "flyte.", special: Special | None = None) -> str:
    parts = []
    for key, value in settings.items():
        if key == "depends_on":
            parts.append(f"depends_on=[{', '.join(variable(e.name) for e in value)}]")
        else:
            parts.append(f"{key}={to_code(value, prefix, special)}")
    return ", ".join(parts)


def environment_code(env: "TaskEnvironment", prefix: str = "flyte.", special: Special | None = None) -> str:
    settings = dict(env.settings)
    name = settings.pop("name")
    args = kwargs_code(settings, prefix, special)
    return f"{variable(name)} = {prefix}TaskEnvironment(name={name!r}{', ' if args else ''}{args})"


def decorator_code(task: "TaskTemplate", prefix: str = "flyte.", special: Special | None = None,
                   settings: Mapping[str, Any] | None = None) -> str:
    """`@env.task(...)` with the task's decorator settings (or `settings`, the export's spelling of them)."""
    args = kwargs_code(task.decorator_settings if settings is None else settings, prefix, special)
    return f"@{variable(task.env.name)}.task({args})" if args else f"@{variable(task.env.name)}.task"


def override_code(task: "TaskTemplate", prefix: str = "flyte.") -> str:
    from .registry import registry

    settings = {**registry().session_overrides(task.name), **task.override_settings}
    name = task.func.__name__
    return f"{name}.override({kwargs_code(settings, prefix)})" if settings else name


def task_code(task: "TaskTemplate", prefix: str = "flyte.") -> str:
    """Environment, decorated signature and the call with its overrides, for Show/Insert code."""
    import inspect

    signature = inspect.signature(task.func)
    keyword = "async def" if task.is_async else "def"
    return "\n".join([
        f"import {prefix.rstrip('.')}" if prefix == "flyte." else "",
        environment_code(task.env, prefix),
        "",
        decorator_code(task, prefix),
        f"{keyword} {task.func.__name__}{signature}:",
        "    ...",
        "",
        "# call with the settings in effect now:",
        f"{'await ' if task.is_async else ''}{override_code(task, prefix)}(...)",
    ]).lstrip("\n")
