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


class Trigger(Setting):
    """flyte.Trigger(name, automation, description="", auto_activate=True, inputs=None, env_vars=None)."""

    positional: ClassVar[tuple[str, ...]] = ("name", "automation")
    parameter: ClassVar[str | None] = "triggers"

    name: str = pydantic.Field(min_length=1, max_length=255)
    automation: Union[Cron, FixedRate]
    description: str = ""
    auto_activate: bool = True
    inputs: dict[str, Any] | None = None
    env_vars: dict[str, str] | None = None


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
