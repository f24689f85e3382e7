"""Exceptions across the container boundary, as data: class name, module, message, arguments, traceback text.

An exception object is never unpickled in the kernel (unpickling runs whatever the container chose). The
kernel rebuilds the error from the text: builtin exception classes by name from `builtins` (so `except
ValueError` still works) and flyte_nb's own errors by name from its error modules, a flyte.errors error with
its code, kind and worker (set as data, its __init__ not run); any other class becomes a TaskError whose
`remote_type` names it ("module.Class: message"). What a *caller* of the task then sees is the SDK's error
(flyte_nb/failures.py). The exception's traceback is the task's own frames (flyte_nb.tracebacks), so it shows
the user's cell and line; the container's whole traceback text is kept for the run record (%flyte_logs --full).
"""

from __future__ import annotations

import builtins
import importlib
import traceback
from typing import Any

from .errors import BaseRuntimeError, error_text
from .tracebacks import attach, frames_of, keep_remote

#: Modules whose exception classes the kernel recreates by name (all flyte_nb's, already imported).
REBUILT_MODULES = ("builtins", "flyte_nb.errors", "flyte_nb.config.errors", "flyte_nb.secrets", "flyte_nb.codec",
                   "flyte_nb.protocol", "flyte_nb.nested")
#: Error fields that travel with it: a TaskError's (a child's timeout reaching its parent task keeps them) and a
#: flyte.errors error's code, kind and worker (what a parent task reads: `e.code == "ValueError"`).
FIELDS = ("task", "attempt", "container", "exit_code", "code", "kind", "worker")


def pack_error(error: BaseException) -> dict[str, Any]:
    """What the shim sends for a failed task: plain JSON data, never the object."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    args = [a for a in error.args if a is None or type(a) in (bool, int, float, str)]
    return {"module": type(error).__module__, "class": type(error).__qualname__,
            "type": f"{type(error).__module__}.{type(error).__qualname__}", "message": error_text(error),
            "args": args if len(args) == len(error.args) else None, "traceback": text,
            "frames": _frames(error),
            "fields": {name: getattr(error, name) for name in FIELDS if type(getattr(error, name, None)) in (str, int)},
            "oom": isinstance(error, MemoryError), "base": not isinstance(error, Exception)}


def _frames(error: BaseException) -> list[dict[str, Any]]:
    """The task's frames of its error; none rather than a failure to report it."""
    try:
        return frames_of(error.__traceback__)
    except Exception:  # noqa: BLE001 - a traceback is a courtesy, the error itself must reach the kernel
        return []


def unpack_error(packed: dict[str, Any], note: str, clean: Any = lambda s: s, *, task: str = "",
                 attempt: int | None = None) -> BaseException:
    """The kernel-side exception, rebuilt by name where allowed, with note and the task's frames as its traceback.

    `clean` redacts secrets from the texts before they reach the notebook. A BaseException that is not an
    Exception (sys.exit, KeyboardInterrupt) is never re-raised as itself: it becomes that call's TaskExitError.
    """
    from .errors import TaskError, TaskExitError

    text, message = clean(str(packed.get("traceback", ""))), clean(str(packed.get("message", "")))
    if packed.get("base"):
        error: BaseException | None = TaskExitError.of(_stand_in(packed, message), note, task, attempt or 0)
    else:
        error = _rebuild(packed, message, clean)
    if error is None:
        error = TaskError(f"{packed.get('type')}: {message}", task=note, remote_traceback=text)
        error.remote_type = str(packed.get("type"))  # type: ignore[attr-defined]
        error.remote_message = message  # type: ignore[attr-defined]  # a parent task sees it as the SDK's code+message
    attach(error, packed.get("frames"), clean)
    keep_remote(error, text)
    if hasattr(error, "add_note"):
        error.add_note(note)
    return error


def _stand_in(packed: dict[str, Any], message: str) -> BaseException:
    """A BaseException to describe (never raised): the builtin one (SystemExit keeps its code), else a bare
    class of the same name carrying the message."""
    cls = getattr(builtins, str(packed.get("class")), None) if packed.get("module") == "builtins" else None
    args = packed.get("args") if isinstance(packed.get("args"), list) else [message]
    if isinstance(cls, type) and issubclass(cls, BaseException):
        try:
            return cls(*args)
        except Exception:  # noqa: BLE001
            pass
    return type(str(packed.get("class", "BaseException")), (BaseException,), {})(message)


def exception_class(module: Any, name: Any) -> type[Exception] | None:
    """An Exception subclass named by (module, qualname) in REBUILT_MODULES, else None (never an import
    of a module the container names; BaseExceptions like SystemExit are not re-raised in the kernel)."""
    if module not in REBUILT_MODULES or not isinstance(name, str) or "." in name:
        return None
    source = builtins if module == "builtins" else importlib.import_module(module)
    cls = getattr(source, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, Exception) else None


def _rebuild(packed: dict[str, Any], message: str, clean: Any) -> BaseException | None:
    cls = exception_class(packed.get("module"), packed.get("class"))
    if cls is None:
        return None
    args = packed.get("args")
    if isinstance(args, list):
        args = [clean(a) if isinstance(a, str) else a for a in args]
    for attempt in ([args] if isinstance(args, list) else []) + [[message]]:
        try:
            error = cls(*attempt)
        except Exception:  # noqa: BLE001 - a class whose constructor wants other arguments
            continue
        return _with_fields(error, packed, clean)
    if issubclass(cls, BaseRuntimeError):  # RuntimeUserError(code, message, ...): its fields come with it
        error = cls.__new__(cls)
        Exception.__init__(error, *(args if isinstance(args, list) else [message]))
        error.code, error.kind, error.worker = cls.__name__, "user", None
        return _with_fields(error, packed, clean)
    return None


def _with_fields(error: BaseException, packed: dict[str, Any], clean: Any) -> BaseException:
    for name, value in dict(packed.get("fields") or {}).items():
        if name in FIELDS and type(value) in (str, int):
            setattr(error, name, clean(value) if isinstance(value, str) else value)
    return error
