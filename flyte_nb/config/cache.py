"""Cache: whether a task's outputs are reused for the same inputs (Flyte's meaning).

"auto" reuses when task, interface, code version, inputs and image are unchanged;
"override" always runs and rewrites; "disable" neither reads nor writes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal

import pydantic

from .durations import duration
from .model import Setting

CacheBehavior = Literal["auto", "override", "disable"]


class Cache(Setting):
    """flyte.Cache(behavior, version_override=None, serialize=False, ignored_inputs=(), salt="", ...)."""

    positional: ClassVar[tuple[str, ...]] = ("behavior",)
    parameter: ClassVar[str | None] = "cache"

    behavior: CacheBehavior
    version_override: str | None = None
    serialize: bool = False
    ignored_inputs: tuple[str, ...] = ()
    salt: str = ""
    policies: Any = None
    max_age: timedelta | None = None

    @pydantic.field_validator("ignored_inputs", mode="before")
    @classmethod
    def _inputs(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @pydantic.field_validator("max_age", mode="before")
    @classmethod
    def _age(cls, value: Any) -> Any:
        return value if value is None or isinstance(value, str) else duration(value, "max_age")

    @pydantic.field_validator("max_age")
    @classmethod
    def _age_parsed(cls, value: timedelta | None) -> timedelta | None:
        return value if value is None else duration(value, "max_age")


def normalize_cache(value: Any) -> Cache:
    """'auto' | 'override' | 'disable' | Cache -> Cache."""
    if isinstance(value, Cache):
        return value
    if isinstance(value, str) and value in ("auto", "override", "disable"):
        return Cache(behavior=value)
    raise ValueError(f"cache must be 'auto', 'override', 'disable' or a flyte.Cache, not {value!r}")
