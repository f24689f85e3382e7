"""Trigger, Cron and FixedRate: schedules attached to a task (exported to a cluster; shown locally)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar, Union

import pydantic

from .model import Setting

_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-?LW#]+$")
_CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


class Cron(Setting):
    """flyte.Cron(expression, timezone="UTC")."""

    positional: ClassVar[tuple[str, ...]] = ("expression", "timezone")
    parameter: ClassVar[str | None] = "triggers"

    expression: str
    timezone: str = "UTC"

    @pydantic.field_validator("expression")
    @classmethod
    def _cron(cls, value: str) -> str:
        fields = value.split()
        if value.strip() in _CRON_MACROS:
            return value
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            raise ValueError(f"expression must be 5 cron fields like '0 * * * *' or a macro like '@hourly', got {value!r}")
        return value


class FixedRate(Setting):
    """flyte.FixedRate(interval_minutes, start_time=None)."""

    positional: ClassVar[tuple[str, ...]] = ("interval_minutes", "start_time")
    parameter: ClassVar[str | None] = "triggers"

    interval_minutes: int = pydantic.Field(ge=1, strict=True)
    start_time: datetime | None = None


class _TriggerTime:
    """flyte.TriggerTime: in a trigger's inputs, the time the schedule fired (bound on a cluster)."""

    _instance: ClassVar["_TriggerTime | None"] = None

    def __new__(cls) -> "_TriggerTime":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __reduce__(self) -> str:
        return "TriggerTime"  # one sentinel per process, also after pickling

    def __repr__(self) -> str:
        return "flyte.TriggerTime"


TriggerTime = _TriggerTime()


def _shortcut(name: str, description: str, expression: str) -> Any:
    """The SDK's schedule shortcuts (Trigger.hourly(), ...): a Cron trigger named `name`, the fire time bound
    to input `trigger_time_input_key` when given; every other Trigger field may be passed by keyword."""

    def make(cls: type["Trigger"], trigger_time_input_key: str | None = None, **options: Any) -> "Trigger":
        inputs = {trigger_time_input_key: TriggerTime} if trigger_time_input_key else {}
        inputs.update(options.pop("inputs", None) or {})
        return cls(name=options.pop("name", name), automation=Cron(expression),
                   description=options.pop("description", description), inputs=inputs, **options)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"{description} (cron {expression!r})."
    return classmethod(make)


class Trigger(Setting):
    """flyte.Trigger(name, automation=None, description="", auto_activate=True, inputs=None, env_vars=None, ...)."""

    positional: ClassVar[tuple[str, ...]] = ("name", "automation")
    parameter: ClassVar[str | None] = "triggers"

    name: str = pydantic.Field(min_length=1, max_length=255)
    automation: Union[Cron, FixedRate, None] = None
    description: str = ""
    auto_activate: bool = True
    inputs: dict[str, Any] | None = None
    env_vars: dict[str, str] | None = None
    interruptible: bool | None = None
    overwrite_cache: bool = False
    queue: str | None = None
    max_action_concurrency: int | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    notifications: Any = None
    custom_context: dict[str, str] | None = None

    @pydantic.field_validator("max_action_concurrency")
    @classmethod
    def _concurrency(cls, value: int | None) -> int | None:
        if value is not None and (value < 0 or value == 1):
            raise ValueError(f"max_action_concurrency must be 0 (platform default) or at least 2, got {value}: "
                             "1 would deadlock a run whose parent waits on its children")
        return value

    hourly = _shortcut("hourly", "A trigger that runs every hour", "0 * * * *")
    daily = _shortcut("daily", "A trigger that runs daily at midnight", "0 0 * * *")
    weekly = _shortcut("weekly", "A trigger that runs weekly on Sundays at midnight", "0 0 * * 0")
    monthly = _shortcut("monthly", "A trigger that runs monthly on the 1st at midnight", "0 0 1 * *")
    minutely = _shortcut("minutely", "A trigger that runs every minute", "* * * * *")


def normalize_triggers(value: Any) -> tuple[Trigger, ...]:
    """Trigger | sequence of Trigger -> tuple, refusing two triggers with one name."""
    items = value if isinstance(value, (list, tuple)) else (value,)
    for item in items:
        if not isinstance(item, Trigger):
            raise ValueError(f"triggers must be flyte.Trigger objects, got {item!r}")
    names = [t.name for t in items]
    if len(set(names)) != len(names):
        raise ValueError(f"trigger names must be unique, got {names!r}")
    return tuple(items)
