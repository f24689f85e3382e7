"""RetryStrategy and Timeout: how often a failed attempt is re-run and how long one may take."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import pydantic

from .durations import duration
from .model import Setting


class RetryStrategy(Setting):
    """flyte.RetryStrategy(count, backoff=None): count re-runs after the first attempt fails."""

    positional: ClassVar[tuple[str, ...]] = ("count", "backoff")
    parameter: ClassVar[str | None] = "retries"

    count: int = pydantic.Field(ge=0, le=100, strict=True)
    backoff: timedelta | None = None

    @pydantic.field_validator("backoff", mode="before")
    @classmethod
    def _backoff(cls, value: Any) -> Any:
        return value if value is None else duration(value, "backoff", inclusive=True)


def normalize_retries(value: Any) -> RetryStrategy:
    """int -> RetryStrategy(count=int)."""
    if isinstance(value, RetryStrategy):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"retries must be >= 0, got {value!r}")
        return RetryStrategy(count=value)
    raise ValueError(f"retries must be an int >= 0 or a flyte.RetryStrategy, not {value!r}")


def _duration(value: Any, what: str) -> timedelta | None:
    if value is None:
        return None
    return duration(value, what)


class Timeout(Setting):
    """flyte.Timeout(max_runtime=None, max_queued_time=None, deadline=None)."""

    positional: ClassVar[tuple[str, ...]] = ("max_runtime", "max_queued_time", "deadline")
    parameter: ClassVar[str | None] = "timeout"

    max_runtime: timedelta | None = None
    max_queued_time: timedelta | None = None
    deadline: timedelta | None = None

    @pydantic.field_validator("max_runtime", "max_queued_time", "deadline", mode="before")
    @classmethod
    def _positive(cls, value: Any, info: pydantic.ValidationInfo) -> timedelta | None:
        return _duration(value, str(info.field_name))


def normalize_timeout(value: Any) -> Timeout | None:
    """int seconds | timedelta | Timeout | None -> Timeout or None (None: no limit)."""
    if value is None or isinstance(value, Timeout):
        return value
    return Timeout(max_runtime=_duration(value, "timeout"))
