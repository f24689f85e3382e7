"""Inputs and outputs checked against the task's type hints where they cross into a container.

pydantic validates in strict mode (no silent "3" -> 3); a hint pydantic cannot express (an
arbitrary class) falls back to isinstance where that is possible and is skipped otherwise.
"""

from __future__ import annotations

import functools
import inspect
import typing
from typing import Any, Callable

import pydantic


@functools.lru_cache(maxsize=512)
def _adapter(hint: Any) -> pydantic.TypeAdapter[Any] | None:
    try:
        return pydantic.TypeAdapter(hint, config=pydantic.ConfigDict(arbitrary_types_allowed=True))
    except Exception:  # noqa: BLE001 - unsupported hint: not checked
        return None


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func)
    except Exception:  # noqa: BLE001 - unresolvable forward refs: not checked
        return {}


def _check(value: Any, hint: Any) -> str | None:
    """None if value fits hint, else why not."""
    if hint is Any or hint is inspect.Parameter.empty:
        return None
    adapter = _adapter(hint) if _hashable(hint) else None
    if adapter is None:
        return None if not isinstance(hint, type) or isinstance(value, hint) else f"expected {hint.__name__}"
    try:
        adapter.validate_python(value, strict=True)
    except pydantic.ValidationError as error:
        return error.errors()[0]["msg"]
    except Exception:  # noqa: BLE001 - validators of exotic types
        return None
    return None


def _hashable(hint: Any) -> bool:
    try:
        hash(hint)
    except TypeError:
        return False
    return True


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def check_inputs(task_name: str, func: Callable[..., Any], bound: inspect.BoundArguments) -> None:
    hints = _hints(func)
    for name, value in bound.arguments.items():
        if name in hints and (why := _check(value, hints[name])):
            raise TypeError(f"task {task_name}: input {name}={value!r:.80} does not match its type hint "
                            f"{_name(hints[name])} ({why})")


def check_output(task_name: str, func: Callable[..., Any], value: Any) -> None:
    hints = _hints(func)
    if "return" in hints and (why := _check(value, hints["return"])):
        raise TypeError(f"task {task_name}: output {value!r:.80} does not match its return hint "
                        f"{_name(hints['return'])} ({why})")
