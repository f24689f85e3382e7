"""RetryStrategy and Timeout: how often a failed attempt is re-run and how long one may take."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any, ClassVar, Union

import pydantic

from .durations import duration
from .model import Setting


class Backoff(Setting):
    """flyte.Backoff(base, factor=1.0, cap=None): the n-th retry (0-based) waits min(base * factor**n, cap)."""

    positional: ClassVar[tuple[str, ...]] = ("base", "factor", "cap")
    parameter: ClassVar[str | None] = "retries"

    base: timedelta
    factor: float = 1.0
    cap: timedelta | None = None

    @pydantic.field_validator("base", "cap", mode="before")
    @classmethod
    def _delay(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = timedelta(seconds=value)
        if isinstance(value, timedelta) and value < timedelta(0):
            raise ValueError(f"Backoff.{info.field_name} must be >= 0, got {value}")
        return value

    @pydantic.field_validator("factor", mode="before")
    @classmethod
    def _factor(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"Backoff.factor must be a finite number, got {value!r}")
        if value < 1.0:
            raise ValueError(f"Backoff.factor must be >= 1.0, got {value}")
        return float(value)

    @pydantic.model_validator(mode="after")
    def _bounded(self) -> "Backoff":
        if self.factor > 1.0 and self.cap is None:
            raise ValueError("Backoff.cap is required when factor > 1.0 to prevent unbounded growth")
        return self

    def compute_delay(self, n: int) -> timedelta:
        """The wait before the n-th retry (0-based): base * factor**n, at most cap."""
        if n < 0:
            raise ValueError(f"Retry index n must be >= 0, got {n}")
        try:
            delay = self.base * (self.factor ** n)
        except OverflowError:
            if self.cap is None:
                raise
            return self.cap
        return self.cap if self.cap is not None and delay > self.cap else delay


class RetryStrategy(Setting):
    """flyte.RetryStrategy(count, backoff=None): count re-runs after the first attempt fails."""

    positional: ClassVar[tuple[str, ...]] = ("count", "backoff")
    parameter: ClassVar[str | None] = "retries"

    count: int = pydantic.Field(ge=0, le=100, strict=True)
    backoff: Backoff | None = None

    @pydantic.field_validator("backoff", mode="before")
    @classmethod
    def _backoff(cls, value: Any) -> Any:
        """A bare delay (seconds or a timedelta) means a constant Backoff(base=delay), as flyte_nb always took."""
        if isinstance(value, (int, float, timedelta)) and not isinstance(value, bool):
            return Backoff(base=duration(value, "backoff", inclusive=True))
        return value

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (0-based); 0 without a backoff."""
        return 0.0 if self.backoff is None else self.backoff.compute_delay(retry).total_seconds()


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
    """A bound as a timedelta; 0 is allowed and means no limit (the SDK's decorator default is timeout=0)."""
    if value is None:
        return None
    return duration(value, what, inclusive=True)


class Timeout(Setting):
    """flyte.Timeout(max_runtime=None, max_queued_time=None, deadline=None).

    Each bound keeps the form it was given in (int seconds or a timedelta), as the SDK's fields do;
    `seconds(field)` is the number the runtime waits on; 0 reads as no limit, as in the SDK.
    """

    positional: ClassVar[tuple[str, ...]] = ("max_runtime", "max_queued_time", "deadline")
    parameter: ClassVar[str | None] = "timeout"

    max_runtime: Union[timedelta, int, float, None] = None
    max_queued_time: Union[timedelta, int, float, None] = None
    deadline: Union[timedelta, int, float, None] = None

    @pydantic.field_validator("max_runtime", "max_queued_time", "deadline", mode="before")
    @classmethod
    def _positive(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        _duration(value, str(info.field_name))
        return value

    def seconds(self, field: str) -> float | None:
        """A bound in seconds (None: unlimited, which a bound of 0 also means)."""
        value = getattr(self, field)
        if value is None:
            return None
        seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
        return seconds or None


def normalize_timeout(value: Any) -> Timeout | None:
    """int seconds | timedelta | Timeout | None -> Timeout or None (None: no limit)."""
    if value is None or isinstance(value, Timeout):
        return value
    _duration(value, "timeout")
    return Timeout(max_runtime=value)


#: flyte.TimeoutType: what `timeout=` accepts (the SDK's alias, a PEP 604 union as there).
TimeoutType = Timeout | int | timedelta
