"""ReusePolicy: warm containers that take many calls, and the rules that come with them."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any, ClassVar, Literal, Union

import pydantic

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

    replicas: Union[int, tuple[int, int]] = 2
    idle_ttl: timedelta = timedelta(seconds=30)
    concurrency: int = pydantic.Field(default=1, ge=1, le=1000, strict=True)
    scaledown_ttl: timedelta = timedelta(seconds=30)
    scope: Literal["global", "run"] = "global"

    @pydantic.field_validator("replicas", mode="before")
    @classmethod
    def _replicas(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if len(value) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                raise ValueError(f"replicas as a tuple must be (min, max) ints, got {value!r}")
            low, high = value
            if low < 0 or high < 1 or low > high or high > MAX_REPLICAS:
                raise ValueError(f"replicas (min, max) needs 0 <= min <= max and 1 <= max <= {MAX_REPLICAS}, got {value!r}")
            return tuple(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REPLICAS:
            raise ValueError(f"replicas must be an int in 1..{MAX_REPLICAS} or a (min, max) tuple, got {show(value)}")
        return value

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
        if self.max_replicas < 2:
            warnings.warn(
                "ReusePolicy with fewer than 2 replicas: a parent task waiting on a child of the same "
                "environment can starve it",
                stacklevel=4,
            )
        return self

    @property
    def min_replicas(self) -> int:
        return self.replicas[0] if isinstance(self.replicas, tuple) else self.replicas

    @property
    def max_replicas(self) -> int:
        return self.replicas[1] if isinstance(self.replicas, tuple) else self.replicas


def normalize_reusable(value: Any) -> ReusePolicy | Literal["off"] | None:
    """ReusePolicy | "off" | None; "off" (override level) runs a cold container instead."""
    if value is None or value == "off" or isinstance(value, ReusePolicy):
        return value
    raise ValueError(f"reusable must be a flyte.ReusePolicy, 'off' or None, not {value!r}")


def is_reusable(value: Any) -> bool:
    return isinstance(value, ReusePolicy)
