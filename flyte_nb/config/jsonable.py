"""Settings as JSON (for the panel, the sidebar, run records) and as Python code (Show code, export)."""

from __future__ import annotations

import enum
from datetime import timedelta
from pathlib import Path
from typing import Any

import pydantic


def to_jsonable(value: Any) -> Any:
    """A JSON-safe form of a setting value; environments become their names."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, pydantic.BaseModel):
        return {k: to_jsonable(v) for k, v in value if v is not None}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else repr(value)


def to_code(value: Any, prefix: str = "flyte.") -> str:
    """Python source that rebuilds a setting value with the flyte API (models prefixed with `flyte.`)."""
    if isinstance(value, pydantic.BaseModel):
        fields = type(value).model_fields
        args = []
        for key in fields:
            item = getattr(value, key)
            if key == "kind" or item == fields[key].get_default(call_default_factory=True):
                continue
            args.append(f"{key}={to_code(item, prefix)}")
        return f"{prefix}{type(value).__name__}({', '.join(args)})"
    if isinstance(value, timedelta):
        return f"datetime.timedelta(seconds={value.total_seconds():g})"
    if isinstance(value, Path):
        return f"pathlib.Path({str(value)!r})"
    if isinstance(value, tuple):
        inner = ", ".join(to_code(v, prefix) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(to_code(v, prefix) for v in value) + "]"
    if isinstance(value, dict) or (hasattr(value, "items") and not isinstance(value, str)):
        return "{" + ", ".join(f"{to_code(k, prefix)}: {to_code(v, prefix)}" for k, v in value.items()) + "}"
    name = getattr(value, "name", None)
    if type(value).__name__ == "TaskEnvironment" and isinstance(name, str):
        return getattr(value, "variable_name", None) or name
    return repr(value)
