"""ReusePolicy: warm containers that take many calls, and the rules that come with them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal

import pydantic

from ..notices import notice
from .durations import duration
from .errors import show
from .model import Setting


def _seconds(value: Any, what: str, minimum: float) -> timedelta:
    return duration(value, what, minimum=minimum, inclusive=True)


#: Most warm containers one environment may keep: more is no machine's pool (and 10**400 is not a count).
MAX_REPLICAS = 1000


class ReusePolicy(Setting):
    """flyte.ReusePolicy(replicas=2, idle_ttl=30, concurrency=1, scaledown_ttl=30, scope="global")."""

    parameter: ClassVar[str | None] = "reusable"

    replicas: tuple[int, int] = (2, 2)
    idle_ttl: timedelta = timedelta(seconds=30)
    concurrency: int = pydantic.Field(default=1, ge=1, le=1000, strict=True)
    scaledown_ttl: timedelta = timedelta(seconds=30)
    scope: Literal["global", "run"] = "global"

    @pydantic.field_validator("replicas", mode="before")
    @classmethod
    def _replicas(cls, value: Any) -> Any:
        """An int n means (n, n), as the SDK stores it; a tuple is (min, max) with 0 <= min <= max, max >= 1."""
        if isinstance(value, int) and not isinstance(value, bool):
            value = (value, value)
        if not isinstance(value, tuple) or len(value) != 2:
            raise ValueError(f"replicas must be an int or a tuple of two ints, got {value!r}")
        for label, count in zip(("min", "max"), value):
            if isinstance(count, bool) or not isinstance(count, int):
                raise ValueError(f"replicas {label} must be an int, got {count!r}")
            if count < 0:
                raise ValueError(f"replicas {label} must be greater than or equal to 0, got {count}")
        low, high = value
        if low > high:
            raise ValueError(f"replicas min ({low}) must be less than or equal to max ({high})")
        if not 1 <= high <= MAX_REPLICAS:
            raise ValueError(f"replicas max must be in 1..{MAX_REPLICAS}, got {show(value)}")
        return value

    def default_of(self, field: str) -> Any:
        return (2, 2) if field == "replicas" else super().default_of(field)

    @pydantic.field_validator("idle_ttl", mode="before")
    @classmethod
    def _idle(cls, value: Any) -> timedelta:
        return _seconds(value, "idle_ttl", 1)

    @pydantic.field_validator("scaledown_ttl", mode="before")
    @classmethod
    def _scaledown(cls, value: Any) -> timedelta:
        return _seconds(value, "scaledown_ttl", 0)

    @pydantic.model_validator(mode="after")
    def _starvation(self) -> "ReusePolicy":
        if self.max_replicas < 2 and self.concurrency == 1:
            notice("ReusePolicy with fewer than 2 replicas: a parent task waiting on a child of the same "
                   "environment can starve it")  # once per kernel (the SDK logs it), however often it is validated
        return self

    @property
    def min_replicas(self) -> int:
        return self.replicas[0]

    @property
    def max_replicas(self) -> int:
        return self.replicas[1]

    def get_scaledown_ttl(self) -> timedelta:
        return self.scaledown_ttl


def normalize_reusable(value: Any) -> ReusePolicy | Literal["off"] | None:
    """ReusePolicy | "off" | None; "off" (override level) runs a cold container instead."""
    if value is None or value == "off" or isinstance(value, ReusePolicy):
        return value
    raise ValueError(f"reusable must be a flyte.ReusePolicy, 'off' or None, not {value!r}")


def is_reusable(value: Any) -> bool:
    return isinstance(value, ReusePolicy)
