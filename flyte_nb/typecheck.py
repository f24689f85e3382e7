"""Inputs and outputs checked against the task's type hints where they cross into a container.

pydantic validates in strict mode (no silent "3" -> 3); a hint pydantic cannot express (an
arbitrary class) falls back to isinstance where that is possible and is skipped otherwise.

Where the flyte SDK is more lenient, this follows the SDK so its programs run unchanged: a
`Literal` is checked only when it is the whole hint and all its values are strings (the SDK
turns those into an enum; any other Literal it carries as Any), and a `TypedDict` (which
pydantic refuses from `typing` before Python 3.12) is checked field by field. Inputs given as
a dict for a pydantic-model or dataclass parameter are converted to it, as the SDK does.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import inspect
import re
import typing
import weakref
from typing import Any, Callable

import pydantic


@functools.lru_cache(maxsize=512)
def _adapter(hint: Any) -> pydantic.TypeAdapter[Any] | None:
    try:
        return pydantic.TypeAdapter(hint, config=pydantic.ConfigDict(arbitrary_types_allowed=True))
    except Exception:  # noqa: BLE001 - a model or dataclass has its own config; anything else: not checked
        pass
    try:
        return pydantic.TypeAdapter(hint)
    except Exception:  # noqa: BLE001
        return None


#: Resolved hints per function: (its annotations dict, the names its string hints use with the objects
#: they meant at resolution, the hints). Every call checks and converts by them.
_HINTS: "weakref.WeakKeyDictionary[Any, tuple[Any, tuple[tuple[str, Any], ...], dict[str, Any]]]" = \
    weakref.WeakKeyDictionary()
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MISSING = object()


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    """The function's resolved type hints, remembered while its annotations are the same dict and every
    name its string hints use (`from __future__ import annotations` makes them all strings) is bound to
    the same object in its globals: a class redefined in a later cell is a new object, so it counts,
    without resolving every string again on every call (40 us a call, more than a cache hit's own work)."""
    annotations = getattr(func, "__annotations__", None)
    try:
        known = _HINTS.get(func)
    except TypeError:  # not weakly referenceable
        known = None
    scope = getattr(func, "__globals__", {})
    if known is not None and known[0] is annotations and \
            all(scope.get(name, _MISSING) is seen for name, seen in known[1]):
        return known[2]
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # noqa: BLE001 - unresolvable forward refs: not checked
        return {}
    strings = [v for v in annotations.values() if isinstance(v, str)] if isinstance(annotations, dict) else []
    if isinstance(annotations, dict) and not any("." in v for v in strings):  # m.P: m's attribute may change
        names = sorted({name for v in strings for name in _NAME.findall(v)})
        try:
            _HINTS[func] = (annotations, tuple((name, scope.get(name, _MISSING)) for name in names), hints)
        except TypeError:
            pass
    return hints


def _as_sdk_checks(hint: Any) -> Any:
    """The hint as the SDK checks it: a Literal that is not all strings, or that is nested in
    another hint (Optional[Literal[...]], list[Literal[...]]), is not checked (Any)."""
    if typing.get_origin(hint) is typing.Literal:
        return hint if all(isinstance(arg, str) for arg in typing.get_args(hint)) else Any
    return Any if _has_literal(hint) else hint


def _has_literal(hint: Any) -> bool:
    return any(typing.get_origin(arg) is typing.Literal or _has_literal(arg) for arg in typing.get_args(hint))


def _check_typeddict(value: Any, hint: Any) -> str | None:
    """A TypedDict: a dict whose required keys are present and whose fields fit their hints."""
    if not isinstance(value, dict):
        return f"expected a dict for {hint.__name__}, got {type(value).__name__}"
    missing = sorted(set(hint.__required_keys__) - set(value))
    if missing:
        return f"missing key {missing[0]!r} of {hint.__name__}"
    fields = _hints(hint)
    for key, item in value.items():
        if key in fields and (why := _check(item, fields[key])):
            return f"key {key!r}: {why}"
    return None


def _check(value: Any, hint: Any) -> str | None:
    """None if value fits hint, else why not."""
    hint = _as_sdk_checks(hint)
    if hint is Any or hint is inspect.Parameter.empty:
        return None
    if typing.is_typeddict(hint):
        return _check_typeddict(value, hint)
    adapter = _adapter(hint) if _hashable(hint) else None
    if adapter is None:
        return _check_instance(value, hint)
    try:
        adapter.validate_python(value, strict=True)
    except pydantic.ValidationError as error:
        return error.errors()[0]["msg"]
    except Exception:  # noqa: BLE001 - validators of exotic types
        return None
    return None


def _check_instance(value: Any, hint: Any) -> str | None:
    """The fallback for hints pydantic cannot express: isinstance, where the hint allows it."""
    try:
        fits = not isinstance(hint, type) or isinstance(value, hint)
    except TypeError:  # a class that refuses isinstance checks: not checked
        return None
    return None if fits else f"expected {hint.__name__}"


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


def _is_structured(hint: Any) -> bool:
    """A pydantic model or dataclass: a dict given for it is converted, as the SDK does."""
    if not isinstance(hint, type):
        return False
    return dataclasses.is_dataclass(hint) or issubclass(hint, pydantic.BaseModel)


def _has_dataclass(hint: Any) -> bool:
    return (isinstance(hint, type) and dataclasses.is_dataclass(hint)) or any(
        _has_dataclass(arg) for arg in typing.get_args(hint))


def _converted(value: Any, hint: Any) -> Any:
    """`value` as the SDK hands it over: a dict becomes the model or dataclass it is hinted as, and
    dataclasses (also inside lists and dicts) are rebuilt from their fields, so a field declared
    float holds a float (Point(1, 5) arrives as Point(1.0, 5.0)), and a datetime is in UTC (a naive
    one taken as UTC, as the SDK's timestamps do). What does not fit is left as it
    is, for the type check to name the parameter and the mismatch."""
    if hint is datetime.datetime and isinstance(value, datetime.datetime):
        return _in_utc(value)
    if _is_frame_type(hint) and type(value).__module__ == "flyte_nb.dataframe":  # flyte.io.DataFrame given
        return value.open(hint).all_sync()
    structured = isinstance(value, dict) and _is_structured(hint)
    if not (structured or _has_dataclass(hint)) or not _hashable(hint) or (adapter := _adapter(hint)) is None:
        return value
    try:
        return adapter.validate_python(value if structured else adapter.dump_python(value))
    except Exception:  # noqa: BLE001 - reported by check_inputs / check_output
        return value


def _is_frame_type(hint: Any) -> bool:
    """pandas.DataFrame or pyarrow.Table: a flyte.io.DataFrame given for one is read as it, as the SDK does."""
    return isinstance(hint, type) and f"{hint.__module__}.{hint.__qualname__}" in (
        "pandas.DataFrame", "pandas.core.frame.DataFrame", "pyarrow.Table", "pyarrow.lib.Table")


def _in_utc(value: datetime.datetime) -> datetime.datetime:
    """A datetime as the SDK carries it (a UTC timestamp): naive ones are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def coerce_inputs(func: Callable[..., Any], bound: inspect.BoundArguments) -> None:
    """Convert arguments as the SDK does (see _converted): `flyte.run(task, cfg={"lr": 0.1})` works
    for `cfg: Config`."""
    hints = _hints(func)
    for name, value in bound.arguments.items():
        if name in hints:
            bound.arguments[name] = _converted(value, hints[name])


def coerce_output(func: Callable[..., Any], value: Any) -> Any:
    """The output converted by its return hint, as the SDK does (see _converted)."""
    hints = _hints(func)
    value = _converted(value, hints["return"]) if "return" in hints else value
    if type(value).__module__ == "flyte_nb.dataframe":  # a returned flyte.io.DataFrame is stored (parquet), as
        value._store()  # the SDK's is, whichever runner ran the task
    return value
