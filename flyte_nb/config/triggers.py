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

    @classmethod
    def hourly(cls, trigger_time_input_key: str | None = None, **options: Any) -> "Trigger":
        """Every hour on the hour ("0 * * * *")."""
        return _scheduled(cls, "hourly", "A trigger that runs every hour", "0 * * * *", trigger_time_input_key, options)

    @classmethod
    def daily(cls, trigger_time_input_key: str | None = None, **options: Any) -> "Trigger":
        """Every day at midnight UTC ("0 0 * * *")."""
        return _scheduled(cls, "daily", "A trigger that runs daily at midnight", "0 0 * * *",
                          trigger_time_input_key, options)

    @classmethod
    def weekly(cls, trigger_time_input_key: str | None = None, **options: Any) -> "Trigger":
        """Every Sunday at midnight UTC ("0 0 * * 0")."""
        return _scheduled(cls, "weekly", "A trigger that runs weekly on Sundays at midnight", "0 0 * * 0",
                          trigger_time_input_key, options)

    @classmethod
    def monthly(cls, trigger_time_input_key: str | None = None, **options: Any) -> "Trigger":
        """On the 1st of every month at midnight UTC ("0 0 1 * *")."""
        return _scheduled(cls, "monthly", "A trigger that runs monthly on the 1st at midnight", "0 0 1 * *",
                          trigger_time_input_key, options)

    @classmethod
    def minutely(cls, trigger_time_input_key: str | None = None, **options: Any) -> "Trigger":
        """Every minute ("* * * * *")."""
        return _scheduled(cls, "minutely", "A trigger that runs every minute", "* * * * *",
                          trigger_time_input_key, options)


def _scheduled(cls: type[Trigger], name: str, description: str, expression: str, time_key: str | None,
               options: dict[str, Any]) -> Trigger:
    """The SDK's schedule shortcuts: a Cron trigger, the fire time bound to input `time_key` when given."""
    inputs = {time_key: TriggerTime} if time_key else {}
    inputs.update(options.pop("inputs", None) or {})
    return cls(name=options.pop("name", name), automation=Cron(expression),
               description=options.pop("description", description), inputs=inputs, **options)


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
