"""Cache: whether a task's outputs are reused for the same inputs (Flyte's meaning).

"auto" reuses when task, interface, code version, inputs and image are unchanged;
"override" always runs and rewrites; "disable" neither reads nor writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Literal, Protocol, Union, runtime_checkable

import pydantic

from .durations import duration
from .model import Setting

CacheBehavior = Literal["auto", "override", "disable"]
BEHAVIORS: tuple[str, ...] = ("auto", "override", "disable")
#: Spellings users type for a behavior (the SDK's aliases, case-insensitive).
ALIASES: dict[str, str] = {
    "enable": "auto", "enabled": "auto", "on": "auto", "true": "auto", "yes": "auto",
    "off": "disable", "false": "disable", "no": "disable", "none": "disable",
}


@runtime_checkable
class CachePolicy(Protocol):
    """flyte.CachePolicy: what a custom cache version strategy implements (FunctionBodyPolicy is one)."""

    def get_version(self, salt: str, params: Any) -> str: ...


@dataclass(frozen=True)
class FunctionBodyPolicy:
    """The default version policy of an enabled cache: a hash of the function's code (codeversion.py)."""

    def get_version(self, salt: str, params: Any) -> str:
        from ..codeversion import code_version

        func = getattr(params, "func", None)
        return "" if func is None else code_version(func) + salt


def behavior_of(value: Any) -> Any:
    """An alias ("on", "off", ...) as its behavior; anything else unchanged (then validated)."""
    if isinstance(value, str) and value not in BEHAVIORS:
        return ALIASES.get(value.lower(), value)
    return value


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

    @pydantic.field_validator("behavior", mode="before")
    @classmethod
    def _behavior(cls, value: Any) -> Any:
        return behavior_of(value)

    @pydantic.field_validator("ignored_inputs", mode="before")
    @classmethod
    def _inputs(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @pydantic.field_validator("max_age", mode="before")
    @classmethod
    def _age(cls, value: Any) -> timedelta | None:
        """The SDK's types (int seconds, timedelta, None: TypeError otherwise) and bounds (>= 0), finite."""
        if isinstance(value, float):
            duration(value, "max_age", inclusive=True)  # an infinite or huge one is told so first
        if isinstance(value, bool) or (value is not None and not isinstance(value, (int, timedelta))):
            raise ValueError("max_age must be an int (seconds), timedelta, or None")  # a ConfigError: also a TypeError
        if value is not None and (value.total_seconds() if isinstance(value, timedelta) else value) < 0:
            raise ValueError(f"max_age must be nonnegative, got {value!r}")
        return value if value is None else duration(value, "max_age", inclusive=True)

    @pydantic.model_validator(mode="after")
    def _default_policies(self) -> "Cache":
        """An enabled cache versions by the function body unless told otherwise (the SDK's default)."""
        if self.behavior != "disable":
            if self.policies is None:
                object.__setattr__(self, "policies", [FunctionBodyPolicy()])
            elif not isinstance(self.policies, list):
                object.__setattr__(self, "policies", [self.policies])
        return self

    def default_of(self, field: str) -> Any:
        if field == "policies" and self.behavior != "disable":
            return [FunctionBodyPolicy()]
        return super().default_of(field)

    def derived_defaults(self) -> dict[str, Any]:
        """Defaults filled in from other fields, left out of the JSON form (the SDK's policies are live objects)."""
        return {"policies": [FunctionBodyPolicy()]}

    def is_enabled(self) -> bool:
        """Whether calls read and write the cache ("auto" and "override")."""
        return self.behavior in ("auto", "override")

    def get_ignored_inputs(self) -> tuple[str, ...]:
        return self.ignored_inputs

    def get_version(self, params: Any = None) -> str:
        """The cache version: "" when disabled, version_override, else a hash of the policies' versions."""
        if not self.is_enabled():
            return ""
        if self.version_override is not None:
            return self.version_override
        if params is None:
            raise ValueError("Version parameters must be provided when version_override is not set.")
        joined = "".join(policy.get_version(self.salt, params) for policy in self.policies or ())
        return hashlib.sha256(joined.encode()).hexdigest()

    @property
    def uses_default_policies(self) -> bool:
        """No policy of the user's own (only the function-body default, or none when disabled)."""
        return self.policies is None or all(isinstance(p, FunctionBodyPolicy) for p in self.policies)


def normalize_cache(value: Any) -> Cache:
    """'auto' | 'override' | 'disable' (or an alias such as 'on', 'off') | Cache -> Cache."""
    if isinstance(value, Cache):
        return value
    if isinstance(value, str) and behavior_of(value) in BEHAVIORS:
        return Cache(behavior=behavior_of(value))
    raise ValueError(f"cache must be 'auto', 'override', 'disable' or a flyte.Cache, not {value!r}")


#: flyte.CacheRequest: what `cache=` accepts, a behavior name or a Cache (the SDK's alias).
CacheRequest = Union[CacheBehavior, Cache]
