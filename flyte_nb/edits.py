"""Editing an environment's or a task's settings from a view: the logic the ipywidgets panel
and the JupyterLab sidebar share, so both refuse, explain and apply an edit the same way.

A view holds a level's value as text (Python, e.g. `flyte.Resources(cpu=2)`, or one of a
few choices); `parse` turns it into a value, `apply` hands it to the registry, which
validates it with the same model as code. `reason` says why a cell cannot be edited.
"""

from __future__ import annotations

from typing import Any, Mapping

from .config.errors import ConfigError
from .config.jsonable import to_code
from .config.parameters import Level, Parameter, Rule
from .registry import registry

UNSET = "(unset)"
#: Parameters edited with a choice instead of free text, and their choices.
CHOICES: dict[str, list[str]] = {
    "report": [UNSET, "True", "False"],
    "interruptible": [UNSET, "True", "False"],
    "cache": [UNSET, "auto", "override", "disable"],
}


def reason(parameter: Parameter, level: Level, reusable: bool) -> str | None:
    """Why a cell cannot be edited, or None. `reusable`: the override column's task is reusable."""
    from .config.validate import where_allowed

    rule = parameter.rule(level)
    where = where_allowed(parameter)
    if rule is Rule.NO:
        return f"{parameter.name} cannot be set at the {level.title} level; it can be set at: {where}"
    if rule is Rule.REQUIRED:
        return f"{parameter.name} is fixed when the environment is created"
    if rule is Rule.IF_NOT_REUSABLE and reusable:
        return (f"{parameter.name} can be overridden only if not reusable: set reusable to \"off\" "
                f"in this column first")
    return None


def cell_reason(parameter: Parameter, level: Level, task: Any, reusable: bool) -> str | None:
    """`reason` for a view of an environment (task None: only its own column) or of a task."""
    why = reason(parameter, level, reusable and level is Level.OVERRIDE)
    if why is None and task is None and level is not Level.ENVIRONMENT:
        why = "open a task to edit this level"
    return why


def parse(parameter: Parameter, text: str, namespace: Mapping[str, Any]) -> Any:
    """The value an editor holds: None for unset, else Python evaluated with `flyte` in scope."""
    text = text.strip()
    if text in ("", UNSET):
        return None
    if parameter.name in CHOICES and text in ("auto", "override", "disable"):
        return text
    import flyte_nb

    scope = {"flyte": flyte_nb, **namespace}
    try:
        return eval(text, scope)  # noqa: S307 - the user's own notebook expression
    except Exception as error:  # noqa: BLE001
        raise ConfigError(f"{parameter.name}: could not evaluate {text!r}: {type(error).__name__}: {error}",
                          parameter=parameter.name, value=text) from None


def shown(value: Any) -> str:
    """The editor text of a set value (Python that rebuilds it); '' when unset."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    return to_code(value)


def choice(parameter: Parameter, value: Any) -> str:
    """The selected choice of a CHOICES parameter."""
    if value is None:
        return UNSET
    text = value.behavior if parameter.name == "cache" else str(value)
    return text if text in CHOICES[parameter.name] else UNSET


def editor_text(parameter: Parameter, value: Any) -> str:
    """What an editor of this parameter shows for a level's value: a choice, the name, or Python."""
    if parameter.name in CHOICES:
        return choice(parameter, value)
    if parameter.name == "name":
        return str(value or "")
    return shown(value)


def level_settings(env: Any, task: Any, level: Level) -> dict[str, Any]:
    """The explicit settings of one level: the environment's, the decorator's, the session overrides."""
    if level is Level.ENVIRONMENT:
        return dict(env.settings)
    if task is None:
        return {}
    if level is Level.DECORATOR:
        return dict(task.decorator_settings)
    return dict(registry().session_overrides(task.name))


def apply(env: Any, task: Any, name: str, level: Level, value: Any, source: str = "sidebar") -> None:
    """Set (value) or clear (None) one setting at one level through the registry; raises ConfigError.

    `source` names the view ("sidebar", "panel"): a call that runs with the edit says where it came from."""
    if level is Level.ENVIRONMENT:
        registry().edit_environment(env.name, {name: value}, source)
    elif task is None:
        raise ConfigError(f"{name}: open a task to edit the {level.title} level", parameter=name, level=level.value)
    elif level is Level.DECORATOR:
        registry().edit_task(task.name, {name: value}, source)
    else:
        registry().set_override(task.name, {name: value}, source)
