"""Resolution with provenance: the effective value of every parameter and the level it came from.

The most specific level that sets a parameter wins (override > decorator > environment >
default). "Sets" means the key is present, so an explicit falsy value (retries=0,
env_vars={}, cache="disable", timeout=None on override) wins too: the flyte SDK drops those.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from .jsonable import to_jsonable
from .parameters import PARAMETERS, Level, Parameter, default_value
from .reuse import is_reusable


@dataclass(frozen=True)
class Effective:
    """One parameter's effective value and where it came from."""

    parameter: str
    value: Any
    level: Level

    def to_json(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "value": to_jsonable(self.value), "level": self.level.value}


class Resolution(Mapping[str, Effective]):
    """All 21 parameters resolved for one environment, task or task + override."""

    def __init__(self, entries: dict[str, Effective]) -> None:
        self._entries = entries
        self._json: dict[str, dict[str, Any]] | None = None

    def __getitem__(self, name: str) -> Effective:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def value(self, name: str) -> Any:
        return self._entries[name].value

    def values_dict(self) -> dict[str, Any]:
        return {name: e.value for name, e in self._entries.items()}

    @property
    def reusable(self) -> bool:
        return is_reusable(self.value("reusable"))

    def to_json(self) -> dict[str, dict[str, Any]]:
        """Computed once per resolution (a run record keeps it for every call); a fresh outer dict each time."""
        if self._json is None:
            self._json = {name: e.to_json() for name, e in self._entries.items()}
        return dict(self._json)

    def __repr__(self) -> str:
        rows = [f"  {n}: {e.value!r}  [{e.level.value}]" for n, e in self._entries.items()]
        return "Resolution(\n" + "\n".join(rows) + "\n)"


def _default(parameter: Parameter, func: Callable[..., Any] | None) -> Any:
    if parameter.name == "short_name":
        return func.__name__ if func is not None else None
    if parameter.name == "docs":
        return inspect.getdoc(func) if func is not None else None
    return default_value(parameter)


def resolve(
    environment: Mapping[str, Any],
    decorator: Mapping[str, Any] | None = None,
    override: Mapping[str, Any] | None = None,
    func: Callable[..., Any] | None = None,
) -> Resolution:
    """Merge the three levels' explicit settings (already validated) with the defaults."""
    layers = ((Level.OVERRIDE, override or {}), (Level.DECORATOR, decorator or {}), (Level.ENVIRONMENT, environment))
    entries: dict[str, Effective] = {}
    for parameter in PARAMETERS:
        for level, settings in layers:
            if parameter.name in settings:
                entries[parameter.name] = Effective(parameter.name, settings[parameter.name], level)
                break
        else:
            entries[parameter.name] = Effective(parameter.name, _default(parameter, func), Level.DEFAULT)
    return Resolution(entries)
