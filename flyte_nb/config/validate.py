"""Checking settings against the table: one function per level, all from PARAMETERS.

Returns the settings in normal form (e.g. retries=3 -> RetryStrategy(count=3)) keyed by
parameter, containing exactly the keys the caller passed: an explicit falsy value
(retries=0, env_vars={}, timeout=None) is kept, so it wins over a more general level.
Raises ConfigError before anything is created: validation never half-applies.
"""

from __future__ import annotations

import difflib
from typing import Any, Mapping

import pydantic

from .errors import ConfigError, reason_of, show
from .parameters import BY_NAME, PARAMETERS, Level, Parameter, Rule
from .reuse import is_reusable


def where_allowed(parameter: Parameter, reusable: bool = False) -> str:
    """The levels the table allows, with their condition: with `reusable`, the levels allowed on a reusable
    environment only (a message must not list the level it refuses)."""
    levels = [(level, parameter.rule(level)) for level in parameter.levels]
    if reusable:
        levels = [(level, rule) for level, rule in levels if rule is not Rule.IF_NOT_REUSABLE]
    names = [level.title + (" (if not reusable)" if rule is Rule.IF_NOT_REUSABLE else "") for level, rule in levels]
    return ", ".join(names) if names else "nowhere"


def _unknown(name: str, value: Any, level: Level) -> ConfigError:
    close = difflib.get_close_matches(name, BY_NAME, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ConfigError(
        f"{name}={show(value)}: {name!r} is not a task configuration parameter (at the {level.title} level){hint} "
        f"Known parameters: {', '.join(BY_NAME)}.",
        parameter=name, value=value, level=level.value,
    )


def _forbidden(name: str, value: Any, level: Level, why: str = "", reusable: bool = False) -> ConfigError:
    parameter = BY_NAME[name]
    where = f"with a reusable environment {name!r} can be set at" if reusable else f"{name!r} can be set at"
    return ConfigError(
        f"{name}={show(value)} is not allowed at the {level.title} level{why}; "
        f"{where}: {where_allowed(parameter, reusable)}.",
        parameter=name, value=value, level=level.value, allowed_levels=[lv.value for lv in parameter.levels],
    )


def validate_value(name: str, value: Any, level: Level) -> Any:
    """One value in normal form, or a ConfigError naming parameter, value and level."""
    parameter = BY_NAME[name]
    try:
        return parameter.adapter.validate_python(value)
    except ConfigError as error:
        raise ConfigError(
            f"{name}={show(value)} is invalid at the {level.title} level: {error}",
            parameter=name, value=value, level=level.value,
        ) from None
    except pydantic.ValidationError as error:
        raise ConfigError(
            f"{name}={show(value)} is invalid at the {level.title} level: {reason_of(error)}",
            parameter=name, value=value, level=level.value,
        ) from None
    except (RecursionError, ArithmeticError) as error:
        # A last net under the checks above: a value nested too deeply for a check (or for its
        # own repr in a message), or a number no check bounded, is still one clear refusal.
        why = "it is nested too deeply" if isinstance(error, RecursionError) else f"it is out of range ({error})"
        raise ConfigError(
            f"{name}={show(value)} is invalid at the {level.title} level: {why}",
            parameter=name, value=value, level=level.value,
        ) from None


def validate_settings(
    level: Level, settings: Mapping[str, Any], *, reusable_before: Any = None
) -> dict[str, Any]:
    """Check every setting against its table cell and type; return them in normal form.

    `reusable_before` is the task's effective `reusable` before this level (override level
    only): the "(if not reusable)" cells are judged on the value in effect *after* this call,
    so `override(reusable="off", resources=...)` is allowed on a reusable environment.
    """
    checked: dict[str, Any] = {}
    for name, value in settings.items():
        if name not in BY_NAME:
            raise _unknown(name, value, level)
        if not BY_NAME[name].rule(level).allowed:
            raise _forbidden(name, value, level)
        if value is None and BY_NAME[name].rule(level) is Rule.REQUIRED:
            raise ConfigError(f"{name}=None at the {level.title} level: {name!r} is required there",
                              parameter=name, value=value, level=level.value)
        if value is None and not (level is Level.OVERRIDE and BY_NAME[name].nullable_override):
            continue  # None means "not set at this level", as in the flyte SDK's signatures
        checked[name] = validate_value(name, value, level)
    if level is Level.OVERRIDE:
        reusable_after = checked.get("reusable", reusable_before)
        if is_reusable(reusable_after):
            for name in checked:
                if BY_NAME[name].rule(level) is Rule.IF_NOT_REUSABLE:
                    raise _forbidden(
                        name, settings[name], level,
                        why=" because the task's environment is reusable (pass reusable=\"off\" in the same "
                            "override to run it in a fresh container)", reusable=True,
                    ) from None
    if level is Level.ENVIRONMENT:
        if is_reusable(checked.get("reusable")) and "plugin_config" in checked:
            raise ConfigError(
                f"reusable={show(settings['reusable'])} together with plugin_config={show(settings['plugin_config'])} "
                f"is not allowed at the {level.title} level: a plugin task cannot run in a reusable container.",
                parameter="reusable", value=settings["reusable"], level=level.value,
            )
    return checked


def required_at(level: Level) -> tuple[str, ...]:
    return tuple(p.name for p in PARAMETERS if p.rule(level) is Rule.REQUIRED)
