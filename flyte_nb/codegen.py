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


# ---- code for the notebook it is inserted in (the sidebar's "Insert code") -----------------------
def flyte_import(namespace: Mapping[str, Any]) -> tuple[str, str]:
    """(prefix, import line) as this notebook imports flyte_nb: `import flyte_nb as flyte`, `import
    flyte` (the SDK's name, %flyte_use) or `import flyte_nb`; the first when it imports none."""
    import flyte_nb

    bound = [name for name, value in namespace.items() if value is flyte_nb and not name.startswith("_")]
    name = "flyte" if "flyte" in bound else (bound[0] if bound else "flyte")
    module = namespace.get(name)
    if module is not None and getattr(module, "__name__", "") == name:
        return f"{name}.", f"import {name}"
    return f"{name}.", f"import flyte_nb as {name}" if name != "flyte_nb" else "import flyte_nb"


def bound_name(value: Any, namespace: Mapping[str, Any]) -> str | None:
    """The notebook's variable holding `value` (env_2 stays env_2), or None."""
    return next((name for name, held in namespace.items() if held is value and not name.startswith("_")), None)


def function_source(task: "TaskTemplate") -> str | None:
    """The task function's own source from `def` on (its decorators dropped), or None when unknown."""
    import inspect
    import textwrap

    try:
        lines = inspect.getsource(task.func).splitlines()
    except (OSError, TypeError):
        return None
    start = next((i for i, line in enumerate(lines) if re.match(r"\s*(async\s+)?def\s", line)), None)
    return None if start is None else textwrap.dedent("\n".join(lines[start:]))


def notebook_code(env: "TaskEnvironment", task: "TaskTemplate | None", namespace: Mapping[str, Any]) -> str:
    """Code that runs as is in this notebook and gives what the sidebar shows: its own import and
    variable names; for a task its real body under the decorator in effect, and the sidebar's
    session overrides as a `.override(...)` of the notebook's variable."""
    from .registry import registry

    prefix, import_line = flyte_import(namespace)
    env_name = bound_name(env, namespace)
    lines = [import_line]
    if task is None or env_name is None:
        env_name = env_name or variable(env.name)
        lines.append(environment_code(env, prefix).replace(f"{variable(env.name)} = ", f"{env_name} = ", 1))
    if task is None:
        return "\n".join(lines)
    func = bound_name(task, namespace) or task.func.__name__
    source = function_source(task)
    if source is not None:
        args = kwargs_code(task.decorator_settings, prefix)
        lines += ["", f"@{env_name}.task({args})" if args else f"@{env_name}.task", source]
    overrides = registry().session_overrides(task.name)
    if overrides:
        lines += ["", "# the sidebar's session overrides, as code:",
                  f"{func} = {func}.override({kwargs_code(overrides, prefix)})"]
    return "\n".join(lines)
